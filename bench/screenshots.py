"""Screenshots of every tab at its defaults, as a visitor sees them: the app on the bundled models, each tab's primary
button clicked once, the page captured when its result is in, on a desktop (1400 x 1000) and on a phone (390 x 844,
the first screen and the whole page). For looking at the demo before a default changes; nothing is committed.

    python -m bench.screenshots --out /tmp/screens [--tabs Colorize Generate] [--compare]
"""
from __future__ import annotations

import argparse
import shutil
import socket
from pathlib import Path

from app import QUEUE, TABS, build_demo
from synth.app.store import ModelStore
from synth.app.widgets import DISPLAY_CSS

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# every image of the tab's panel has loaded (Gradio fetches result images after the status line is written)
IMAGES_LOADED = """(endpoint) => {
  const panel = document.querySelector(`#${endpoint}-result`)?.closest('[role=tabpanel]');
  return !!panel && [...panel.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0);
}"""
VIEWPORTS = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}


def main():
    from playwright.sync_api import sync_playwright
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=Path("/tmp/screens"))
    p.add_argument("--tabs", nargs="+", default=None, help="tab titles (default: every tab)")
    p.add_argument("--compare", action="store_true", help="tick 'compare with the standard model' first")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for a result")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    demo = build_demo(ModelStore(published=False))
    demo.queue(**QUEUE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=DISPLAY_CSS, quiet=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        for view, size in VIEWPORTS.items():
            page = browser.new_page(viewport=size)
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab").first.wait_for(timeout=60_000)  # the app has rendered, not "Loading..."
            page.screenshot(path=str(args.out / f"landing-{view}.png"))
            for title, tab in TABS:
                if args.tabs and title not in args.tabs:
                    continue
                endpoint = tab.__name__.rsplit(".tab_", 1)[1]
                tab_button = page.get_by_role("tab", name=title, exact=True)
                if not tab_button.is_visible():  # a narrow screen folds the last tabs into an overflow menu
                    page.locator(".overflow-menu button, button.overflow-menu").first.click()
                    tab_button = page.get_by_role("tab", name=title, exact=True).or_(page.get_by_role("button", name=title, exact=True))
                tab_button.first.click()
                panel = page.locator(f"#{endpoint}-result").locator("xpath=ancestor::div[@role='tabpanel']").first
                if args.compare:
                    panel.get_by_label("compare with the standard (non-robust) model").check()
                panel.get_by_role("button", name=tab.BUTTON, exact=True).click()
                page.locator(f"#{endpoint}-status").filter(has_text="Done").first.wait_for(timeout=args.timeout * 1000)
                # the result images fetched too (a full-page capture does not scroll: images below a phone's first
                # screen, lazily loaded, are asked for now, as a visitor's scrolling would)
                page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach((img) => { img.loading = 'eager'; })")
                page.wait_for_function(IMAGES_LOADED, arg=endpoint, timeout=30_000)
                name = f"{endpoint}-{view}" + ("-compare" if args.compare else "")
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
                if view == "phone":
                    page.screenshot(path=str(args.out / f"{name}-first-screen.png"))
                print("wrote", name, flush=True)
            page.close()
        browser.close()
    demo.close()


if __name__ == "__main__":
    main()
