"""The one place that knows mlmon's optional dependencies and their pip extras."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

#: import name -> pip extra that installs it
EXTRAS: dict[str, str] = {
    "torch": "torch",
    "alibi_detect": "alibi",
    "ipywidgets": "notebooks",
    "jupyterlab": "notebooks",
    "dask": "dask",
}


def available(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it.

    Examples
    --------
    >>> available("numpy")
    True
    >>> available("surely_not_a_module_name")
    False
    """
    return importlib.util.find_spec(module) is not None


def require(module: str, *, needed_by: str) -> ModuleType:
    """Import ``module`` or raise an ImportError that says how to install it.

    Examples
    --------
    >>> require("numpy", needed_by="this example").__name__
    'numpy'
    >>> try:
    ...     require("surely_not_a_module_name", needed_by="this example")
    ... except ImportError as err:
    ...     print(str(err).split(".")[0])
    this example needs 'surely_not_a_module_name', which is not installed
    """
    if not available(module):
        extra = EXTRAS.get(module.split(".")[0])
        hint = f'pip install "mlmon[{extra}]"' if extra else f"pip install {module}"
        raise ImportError(
            f"{needed_by} needs {module!r}, which is not installed. Install it with: {hint}"
        )
    return importlib.import_module(module)
