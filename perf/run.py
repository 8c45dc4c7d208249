"""Run every speed benchmark in perf/ (by hand; `make perf`). Numbers go in perf/README.md."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("streaming.py", "windowed.py", "curve.py"):  # mmd.py and monitor.py need their own environments (see their docstrings)
    print(f"\n$ python perf/{script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
