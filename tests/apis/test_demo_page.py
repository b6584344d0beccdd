"""The demo page (``hhir ui``) in a real headless Chromium: upload, wait, read the panels.

Serves two tiny trained runs (LLM-AR and OV-HHIR minis, see conftest) on a loopback port,
drives Debian's Chromium through Playwright (no browser download), uploads the real NTU hug
clip and a raw ``.skeleton`` file, and checks what the result panels show. Screenshots go
to the test's tmp dir (and to ``$HHIR_SCREENSHOT_DIR`` when set).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import FIXTURES, PYTHON, REPO

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SKELETON_FILE = FIXTURES / "ntu" / "S001C001P001R001A001.skeleton"
HUG_CLIP = FIXTURES / "video" / "ntu_two_person_hug.avi"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def page_url(llm_ar_work_dir, ov_hhir_work_dir, tmp_path_factory):
    pytest.importorskip("gradio", reason="the hhir[ui] extra (gradio) is not installed")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} absent (apt-get install chromium)")
    port = _free_port()
    log = tmp_path_factory.mktemp("ui") / "server.log"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="2",
               GRADIO_ANALYTICS_ENABLED="False")
    with open(log, "w") as out:
        server = subprocess.Popen([PYTHON, "-m", "hhir_core.cli", "ui", str(llm_ar_work_dir),
                                   str(ov_hhir_work_dir), "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 300
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                pytest.fail(f"the demo page did not come up: {log.read_text()[-3000:]}")
            time.sleep(1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode is not None  # stopped


@pytest.fixture()
def browser_page(page_url, tmp_path):
    from playwright.sync_api import sync_playwright

    requests = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_url, wait_until="networkidle")
        yield page
        browser.close()
    hosts = {u.split("/")[2] for u in requests if u.startswith(("http://", "https://"))}
    assert hosts == {page_url.split("/")[2]}, f"the page contacted other hosts: {hosts}"


def _screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("HHIR_SCREENSHOT_DIR"):
        shutil.copy(path, Path(os.environ["HHIR_SCREENSHOT_DIR"]) / f"ui_{name}.png")
    return path


def _top5(page, elem: str) -> list:
    """Class names in a gr.Label panel (its rows are 'name ... NN%')."""
    text = page.locator(f"#{elem}").inner_text()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [lines[i - 1] for i, line in enumerate(lines) if line.endswith("%") and i > 0]


def test_skeleton_and_zoo_tabs(browser_page, tmp_path, llm_ar_work_dir):
    from hhir_core.config import load_config

    page = browser_page
    page.get_by_text("hhir — try a trained model").wait_for()
    page.get_by_role("tab", name="Skeleton").click()
    page.locator("#skeleton-input input[type=file]").set_input_files(str(SKELETON_FILE))
    page.locator("#skeleton-input").get_by_text(".skeleton").first.wait_for()
    page.locator("#skeleton-run-button").click()
    page.locator("#skeleton-status").get_by_text("ground truth: drink water").wait_for(timeout=300_000)
    classes = load_config(str(REPO / "configs" / "llm_ar_ntu120_mini.py")).model.classes
    from hhir_core.data.ntu_classes import ntu120_classes

    names = {ntu120_classes()[c] for c in classes}
    top = _top5(page, "skeleton-top5")
    assert len(top) == 5 and set(top) <= names, top
    codes = [t for t in page.locator("#skeleton-codes").inner_text().split() if t.isdigit()]
    assert len(codes) == 8 and all(0 <= int(c) < 512 for c in codes)
    assert page.locator("#skeleton-sentence img").count() == 1
    assert page.locator("#skeleton-view img").count() == 1
    _screenshot(page, tmp_path, "skeleton")

    # a validation sample from the run's own data
    page.locator("#skeleton-input button[aria-label='Clear']").first.click()
    page.locator("#skeleton-sample input").click()
    option = page.get_by_role("option").nth(1)
    picked = option.inner_text().strip()          # "frame_dir (class name)"
    option.click()
    frame_dir, truth = picked.split(" ")[0], picked[picked.index("(") + 1:-1]
    page.locator("#skeleton-run-button").click()
    page.wait_for_function(
        "([sel, name]) => { const t = document.querySelector(sel).innerText;"
        " return t.includes(name + ':') && !t.includes('queue'); }",
        arg=["#skeleton-status", frame_dir], timeout=300_000)
    assert page.locator("#skeleton-status").inner_text().strip().endswith(f"ground truth: {truth}")

    page.get_by_role("tab", name="Zoo").click()
    table = page.locator("#zoo-table")
    table.get_by_text("configs/llm_ar_ntu120_mini.py").first.wait_for()
    assert "configs/ov_hhir_synthetic_mini.py" in table.inner_text()
    page.locator("#zoo-plots img").first.wait_for(timeout=60_000)  # the run's codebook plot
    _screenshot(page, tmp_path, "zoo")


def test_video_tab_on_the_real_hug_clip(browser_page, tmp_path):
    from hhir_core.config import load_config

    page = browser_page
    page.get_by_role("tab", name="Video").click()
    page.locator("#video-input input[type=file]").set_input_files(str(HUG_CLIP))
    page.locator("#video-input video").first.wait_for(timeout=60_000)
    page.locator("#video-run-button").click()
    # progress: the step being run is shown while it runs (segmentation takes seconds)
    page.get_by_text("segmenting two people").first.wait_for(timeout=600_000)
    page.locator("#video-branches img").wait_for(timeout=900_000)
    status = page.locator("#video-status").inner_text()
    assert " s" in status and "Error" not in status, status
    names = set(load_config(str(REPO / "configs" / "ov_hhir_synthetic_mini.py")).class_names)
    top = _top5(page, "video-top5")
    assert len(top) == 5 and set(top) <= names, top
    assert page.locator("#video-text textarea").input_value().strip()
    assert page.locator("#video-overlay img").count() == 4
    assert "visualisation" in page.locator("#video-file").inner_text()
    _screenshot(page, tmp_path, "video")
