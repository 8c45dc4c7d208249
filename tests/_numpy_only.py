"""The prelude of a subprocess that may import the standard library, numpy and mlmon.runtime only.

A script starting with :data:`PRELUDE` records every other import it attempts in ``attempted``
(and fails it), and can report what it loaded with :data:`LOADED`.
"""

import textwrap

PRELUDE = textwrap.dedent("""
    import importlib.abc, json, sys
    before = set(sys.modules)
    # "org" is not a package: the standard library's copy module probes for Jython's org.python.core
    allowed = set(sys.stdlib_module_names) | {"numpy", "mlmon", "org"}
    attempted = []

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            ours = name == "mlmon" or name.startswith("mlmon.runtime")
            if top not in allowed or (top == "mlmon" and not ours):
                attempted.append(name)
                raise ImportError(f"{name} is blocked: the runtime must need numpy only")
            return None

    sys.meta_path.insert(0, Block())
""")

#: an expression listing the non-standard-library modules the script loaded
LOADED = "sorted(m for m in set(sys.modules) - before if m.split('.')[0] not in sys.stdlib_module_names)"
