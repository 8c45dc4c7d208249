"""The README's Python example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README shows a Python example"
    out = subprocess.run([sys.executable, "-c", blocks[0]], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "detection_rate" in out.stdout
    assert (tmp_path / "configs" / "PageHinkley.json").is_file()


def test_readme_monitor_example_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert len(blocks) >= 2, "the README shows the Monitor example"
    out = subprocess.run([sys.executable, "-c", blocks[1]], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "('age',)" in out.stdout and (tmp_path / "configs" / "monitor.json").is_file()


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text()[:800]
    assert "make run" in head and "make test" in head
