"""Opening a view page in headless Chromium (the system's, never a downloaded one):
how long it takes to draw, what the console says, which requests it makes, and a
screenshot. Used by the tests, benchmarks/view.py and for the README's pictures; needs
the `playwright` package (test extra) and a Chromium binary (scripts/setup.sh installs
Debian's `chromium` where it can)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """NETSIM_CHROMIUM, else the first Chromium on PATH."""
    explicit = os.environ.get("NETSIM_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


@dataclass
class PageReport:
    open_s: float  # navigation start -> the page says the figure and its frames are drawn
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions
    requests: list[str] = field(default_factory=list)  # every URL the page asked for but itself
    title: str = ""


def open_page(page: Path, screenshot: Path | None = None, width: int = 1280, height: int = 900,
              timeout_s: float = 60.0, chromium: str | None = None, interact=None) -> PageReport:
    """Load the page from disk, wait until it has drawn, optionally save a PNG, then call
    interact(tab) (a playwright Page) if given; errors it causes land in the report too."""
    from playwright.sync_api import sync_playwright

    executable = chromium or find_chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium found (install Debian's chromium or set NETSIM_CHROMIUM)")
    url = Path(page).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="netsim-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=list(CHROMIUM_ARGS),
            viewport={"width": width, "height": height})
        try:
            tab = context.pages[0] if context.pages else context.new_page()
            report = PageReport(0.0)
            tab.on("console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: report.page_errors.append(str(e)))
            tab.on("request", lambda r: report.requests.append(r.url) if r.url != url else None)
            start = time.perf_counter()
            tab.goto(url, wait_until="load", timeout=timeout_s * 1e3)
            tab.wait_for_selector("body[data-netsim-ready='1']", state="attached", timeout=timeout_s * 1e3)
            report.open_s = time.perf_counter() - start
            report.title = tab.title()
            if screenshot is not None:
                tab.screenshot(path=str(screenshot))
            if interact is not None:
                interact(tab)
        finally:
            context.close()
    return report
