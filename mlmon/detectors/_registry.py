"""The detector registry: the conformance suite, the CLI and experiment specs find detectors here."""

from __future__ import annotations

from typing import TypeVar

from mlmon.base import BaseDetector

T = TypeVar("T", bound=type[BaseDetector])

REGISTRY: dict[str, type[BaseDetector]] = {}


def register(cls: T) -> T:
    """Class decorator adding a detector class to the registry under its class name.

    A registered detector is found by name (specs, the CLI) and is run through the
    conformance suite automatically. Registering the same class twice is harmless; another
    class under a taken name is refused.

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> register(PageHinkley) is PageHinkley
    True
    """
    name = cls.__name__
    if name in REGISTRY and REGISTRY[name] is not cls:
        raise ValueError(f"a detector named {name!r} is already registered")
    REGISTRY[name] = cls
    return cls


def get(name: str) -> type[BaseDetector]:
    """The detector class registered under ``name``.

    Examples
    --------
    >>> from mlmon.detectors import get
    >>> get("PageHinkley").__name__
    'PageHinkley'
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"no detector named {name!r}; registered detectors are {sorted(REGISTRY)}"
        ) from None


def make(name: str, **params) -> BaseDetector:
    """Build a registered detector from its name and parameters.

    Examples
    --------
    >>> from mlmon.detectors import make
    >>> make("CUSUM", threshold=8.0)
    CUSUM(threshold=8.0)
    """
    return get(name)(**params)
