"""Drift on embeddings: encode each row, then test the embeddings with MMD.

Rabanser, Günnemann and Lipton (2019, "Failing loudly") found that reducing the dimension
with an *untrained* autoencoder's encoder, then running a kernel two-sample test on the
codes, detects shifts in high-dimensional data about as well as trained representations.
:class:`Embedding` does that by default, with a small random encoder; pass your own encoder
(e.g. the penultimate layer of the monitored model) to test drift in the space the model
works in.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon.base import BaseDetector
from mlmon.detectors._multivariate import (
    WindowedRows,
    _check_permutations,
    _check_sigma_param,
    mmd_prepare,
    mmd_window_test,
)
from mlmon.detectors._registry import register

__all__ = ["Embedding", "RandomEncoder"]


class RandomEncoder:
    """An untrained encoder ``x -> W2 relu(W1 x + b1) + b2``, weights drawn from a seed.

    The layers are initialised as torch initialises ``nn.Linear`` (uniform on
    ``+-1/sqrt(fan_in)``), the "untrained autoencoder" of Rabanser et al. (2019); inputs are
    standardised with the reference's mean and standard deviation first. It runs in numpy,
    so the default :class:`Embedding` needs no torch.

    Parameters
    ----------
    n_features, hidden_dim, embedding_dim
        Input width, hidden width and code width.
    mean, scale
        Per-feature standardisation applied before the first layer.
    seed
        Seed of the weights.

    Examples
    --------
    >>> enc = RandomEncoder(3, 16, 4, mean=np.zeros(3), scale=np.ones(3), seed=0)
    >>> enc(np.ones((5, 3))).shape
    (5, 4)
    """

    def __init__(self, n_features: int, hidden_dim: int, embedding_dim: int, *,
                 mean: np.ndarray, scale: np.ndarray, seed: int | None):
        rng = np.random.default_rng(seed)
        b1, b2 = 1.0 / math.sqrt(n_features), 1.0 / math.sqrt(hidden_dim)
        self.w1_ = rng.uniform(-b1, b1, (n_features, hidden_dim))
        self.c1_ = rng.uniform(-b1, b1, hidden_dim)
        self.w2_ = rng.uniform(-b2, b2, (hidden_dim, embedding_dim))
        self.c2_ = rng.uniform(-b2, b2, embedding_dim)
        self.mean_, self.scale_ = mean, scale

    def __call__(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean_) / self.scale_
        return np.maximum(z @ self.w1_ + self.c1_, 0.0) @ self.w2_ + self.c2_


def _encode(encoder: Any, x: np.ndarray) -> np.ndarray:
    """Codes of the rows of ``x`` as a float64 ``(n, k)`` array."""
    if hasattr(encoder, "parameters") and hasattr(encoder, "forward"):  # a torch module
        import torch

        params = list(encoder.parameters())
        dtype = params[0].dtype if params else torch.float32
        device = params[0].device if params else torch.device("cpu")
        with torch.no_grad():
            out = encoder(torch.as_tensor(x, dtype=dtype, device=device))
        out = out.detach().cpu().numpy()
    else:
        out = encoder(x)
    out = np.asarray(out, dtype=np.float64)
    if out.ndim != 2 or out.shape[0] != x.shape[0]:
        raise ValueError(
            f"Embedding: the encoder must map (n, d) rows to (n, k) codes; it returned shape "
            f"{out.shape} for {x.shape[0]} rows."
        )
    if not np.all(np.isfinite(out)):
        raise ValueError("Embedding: the encoder returned NaN or infinite codes.")
    return np.ascontiguousarray(out)


@register
class Embedding(WindowedRows, BaseDetector):
    """MMD permutation test on embeddings of the rows, from a given or a random encoder.

    Every test encodes the reference rows (once, when the reference is fitted or collected)
    and the window's rows, then runs the windowed MMD test of :class:`MMD` on the codes.

    Parameters
    ----------
    encoder
        A callable mapping a ``(n, d)`` float64 array to ``(n, k)`` codes, or a
        ``torch.nn.Module`` (called without gradients on a tensor of its parameters' dtype and
        device). It should be deterministic (e.g. a module in ``eval()`` mode). None: a
        :class:`RandomEncoder` (``d -> hidden_dim -> embedding_dim``, ReLU) drawn from ``seed``.
    embedding_dim, hidden_dim
        Widths of the default encoder (ignored with an ``encoder``).
    alpha
        Significance level of each test: drift when ``pvalue < alpha``.
    window_size, reference_size, step
        Windowing, as for :class:`MMD`.
    sigma
        Kernel bandwidth on the codes; None: the median heuristic on the reference's codes.
    n_permutations
        Permutations behind each p-value.
    backend
        Where the permutation product runs (``"numpy"``, ``"torch"`` or ``"auto"``).
    reset_on_drift
        After an alarm, go back to the just-fitted state.
    seed
        Seed of the default encoder's weights and of the permutations.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors._embedding import Embedding
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(size=(300, 20)), rng.normal(0.5, 1.0, (100, 20))])
    >>> Embedding(window_size=50, reference_size=200, backend="numpy").run(x).first
    349
    """

    threshold_param = "alpha"
    threshold_direction = "below"

    def __init__(
        self,
        *,
        encoder: Any = None,
        embedding_dim: Annotated[int, Ge(1)] = 8,
        hidden_dim: Annotated[int, Ge(1)] = 32,
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.01,
        window_size: Annotated[int, Ge(2)] = 100,
        reference_size: Annotated[int, Ge(2)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        sigma: float | None = None,
        n_permutations: Annotated[int, Ge(1)] = 100,
        backend: Literal["auto", "numpy", "torch"] = "auto",
        reset_on_drift: bool = True,
        seed: int | None = 0,
    ):
        self.encoder = encoder
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.alpha = alpha
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.sigma = sigma
        self.n_permutations = n_permutations
        self.backend = backend
        self.reset_on_drift = reset_on_drift
        self.seed = seed
        super().__init__()

    def _check_params(self) -> None:
        self._check_windowing()
        if self.encoder is not None and not callable(self.encoder):
            raise TypeError(f"Embedding: parameter 'encoder' must be callable (a function or a "
                            f"torch.nn.Module) or None, got {type(self.encoder).__name__}.")
        _check_sigma_param(self)
        _check_permutations(self)

    def _prepare(self, reference: np.ndarray) -> tuple:
        encoder = self.encoder
        if encoder is None:
            scale = reference.std(axis=0, ddof=1)
            encoder = RandomEncoder(reference.shape[1], self.hidden_dim, self.embedding_dim,
                                    mean=reference.mean(axis=0),
                                    scale=np.where(scale > 0, scale, 1.0), seed=self.seed)
        codes = _encode(encoder, reference)
        return encoder, mmd_prepare(codes, sigma=self.sigma, kernel="rbf")

    def _evaluate(self, prepared: tuple, window: np.ndarray,
                  rng: np.random.Generator) -> tuple[float, float]:
        encoder, mmd_state = prepared
        return mmd_window_test(mmd_state, _encode(encoder, window), rng, kernel="rbf",
                               n_permutations=self.n_permutations, backend=self.backend)

    @classmethod
    def _test_instances(cls) -> list[Embedding]:
        return [cls(window_size=30, reference_size=60, n_permutations=100, backend="numpy"),
                cls(embedding_dim=2, alpha=0.05, window_size=20, reference_size=40, step=7,
                    n_permutations=30, backend="numpy", reset_on_drift=False)]
