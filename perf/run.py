"""Run every speed benchmark in perf/ (by hand; `make perf`). Numbers go in perf/README.md."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("streaming.py", "windowed.py", "curve.py"):
    print(f"\n$ python perf/{script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
