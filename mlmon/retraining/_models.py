"""The models a replay serves: river online learners, scikit-learn batch models, a small torch MLP.

A replay talks to a model through one small interface, :class:`Model`:

``predict(X)``
    Predictions for rows ``X`` (2-D float array).
``learn(X, y)``
    Online models learn these labelled rows in order; batch models ignore it.
``retrain(X, y)``
    A *new* model trained on exactly these rows (the old one keeps serving until the new one
    is deployed).

:func:`as_model` wraps what users have: a river estimator (``learn_one``/``predict_one``), a
scikit-learn estimator (``fit``/``predict``), or a :class:`Model` already.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np

__all__ = ["FactoryModel", "Model", "RiverModel", "SklearnModel", "TorchMLP", "as_model"]


class Model:
    """Base class of the model adapters (see the module docstring for the interface)."""

    #: Whether the model learns every label as it arrives (True) or only when retrained.
    online: bool = False
    #: Seconds spent in training so far (``learn`` and ``retrain``).
    fit_seconds: float = 0.0

    def predict(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def learn(self, X: np.ndarray, y: np.ndarray) -> None:
        """Online models learn the rows; batch models ignore them (the default)."""

    def retrain(self, X: np.ndarray, y: np.ndarray) -> Model:  # pragma: no cover - interface
        raise NotImplementedError


class RiverModel(Model):
    """A river online learner: predicts one row at a time and learns every label as it arrives.

    A retrain replaces it by a fresh, untrained clone of the original estimator that has
    learnt the training rows (the last ``window`` labelled samples, chosen by the replay):
    river learners adapt continuously, so a "retrain" is a reset with a warm start. Swapping
    in a background model started at an alarm is the same thing, replayed: a policy that
    trains on the samples since its alarm (``DriftTriggered(..., wait=...)``) gets the model
    a background learner started at the alarm would have become.

    Parameters
    ----------
    estimator
        A river classifier or regressor (``learn_one``/``predict_one``), untrained.
    features
        Names for the columns of ``X`` in the dicts river sees (default ``0..d-1``).

    Examples
    --------
    >>> import numpy as np
    >>> from river import linear_model
    >>> m = RiverModel(linear_model.LogisticRegression())
    >>> X = np.array([[1.0], [-1.0]] * 50); y = np.array([True, False] * 50)
    >>> m.learn(X, y)
    >>> m.predict(np.array([[2.0], [-2.0]])).tolist()
    [True, False]
    """

    online = True

    def __init__(self, estimator: Any, *, features: list[Any] | None = None) -> None:
        if not (hasattr(estimator, "learn_one") and hasattr(estimator, "predict_one")):
            raise TypeError(f"RiverModel: estimator must be a river estimator with learn_one and predict_one, "
                            f"got {type(estimator).__name__}.")
        self.estimator = estimator
        self.features = features
        self.fit_seconds = 0.0

    def _rows(self, X: np.ndarray) -> list[dict[Any, float]]:
        names = self.features if self.features is not None else range(X.shape[1])
        return [dict(zip(names, row)) for row in X.tolist()]

    def predict(self, X: np.ndarray) -> np.ndarray:
        predict_one = self.estimator.predict_one
        return np.array([predict_one(x) for x in self._rows(X)])

    def predict_one(self, x: dict[Any, float]) -> Any:
        return self.estimator.predict_one(x)

    def learn_one(self, x: dict[Any, float], y: Any) -> None:
        self.estimator.learn_one(x, y)

    def learn(self, X: np.ndarray, y: np.ndarray) -> None:
        t0 = time.perf_counter()
        learn_one = self.estimator.learn_one
        for x, label in zip(self._rows(X), y.tolist()):
            learn_one(x, label)
        self.fit_seconds += time.perf_counter() - t0

    def retrain(self, X: np.ndarray, y: np.ndarray) -> RiverModel:
        t0 = time.perf_counter()
        new = RiverModel(self.estimator.clone(), features=self.features)
        new.learn(X, y)
        new.fit_seconds = 0.0
        self.fit_seconds += time.perf_counter() - t0
        return new


class SklearnModel(Model):
    """A scikit-learn estimator refit from scratch on each retrain's rows.

    Parameters
    ----------
    estimator
        An unfitted scikit-learn estimator (cloned for every fit).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> m = SklearnModel(LogisticRegression())
    >>> X = np.array([[1.0], [-1.0]] * 20); y = np.array([1, 0] * 20)
    >>> m.retrain(X, y).predict(np.array([[3.0], [-3.0]])).tolist()
    [1, 0]
    """

    online = False

    def __init__(self, estimator: Any) -> None:
        if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
            raise TypeError(f"SklearnModel: estimator must have fit and predict (a scikit-learn estimator), "
                            f"got {type(estimator).__name__}.")
        self.estimator = estimator
        self.fitted = None
        self.fit_seconds = 0.0

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.fitted is None:
            raise RuntimeError("SklearnModel: predict before any fit; the replay fits it on the warm-up rows first.")
        return np.asarray(self.fitted.predict(X))

    def retrain(self, X: np.ndarray, y: np.ndarray) -> SklearnModel:
        from sklearn.base import clone

        t0 = time.perf_counter()
        new = SklearnModel(self.estimator)
        try:
            new.fitted = clone(self.estimator).fit(X, y)
        except ValueError as err:
            raise ValueError(f"SklearnModel: refitting {type(self.estimator).__name__} on {len(y)} rows failed "
                             f"({err}); widen the training window (window=) or wait for more labels.") from err
        self.fit_seconds += time.perf_counter() - t0
        return new


class TorchMLP:
    """A small multilayer perceptron classifier in torch with a scikit-learn interface.

    Full-batch Adam on standardised features, seeded; enough to replay a neural model
    cheaply. Use it through :class:`SklearnModel` (``as_model`` does).

    Parameters
    ----------
    hidden
        Width of each hidden layer.
    epochs
        Passes over the training rows.
    lr
        Adam's learning rate.
    seed
        Seeds torch's initialisation.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [-1.0, 0.0]] * 50); y = np.array([1, 0] * 50)
    >>> TorchMLP(epochs=50).fit(X, y).predict(np.array([[2.0, 0.0], [-2.0, 0.0]])).tolist()
    [1, 0]
    """

    _estimator_type = "classifier"

    def __init__(self, *, hidden: tuple[int, ...] = (32,), epochs: int = 100, lr: float = 0.01, seed: int = 0) -> None:
        if not hidden or any((not isinstance(h, int)) or h < 1 for h in hidden):
            raise ValueError(f"TorchMLP: hidden must be a non-empty tuple of positive layer widths, got {hidden!r}.")
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"TorchMLP: epochs must be a positive integer, got {epochs!r}.")
        if not lr > 0:
            raise ValueError(f"TorchMLP: lr must be > 0, got {lr!r}.")
        self.hidden, self.epochs, self.lr, self.seed = tuple(hidden), epochs, lr, seed

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"hidden": self.hidden, "epochs": self.epochs, "lr": self.lr, "seed": self.seed}

    def set_params(self, **params: Any) -> TorchMLP:
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def fit(self, X: np.ndarray, y: np.ndarray) -> TorchMLP:
        from mlmon._optional import require

        torch = require("torch", needed_by="TorchMLP")
        X = np.asarray(X, dtype=np.float32)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        gen = torch.Generator().manual_seed(int(self.seed))
        layers, width = [], X.shape[1]
        for h in self.hidden:
            lin = torch.nn.Linear(width, h)
            _init(lin, gen)
            layers += [lin, torch.nn.ReLU()]
            width = h
        out = torch.nn.Linear(width, len(self.classes_))
        _init(out, gen)
        self.net_ = torch.nn.Sequential(*layers, out)
        xt = torch.from_numpy((X - self.mean_) / self.scale_)
        yt = torch.from_numpy(codes.astype(np.int64))
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(self.epochs):
            opt.zero_grad()
            loss = loss_fn(self.net_(xt), yt)
            loss.backward()
            opt.step()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        xt = torch.from_numpy(((np.asarray(X, dtype=np.float32) - self.mean_) / self.scale_).astype(np.float32))
        with torch.no_grad():
            return self.classes_[self.net_(xt).argmax(dim=1).numpy()]


def _init(layer: Any, gen: Any) -> None:
    import torch

    bound = 1.0 / np.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=gen)
        layer.bias.uniform_(-bound, bound, generator=gen)


class FactoryModel(Model):
    """Any model built by a function of yours: each retrain calls ``factory()`` and fits it.

    The object ``factory()`` returns needs ``fit(X, y)`` and ``predict(X)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> m = FactoryModel(lambda: KNeighborsClassifier(n_neighbors=3))
    >>> X = np.array([[1.0], [-1.0]] * 10); y = np.array([1, 0] * 10)
    >>> m.retrain(X, y).predict(np.array([[2.0], [-2.0]])).tolist()
    [1, 0]
    """

    online = False

    def __init__(self, factory: Any) -> None:
        if not callable(factory):
            raise TypeError(f"FactoryModel: factory must be a function returning a model, got {type(factory).__name__}.")
        self.factory = factory
        self.fitted = None
        self.fit_seconds = 0.0

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.fitted is None:
            raise RuntimeError("FactoryModel: predict before any fit; the replay fits it on the warm-up rows first.")
        return np.asarray(self.fitted.predict(X))

    def retrain(self, X: np.ndarray, y: np.ndarray) -> FactoryModel:
        est = self.factory()
        if not (hasattr(est, "fit") and hasattr(est, "predict")):
            raise TypeError(f"FactoryModel: factory() returned a {type(est).__name__}, which lacks fit and predict.")
        new = FactoryModel(self.factory)
        new.fitted = est.fit(X, y) or est
        return new


def as_model(model: Any) -> Model:
    """Wrap a river estimator, a scikit-learn estimator or a :class:`Model` for a replay.

    Each call returns a fresh adapter around a copy, so a replay never changes the
    caller's object.

    Examples
    --------
    >>> from river import tree
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> type(as_model(tree.HoeffdingTreeClassifier())).__name__, type(as_model(DecisionTreeClassifier())).__name__
    ('RiverModel', 'SklearnModel')
    >>> type(as_model(lambda: DecisionTreeClassifier(max_depth=3))).__name__
    'FactoryModel'

    """
    if isinstance(model, Model):
        return copy.deepcopy(model)
    if hasattr(model, "learn_one") and hasattr(model, "predict_one"):
        return RiverModel(model.clone())
    if hasattr(model, "fit") and hasattr(model, "predict"):
        return SklearnModel(model)
    if callable(model) and not isinstance(model, type):
        return FactoryModel(model)
    raise TypeError(f"model must be a river estimator (learn_one/predict_one), a scikit-learn estimator "
                    f"(fit/predict), a function returning a model, or an mlmon.retraining.Model; "
                    f"got {type(model).__name__}.")
