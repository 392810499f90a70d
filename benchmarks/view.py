"""`netsim view` at scale: the seed fabric's page (topologies/seed-fabric.yaml, 1.218 M
satellites, one network-state snapshot) and the default run's page.

For each page: the wall time of the `netsim view` command (a fresh process, as a user
runs it: scenario load, network state, page), the page's size, and the time headless
Chromium (Debian's, through playwright, --disable-gpu) takes from navigation to the
figure and its frames being drawn; also the command's CPU time and peak memory.
Bars: seed fabric page written in <= 60 s, <= 30 MB, open in <= 10 s.

    python benchmarks/view.py [--quick] [--keep DIR] [--screenshots DIR]

--quick: the default run only (needs no seed-fabric memory; ~1 min). The default run
folder is made with `netsim run` in a temporary folder when runs/default is missing.
--screenshots DIR: also save the pages' screenshots (the README's pictures).
Prints `figure-name: value unit` lines.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NETSIM = [sys.executable, "-m", "netsim"]


def _timed(cmd: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s (user + system), peak RSS MB) of a child process. CPU time does not
    grow when other work shares the machine's two cores; wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024


def measure(label: str, source: Path, out: Path, screenshot: Path | None) -> None:
    from netsim.view.browser import open_page

    load = os.getloadavg()[0]
    wall, cpu, peak = _timed(NETSIM + ["view", str(source), "--out", str(out)])
    print(f"{label}-write: {wall:.1f} s (load average {load:.1f} before)", flush=True)
    print(f"{label}-write-cpu: {cpu:.1f} s", flush=True)
    print(f"{label}-write-peak-rss: {peak:.0f} MB", flush=True)
    print(f"{label}-page-size: {out.stat().st_size / 1e6:.2f} MB", flush=True)
    opens = [open_page(out, screenshot if k == 0 else None) for k in range(3)]
    if screenshot is not None:
        _shrink(screenshot)
    report = min(opens, key=lambda r: r.open_s)
    errors = report.console_errors + report.page_errors
    print(f"{label}-open-chromium: {report.open_s:.2f} s (best of 3; {max(r.open_s for r in opens):.2f} s worst)",
          flush=True)
    print(f"{label}-console-errors: {len(errors)}", flush=True)
    print(f"{label}-requests: {len(report.requests)}", flush=True)


def _shrink(png: Path) -> None:
    """A palette PNG (128 colours, no dithering): ~100 KB instead of ~400 KB for the docs."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(png, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the default run's page only")
    parser.add_argument("--keep", type=Path, help="write the pages into this folder and keep them")
    parser.add_argument("--screenshots", type=Path, help="save screenshots of the pages into this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netsim-view-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        shots = args.screenshots
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
        run_dir = Path("runs/default")  # relative to ROOT (the commands run there)
        if not (ROOT / run_dir / "manifest.json").is_file():
            run_dir = Path(tmp) / "default-run"
            subprocess.run(NETSIM + ["run", "topologies/default.yaml", "--out", str(run_dir), "--quiet"],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        measure("default-run", run_dir, folder / "default-run.html", shots / "view-default.png" if shots else None)
        if not args.quick:
            measure("seed-fabric", Path("topologies/seed-fabric.yaml"), folder / "seed-fabric.html",
                    shots / "view-seed-fabric.png" if shots else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
