"""A real browser: Playwright drives Debian's Chromium (it cannot download its own here),
runs Generate and Inpaint through the UI and checks that a result image appears."""
import shutil
import socket
import time

import pytest
from PIL import Image

from app import build_demo
from synth.app.common import DISPLAY_CSS

from .test_build import stub_store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def url():
    import app
    saved = app.example_images
    app.example_images = lambda s, n=6: []
    demo = build_demo(stub_store())
    demo.queue()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=DISPLAY_CSS, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()
    app.example_images = saved


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
def test_generate_and_inpaint_in_the_browser(url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    upload = tmp_path / "upload.png"
    Image.new("RGB", (64, 64), (30, 120, 200)).save(upload)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            page.get_by_role("button", name="Generate", exact=True).click()
            page.locator("#generate-result img").wait_for(timeout=60_000)

            page.get_by_role("tab", name="Inpaint").click()
            editor = page.locator("#inpaint-editor")
            editor.locator("input[type=file]").set_input_files(str(upload))
            editor.get_by_role("button", name="Brush").first.click()
            time.sleep(0.5)
            box = editor.locator("canvas").first.bounding_box()
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(cx - 30, cy - 30)
            page.mouse.down()
            for k in range(10):
                page.mouse.move(cx - 30 + 6 * k, cy - 30 + 6 * k)
            page.mouse.up()
            page.get_by_role("button", name="Inpaint", exact=True).click()
            result = page.locator("#inpaint-result img")
            result.wait_for(timeout=60_000)
            assert result.get_attribute("src")
        finally:
            browser.close()
