"""The default run's page in a real browser: headless Chromium (Debian's, driven through
playwright) loads it from disk, draws the globe and the paths, makes no request, and the
console shows no JavaScript error, also after moving the slider and switching the link
colouring. Skipped where Chromium cannot be installed; under CI=true it must run."""

from __future__ import annotations

import os

import numpy as np
import pytest

from netsim.view import write_view
from netsim.view.browser import find_chromium
from netsim.view.page import LAND, OCEAN, PATH_COLOURS

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def browser():
    """Checked before the run fixture is built, so a skip costs nothing."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
    if find_chromium() is None:
        missing.append("a Chromium binary (scripts/setup.sh installs Debian's chromium as root)")
    if missing:
        message = "no headless browser: missing " + " and ".join(missing)
        if IN_CI:
            pytest.fail(message + "; under CI=true the browser test must run")
        pytest.skip(message)


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _pixels_near(image: np.ndarray, hex_colour: str, tolerance: float = 12.0) -> int:
    return int((np.abs(image[..., :3] - _rgb(hex_colour)).max(axis=-1) <= tolerance).sum())


def test_default_run_page_draws_in_headless_chromium(browser, short_run, tmp_path):
    from matplotlib.image import imread

    from netsim.view.browser import open_page

    _, result = short_run
    page = write_view(result.run_dir, tmp_path / "default.html").path
    shot = tmp_path / "default.png"
    seen = {}

    def interact(tab):
        """Other frames, the other colouring, the flat map."""
        seen["frames"] = tab.evaluate("document.getElementById('view')._transitionData._frames.length")
        for frame in ("27", "39", "0"):
            tab.evaluate(f"Plotly.animate('view', ['{frame}'], {{mode: 'immediate', "
                         "frame: {duration: 0, redraw: true}, transition: {duration: 0}})")
            tab.wait_for_timeout(150)
        for label in ("links by utilisation", "map", "links by state", "globe"):
            tab.get_by_text(label, exact=True).click()
        tab.wait_for_timeout(300)
        seen["traces"] = tab.evaluate("document.querySelectorAll('.geo .scatterlayer .trace').length")

    report = open_page(page, shot, interact=interact)
    assert report.page_errors == [] and report.console_errors == []
    assert report.requests == []  # nothing fetched: no CDN, no map download
    assert report.title == "netsim view: default"
    assert seen == {"frames": 40, "traces": seen["traces"]} and seen["traces"] > 5

    image = imread(shot) * 255.0
    total = image.shape[0] * image.shape[1]
    assert _pixels_near(image, OCEAN) > 0.05 * total, "no globe (ocean) drawn"
    assert _pixels_near(image, LAND) > 0.02 * total, "no land drawn: the bundled map did not load"
    assert _pixels_near(image, PATH_COLOURS[0], 30) > 300, \
        "the first pair's path is not drawn (more than its legend swatch)"
