"""A run folder (of `netsim run` or `netsim paths`) belongs to the run writing it.

Before a run writes into a folder, the outputs an earlier run left there are removed:
every table and page netsim writes, `analysis/`, and the captures and names table in
`pcap/` (a symlink among them is unlinked, never followed). Files netsim does not write are left alone. So a folder never
mixes an earlier run's results with a new manifest. A folder that holds files with these
names but no manifest of a run is not netsim's: the run is refused, nothing is removed.

Whether a folder's run finished: manifest `status` ok; failed; or running, where the
manifest's `pid` and `host` tell a live run from one that was killed (SIGKILL, power
loss): `incomplete` says which.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

from netsim.errors import NetsimError
from netsim.files import io_reason

# Files that netsim run / paths / view / link-budget write into a run folder.
OUTPUT_FILES = ("manifest.json", "flows.csv", "accounting.csv", "handovers.csv", "links.csv", "rtt.csv", "path_changes.csv",
                "tcp.csv", "ping.csv", "ping_probes.csv", "link_traffic.csv", "flowmon.xml", "flowmon.csv",
                "view.html", "rtt.png", "paths_map.png", "requests.csv", "jobs.csv", "storage.csv",
                "load_links.csv", "load_summary.csv", "load_demands.csv")
OUTPUT_DIRS = ("analysis",)
CAPTURES_DIR = "pcap"  # its captures (*.pcap, *.pcapng) and index.csv go; other files stay


def _lexists(path: Path) -> bool:
    return path.is_symlink() or path.exists()


def check_run_folder(run_dir: Path) -> None:
    """NetsimError when run_dir holds files with netsim's output names but is no run folder
    of netsim (no manifest.json of a run): they might be someone else's, so nothing is
    removed and the run is refused. A missing or empty folder, or one without such
    files, is fine."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    found = [name for name in OUTPUT_FILES if _lexists(run_dir / name)]
    found += [name for name in OUTPUT_DIRS if (run_dir / name).is_symlink()
              or ((run_dir / name).is_dir() and any((run_dir / name).iterdir()))]
    if not found:
        return
    manifest_file = run_dir / "manifest.json"
    manifest = None if manifest_file.is_symlink() else read_manifest(run_dir)
    if manifest is None or "status" not in manifest or "scenario" not in manifest:
        raise NetsimError(f"--out: {run_dir} holds {found[0]} but is no netsim run folder (no manifest.json of a "
                          "run); give a new or empty folder, or a run folder to replace")


def clear_outputs(run_dir: Path) -> None:
    """Remove an earlier run's outputs from run_dir (see the module doc)."""
    run_dir = Path(run_dir)
    check_run_folder(run_dir)
    try:
        for entry in run_dir.iterdir():
            name = entry.name
            stale = name in OUTPUT_FILES or (name.startswith(".") and name.endswith(".partial")) \
                or name.endswith(".partial") and name.split(".partial")[0] in OUTPUT_FILES
            if name == CAPTURES_DIR and entry.is_dir() and not entry.is_symlink():
                for capture in entry.iterdir():
                    if capture.name.endswith((".pcap", ".pcapng")) or capture.name.startswith("index.csv"):
                        if capture.is_symlink() or capture.is_file():
                            capture.unlink()  # a symlink goes, its target stays
            elif name in OUTPUT_DIRS:
                if entry.is_symlink() or not entry.is_dir():
                    entry.unlink()
                else:
                    shutil.rmtree(entry)
            elif stale and (entry.is_symlink() or entry.is_file()):
                entry.unlink()
    except OSError as err:
        raise NetsimError(f"{run_dir}: cannot clear the outputs of an earlier run: {io_reason(err)}") from None


def read_manifest(run_dir: Path) -> dict | None:
    try:
        manifest = json.loads((Path(run_dir) / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, OverflowError):
        return False
    return True


def incomplete(manifest: dict | None) -> str | None:
    """None for a finished run (status ok) or no manifest; else why the run is incomplete,
    in words: failed (with its error), killed (its process is gone), or still running."""
    if manifest is None:
        return None
    status = manifest.get("status")
    if status == "ok":
        return None
    if status == "failed":
        error = str(manifest.get("error") or "no error recorded").splitlines()[0]
        return f"incomplete run (status failed: {error})"
    pid, host = manifest.get("pid"), manifest.get("host")
    if status == "running" and isinstance(pid, int) and host == socket.gethostname():
        if not process_alive(pid):
            return f"incomplete run (process {pid} no longer running)"
        return f"incomplete run (still running as process {pid})"
    if status == "running" and isinstance(pid, int):
        return f"incomplete run (status running, process {pid} on host {host})"
    return f"incomplete run (status {status!r})"


def killed(manifest: dict | None) -> bool:
    """A run that says running but whose process (on this host) is gone."""
    if not manifest or manifest.get("status") != "running":
        return False
    pid = manifest.get("pid")
    return isinstance(pid, int) and manifest.get("host") == socket.gethostname() and not process_alive(pid)


def write_failed_manifest(run_dir: Path, manifest: dict) -> None:
    """Record a failed run (manifest status failed) even on a full disk: a new manifest
    renamed into place, or else the old one rewritten in place without the traceback
    (its blocks are already allocated). Never raises: the caller reports the failure."""
    from netsim.run import outputs

    try:
        outputs.write_manifest(run_dir, manifest)
        return
    except (OSError, NetsimError):
        pass
    text = json.dumps({k: v for k, v in manifest.items() if k != "traceback"}, indent=1, sort_keys=True) + "\n"
    try:
        fd = os.open(Path(run_dir) / "manifest.json", os.O_WRONLY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        os.write(fd, text.encode())
        os.ftruncate(fd, len(text.encode()))
    except OSError:
        pass
    finally:
        os.close(fd)
