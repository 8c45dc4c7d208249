"""The threshold tuner as a user meets it: JupyterLab in headless Chromium, a slider dragged by mouse.

Needs JupyterLab and Playwright (the `notebooks` and `browser` extras, which `make test` installs)
and Debian's Chromium at /usr/bin/chromium (`.ci/run` installs it; Playwright's own browser
download is not used). Where one is missing the test is skipped with the reason. Screenshots
go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "04_threshold_tuning_and_export.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("MLMON_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _missing() -> str | None:
    import importlib.util

    for module, extra in (("jupyterlab", "notebooks"), ("ipywidgets", "notebooks"), ("playwright", "browser")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[{extra}]'; make test installs it)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (f"Chromium not found at {CHROMIUM} (apt-get install -y chromium; .ci/run installs it, "
                "or set MLMON_CHROMIUM to another Chromium binary)")
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(_missing() is not None, reason=str(_missing()))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a loopback port, serving a copy of the notebook (autosave never touches the repo)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    port = _free_port()
    # user settings of its own: every cell kept in the page (JupyterLab otherwise detaches cells
    # scrolled out of view), and no news pop-up over the notebook
    settings = root / ".settings"
    for plugin, values in (("notebook-extension/tracker", '{"windowingMode": "none"}'),
                           ("apputils-extension/notification", '{"fetchNews": "false"}')):
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(values)
    env = dict(os.environ, MLMON_NOTEBOOK_SMALL="1", MPLBACKEND="Agg", JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"))
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
         "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
         "jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/lab", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"JupyterLab did not answer on {url}/lab:\n{(root / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_threshold_slider_moves_the_operating_point_in_the_browser(lab):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab}/lab/tree/{NOTEBOOK}", timeout=90_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=90_000)
            # Run > Run All Cells, as a user would
            page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
            page.click("div.lm-Menu-itemLabel:text-is('Run All Cells')")
            readout = page.wait_for_selector(".mlmon-readout table", timeout=240_000)
            handle = page.wait_for_selector(".mlmon-threshold .noUi-handle", timeout=60_000)
            handle.scroll_into_view_if_needed()
            page.wait_for_function("document.querySelector('.mlmon-figure') && "
                                   "document.querySelector('.mlmon-figure').src.length > 0", timeout=60_000)
            before_text = readout.inner_text()
            before_src = page.eval_on_selector(".mlmon-figure", "el => el.src")
            page.screenshot(path=str(ARTIFACTS / "tuner-before.png"), full_page=False)

            # drag the threshold handle a third of the track to the left
            track = page.query_selector(".mlmon-threshold .noUi-target").bounding_box()
            box = handle.bounding_box()
            x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x0, y0)
            page.mouse.down()
            page.mouse.move(x0 - track["width"] / 3, y0, steps=12)
            page.mouse.up()
            page.wait_for_function(
                "before => { const t = document.querySelector('.mlmon-readout table');"
                " return t && t.innerText !== before; }", arg=before_text, timeout=30_000)
            page.wait_for_function("before => document.querySelector('.mlmon-figure').src !== before",
                                   arg=before_src, timeout=30_000)
            after_text = page.inner_text(".mlmon-readout table")
            page.screenshot(path=str(ARTIFACTS / "tuner-after.png"), full_page=False)
            page.locator(".mlmon-tuner").screenshot(path=str(ARTIFACTS / "tuner-widget-after.png"))
        finally:
            browser.close()

    def field(text: str, label: str) -> str:
        line = next(ln for ln in text.splitlines() if ln.startswith(label))
        return line[len(label):].strip()

    # the operating point moved: another threshold, with a smaller ARL (more sensitive)
    t0, t1 = float(field(before_text, "threshold")), float(field(after_text, "threshold"))
    assert t1 < t0
    arl0 = float(field(before_text, "ARL (samples to a false alarm)").split()[0].replace(",", ""))
    arl1 = float(field(after_text, "ARL (samples to a false alarm)").split()[0].replace(",", ""))
    assert arl1 < arl0
    assert (ARTIFACTS / "tuner-after.png").stat().st_size > 10_000
