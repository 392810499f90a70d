"""Capture files of a run (`RUN_DIR/pcap/`): file names, the names table, and the options
of ns3::PcapNgWriter (docs/traffic.md, "Capture files").

Node names are data, never paths: a capture is `pcap/INDEX-NAME-portN.pcapng`, where INDEX
is the node index (unique, so two names can never share a file) and NAME is the node name
with every character outside `A-Z a-z 0-9 _ . -` replaced by `_` (only a reading aid).
`pcap/index.csv` maps each file to its node, node index, port and link kind. The folder
must be a real folder (not a symlink); stale captures in it are removed (a symlink is
unlinked, never followed) and the C++ writer creates each file anew (O_EXCL|O_NOFOLLOW).

Timestamps are nanoseconds at the scenario's UTC `epoch` (simulation time 0 = epoch),
each interface says so in its comment (`TIME_ORIGIN_COMMENT`), which `netsim analyze`
reads to turn capture times back into simulation times.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np

from netsim.run import outputs
from netsim.errors import NetsimError

INDEX_FILE = "index.csv"
INDEX_COLUMNS = ("file", "node", "node_index", "port", "kind", "interface")
CAPTURE_SUFFIX = ".pcapng"
LINKTYPE_PPP = 9
# PPP 2 + IPv4 20 + TCP 20 + 12 bytes (a UDP payload's SeqTs header, or ns-3 TCP's
# timestamp option): every field netsim analyze reads is kept.
MIN_SNAPLEN = 54
MAX_SNAPLEN = 262144
DEFAULT_SNAPLEN = 65535
# pcapng timestamps are unsigned 64-bit nanoseconds since 1970: up to year 2554.
_LAST_EPOCH = dt.datetime(2500, 1, 1, tzinfo=dt.timezone.utc)
_UNIX = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# "netsim: simulation time 0 = 2026-01-01T00:00:00Z (1767225600000000000 ns since 1970-01-01 UTC)"
TIME_ORIGIN_COMMENT = "netsim: simulation time 0 = {iso} ({ns} ns since 1970-01-01 UTC)"
TIME_ORIGIN_PATTERN = re.compile(r"netsim: simulation time 0 = \S+ \((-?\d+) ns since 1970-01-01 UTC\)")


def capture_file_name(node_index: int, node_name: str, port: int) -> str:
    """File name of a port's capture: unique by node index, readable by node name."""
    return f"{int(node_index)}-{_UNSAFE.sub('_', node_name)[:48]}-port{int(port)}{CAPTURE_SUFFIX}"


def printable(name: str) -> str:
    """A name as text for Wireshark (control characters, NUL among them, become '?')."""
    return _CONTROL.sub("?", name)


def epoch_datetime(epoch: str) -> dt.datetime:
    """The scenario epoch (ISO 8601; UTC when it has no offset) as an aware datetime."""
    when = dt.datetime.fromisoformat(epoch)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def epoch_ns(epoch: str) -> int:
    """Nanoseconds from 1970-01-01 UTC to the scenario epoch."""
    delta = epoch_datetime(epoch) - _UNIX
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def epoch_problem(epoch: str) -> str | None:
    """Why the scenario epoch cannot be a capture timestamp, or None."""
    if not _UNIX <= epoch_datetime(epoch) <= _LAST_EPOCH:
        return (f"{epoch} cannot be a capture timestamp (pcapng counts nanoseconds from 1970-01-01 UTC); "
                "a run with captures needs an epoch from 1970 to 2500")
    return None


def writes_captures(scenario) -> bool:
    """Whether the run writes any capture file (outputs.pcap_nodes or outputs.pcap)."""
    return bool(scenario.outputs.pcap_nodes or scenario.outputs.pcap)


def check_scenario(scenario, path) -> None:
    """ScenarioError (file, key, what is allowed) when the scenario selects captures that
    cannot be written; call before the run."""
    from netsim.errors import ScenarioError

    if scenario.outputs.pcap_nodes or scenario.outputs.pcap:
        problem = epoch_problem(scenario.epoch)
        if problem:
            raise ScenarioError(path, "epoch", problem)


def check_folder(run_dir: Path) -> None:
    """NetsimError when RUN_DIR/pcap exists as a symlink or a file (creates nothing)."""
    folder = Path(run_dir) / "pcap"
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise NetsimError(f"{folder}: must be a folder, not a symlink or a file; remove it "
                          "(captures are written only into a real folder inside the run folder)")


def prepare_folder(run_dir: Path) -> Path:
    """RUN_DIR/pcap as a real folder without stale captures; NetsimError if it is a symlink
    or not a folder."""
    check_folder(run_dir)
    folder = Path(run_dir) / "pcap"
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.name.endswith((".pcap", CAPTURE_SUFFIX)) or entry.name.startswith(INDEX_FILE):
            if entry.is_symlink() or entry.is_file():
                entry.unlink()  # a symlink goes, its target stays
    return folder


class Captures:
    """The captures of one run: options pushed into the core once, then one pcapng file
    per selected laser port (`enable`), the names table, and failure checks."""

    def __init__(self, fabric, scenario, states, folder: Path, ranks=None):
        self.fabric, self.scenario, self.layout = fabric, scenario, states.layout
        self.folder = Path(folder)
        self.ranks = ranks  # a distributed run: rank 0 writes the names table
        self.rows: list[dict] = []
        self.enabled: set[tuple[int, int]] = set()
        lay = self.layout
        self.names = list(lay.satellite_names) + list(lay.ground_names)
        self.isl = states.isl  # fixed partners of the +Grid ports
        self._configured = False
        self._destinations = states.destinations

    def _configure(self) -> None:
        """Validate the options, then hand them to the core (once, before the first file)."""
        from netsim.run.traffic import ADDRESS_BASE

        scenario = self.scenario
        snap = scenario.outputs.pcap_snaplen_bytes
        if not MIN_SNAPLEN <= snap <= MAX_SNAPLEN:  # the scenario validator checks this too
            raise NetsimError(f"outputs.pcap_snaplen_bytes: {snap}; allowed {MIN_SNAPLEN}..{MAX_SNAPLEN}")
        problem = epoch_problem(scenario.epoch)
        if problem:
            raise NetsimError(f"epoch: {problem}")
        when = epoch_datetime(scenario.epoch)
        origin = epoch_ns(scenario.epoch)
        iso = when.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
        addresses = [ADDRESS_BASE + c + 1 for c in range(len(self._destinations))]
        names = [printable(self.names[int(node)]) for node in self._destinations]
        ns = self.fabric.ns
        self.fabric.helper.SetCaptureOptions(ns.NanoSeconds(origin), snap, addresses, names,
                                             TIME_ORIGIN_COMMENT.format(iso=iso, ns=origin))
        self._configured = True

    def enable(self, node: int, port: int) -> None:
        """Capture a laser port into a new file; NetsimError when the file cannot be created."""
        from netsim.run.traffic import port_kinds

        if (node, port) in self.enabled:
            return
        if not self._configured:
            self._configure()
        name = self.names[node]
        kind = port_kinds(self.layout, node)[port]
        file = capture_file_name(node, name, port)
        interface = printable(f"{name} port {port}")
        description = f"{interface} ({kind}, node {node}, {self._peer(node, port, kind)})"
        # In a distributed run the core writes the file on the node's rank only.
        error = str(self.fabric.helper.EnableCapture(node, port, str(self.folder), file, interface, description))
        if error:
            raise NetsimError(f"capture: {error}")
        self.enabled.add((node, port))
        self.rows.append(dict(zip(INDEX_COLUMNS, [file, name, node, port, kind, interface])))

    def _peer(self, node: int, port: int, kind: str) -> str:
        isl = self.isl
        for mine, my_port, other, other_port in ((isl.node_a, isl.port_a, isl.node_b, isl.port_b),
                                                 (isl.node_b, isl.port_b, isl.node_a, isl.port_a)):
            hit = np.flatnonzero((mine == node) & (my_port == port))
            if len(hit):
                b, pb = int(other[hit[0]]), int(other_port[hit[0]])
                return f"+Grid peer {printable(self.names[b])} port {pb}"
        if kind == "ground":
            return "peer changes at handovers, see handovers.csv"
        return "peer assigned at each routing update"

    def write_index(self) -> None:
        if self.ranks is None or self.ranks.rank == 0:
            outputs.write_csv(self.folder / INDEX_FILE, INDEX_COLUMNS, self.rows)

    def check(self) -> None:
        """NetsimError when a capture failed to write (disk full, file size limit, ...)."""
        if self.rows:
            error = str(self.fabric.helper.GetCaptureError())
            if error:
                raise NetsimError(f"capture failed: {error}")

    def close(self) -> None:
        """Flush and close every capture; NetsimError when one failed."""
        if self.rows:
            error = str(self.fabric.helper.CloseCaptures())
            if error:
                raise NetsimError(f"capture failed: {error}")
