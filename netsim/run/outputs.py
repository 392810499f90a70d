"""The run folder: manifest.json, flows.csv, pcap/.

A run is complete only when manifest.json says status "ok"; it is written first with
status "running" and rewritten at the end, and tables are written to a temporary name
and renamed, so an interrupted run never looks complete.
"""

from __future__ import annotations

import csv
import json
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from netsim.files import new_file, write_text

LOSS_CAUSES = ("bit_errors", "link_down", "queue_full", "handover", "no_route", "ttl_expired")
# The books (accounting.csv) also know packets that were not IPv4 (never a flow's).
BOOK_CAUSES = (*LOSS_CAUSES, "not_ipv4")
# flows.csv: one row per flow of any kind. The packet columns are the flow's forward
# direction (UDP datagrams, TCP segments from src, echo requests); lost = sent - received,
# of which lost_CAUSE were dropped and lost_in_flight were still inside the network when
# the run ended (counted in queues and on channels). The columns after `kind` belong to
# some kinds only and are empty for the others (docs/traffic.md, "flows.csv").
FLOW_COLUMNS = ("flow", "src", "dst", "packets_sent", "packets_received", "packets_lost",
                "loss_ratio", "delay_mean_ms", "delay_p50_ms", "delay_p99_ms",
                *(f"lost_{cause}" for cause in LOSS_CAUSES), "lost_in_flight",
                "kind", "reverse_sent", "reverse_received", "reverse_lost",
                "bytes_delivered", "goodput_mbps", "retransmissions",
                "replies", "probe_loss_ratio", "rtt_mean_ms", "rtt_min_ms", "rtt_max_ms")
# accounting.csv: the books, per flow and direction plus one "(no flow)" row: packets that
# entered the fabric, left it at their destination, were dropped by cause, are still in
# it; unaccounted = sent - received - lost - in flight, 0 when the books balance.
NO_FLOW = "(no flow)"
ACCOUNTING_COLUMNS = ("flow", "kind", "direction", "src", "dst", "sent", "received",
                      *(f"lost_{cause}" for cause in BOOK_CAUSES), "in_flight", "unaccounted")


# Tables of netsim.run.traffic (docs/traffic.md).
# tcp.csv: per tcp_bulk flow; goodput over first..last byte received.
TCP_COLUMNS = ("flow", "src", "dst", "congestion_control", "bytes_requested", "bytes_sent", "bytes_received",
               "completed", "connected_s", "completion_time_s", "goodput_mbps", "retransmissions",
               "rtt_mean_ms", "rtt_min_ms", "rtt_max_ms")
# ping.csv: per ping flow; ping_probes.csv: per echo request.
PING_COLUMNS = ("flow", "src", "dst", "probes_sent", "replies", "loss_ratio", "rtt_mean_ms", "rtt_min_ms",
                "rtt_p50_ms", "rtt_p99_ms", "rtt_max_ms")
PING_PROBE_COLUMNS = ("flow", "src", "dst", "seq", "sent_s", "replied", "rtt_ms")
# link_traffic.csv: per laser port over the whole run (duration + drain); utilisation =
# bytes * 8 / (line rate * time); drops by LaserNetDevice cause.
LINK_TRAFFIC_COLUMNS = ("node", "node_index", "port", "kind", "packets_sent", "bytes_sent", "utilisation",
                        "drops_bit_errors", "drops_link_down", "drops_queue_full", "drops_handover")
# flowmon.csv: ns-3 FlowMonitor per 5-tuple flow (endpoints only).
# lost_packets = tx - rx - in_flight at the end of the run (ns-3's own count waits for
# MaxPerHopDelay, 10 s, and misses the losses of shorter runs); in_flight from the books.
FLOWMON_COLUMNS = ("flow_id", "src", "dst", "proto", "sport", "dport", "tx_packets", "tx_bytes", "rx_packets",
                   "rx_bytes", "lost_packets", "in_flight", "delay_mean_ms", "jitter_mean_ms", "first_tx_s",
                   "last_rx_s")


@dataclass(frozen=True)
class PacketRecords:
    """Every received packet of every flow: flow number, sequence, send/arrival times (ns)."""

    flow: np.ndarray
    seq: np.ndarray
    sent_ns: np.ndarray
    received_ns: np.ndarray
    bytes: np.ndarray

    @property
    def delay_s(self) -> np.ndarray:
        return (self.received_ns - self.sent_ns) * 1e-9


def _delay_stats(delay_ms: np.ndarray) -> list:
    if not len(delay_ms):
        return [None] * 3  # nothing received: no delay (an empty cell)
    return [float(delay_ms.mean()), *map(float, np.percentile(delay_ms, [50, 99]))]


@dataclass
class Books:
    """The ledger of a run (ns3::DropClassifier): rows 2i / 2i + 1 = flow i forward /
    reverse, the last row = no flow."""

    sent: np.ndarray       # entered the fabric at the sending endpoint
    received: np.ndarray   # left it at the destination endpoint, to its stack
    lost: np.ndarray       # rows x BOOK_CAUSES
    in_flight: np.ndarray  # in queues and on channels when the run ended
    queued: int = 0
    on_channels: int = 0

    def row(self, i: int, reverse: bool = False) -> dict:
        r = 2 * i + int(reverse)
        return {"sent": int(self.sent[r]), "received": int(self.received[r]),
                **{f"lost_{c}": int(n) for c, n in zip(BOOK_CAUSES, self.lost[r])},
                "in_flight": int(self.in_flight[r])}

    def no_flow(self) -> dict:
        r = len(self.sent) - 1
        return {"sent": int(self.sent[r]), "received": int(self.received[r]),
                **{f"lost_{c}": int(n) for c, n in zip(BOOK_CAUSES, self.lost[r])},
                "in_flight": int(self.in_flight[r])}


def flow_rows(flows, books: Books, udp: dict, tcp: dict, ping: dict) -> list[dict]:
    """One row per flow (traffic order) with the columns of its kind; see FLOW_COLUMNS.

    flows: (name, kind, src, dst) per flow; udp: flow index -> (app sent, delays in ms of
    the received packets); tcp: flow index -> tcp.csv row; ping: flow index -> ping.csv row."""
    rows = []
    for i, (name, kind, src, dst) in enumerate(flows):
        fwd, rev = books.row(i), books.row(i, reverse=True)
        row = dict.fromkeys(FLOW_COLUMNS)
        row.update(flow=name, src=src, dst=dst, kind=kind)
        if i in udp:  # the application's counts: the books check that they match the fabric's
            sent, delay_ms = udp[i]
            received = len(delay_ms)
            row.update(zip(("delay_mean_ms", "delay_p50_ms", "delay_p99_ms"), _delay_stats(delay_ms)))
        else:
            sent, received = fwd["sent"], fwd["received"]
            row.update(reverse_sent=rev["sent"], reverse_received=rev["received"],
                       reverse_lost=rev["sent"] - rev["received"])
        row.update(packets_sent=sent, packets_received=received, packets_lost=sent - received,
                   loss_ratio=(sent - received) / sent if sent else None)
        row.update({f"lost_{c}": fwd[f"lost_{c}"] for c in LOSS_CAUSES}, lost_in_flight=fwd["in_flight"])
        if i in tcp:
            t = tcp[i]
            row.update(bytes_delivered=t["bytes_received"], goodput_mbps=t["goodput_mbps"],
                       retransmissions=t["retransmissions"], rtt_mean_ms=t["rtt_mean_ms"],
                       rtt_min_ms=t["rtt_min_ms"], rtt_max_ms=t["rtt_max_ms"])
        if i in ping:
            p = ping[i]
            row.update(replies=p["replies"], probe_loss_ratio=p["loss_ratio"], rtt_mean_ms=p["rtt_mean_ms"],
                       rtt_min_ms=p["rtt_min_ms"], rtt_max_ms=p["rtt_max_ms"])
        rows.append(row)
    return rows


def accounting(flows, books: Books, drops: dict, udp: dict, probes: dict) -> tuple[list[dict], list[str]]:
    """The books as rows (accounting.csv) and every way they fail to balance, as sentences.

    Checks: per flow and direction sent = received + lost by cause + in flight; the run's
    drop totals (manifest `drops`) = the sum of the rows per cause; what the books found
    in flight = what the queues and channels hold; a UDP flow's application counts = the
    fabric's; a ping flow's probes = the echo requests that entered the fabric."""
    rows, problems = [], []
    directions = {"udp": ("forward",), "tcp": ("forward", "reverse"), "ping": ("forward", "reverse"),
                  "workload": ("forward", "reverse")}
    for i, (name, kind, src, dst) in enumerate(flows):
        # Workload flows (netsim.run.workloads): requests / responses, segments / ACKs.
        family = "udp" if kind.startswith("udp") else "tcp" if kind.startswith("tcp") else \
            "ping" if kind == "ping" else "workload"
        for direction in directions[family]:
            b = books.row(i, direction == "reverse")
            ends = (src, dst) if direction == "forward" else (dst, src)
            rows.append({"flow": name, "kind": kind, "direction": direction, "src": ends[0], "dst": ends[1], **b})
        if family == "udp":
            b = books.row(i)
            app_sent, delay_ms = udp[i]
            if app_sent != b["sent"] or len(delay_ms) != b["received"]:
                problems.append(f"flow {name!r}: the application sent {app_sent} and received {len(delay_ms)} "
                                f"packets, the fabric carried {b['sent']} in and {b['received']} out (lost inside "
                                "an endpoint's IP stack)")
        if family == "ping" and probes.get(i, 0) != books.row(i)["sent"]:
            problems.append(f"flow {name!r}: {probes.get(i, 0)} probes sent, {books.row(i)['sent']} echo requests "
                            "entered the fabric")
    # Reverse rows of UDP flows should stay empty (a UDP server never answers).
    for i, (name, kind, _, _) in enumerate(flows):
        if kind.startswith("udp") and any(books.row(i, True).values()):
            rows.append({"flow": name, "kind": kind, "direction": "reverse", "src": flows[i][3], "dst": flows[i][2],
                         **books.row(i, True)})
    rows.append({"flow": NO_FLOW, "kind": "", "direction": "", "src": "", "dst": "", **books.no_flow()})
    for row in rows:
        lost = sum(row[f"lost_{c}"] for c in BOOK_CAUSES)
        row["unaccounted"] = row["sent"] - row["received"] - lost - row["in_flight"]
        if row["unaccounted"] and row["flow"] != NO_FLOW:
            problems.append(f"flow {row['flow']!r} {row['direction']}: sent {row['sent']} != received "
                            f"{row['received']} + lost {lost} + in flight {row['in_flight']} "
                            f"({row['unaccounted']:+d} unaccounted)")
    # The no-flow row has no sender to count (its packets are ICMP errors and the like):
    # only its losses and in-flight packets are known, so it is not checked for balance.
    pairs = [(f"laser_{c}", c) for c in ("bit_errors", "link_down", "queue_full", "handover")]
    pairs += [(f"forwarder_{c}", c) for c in ("no_route", "ttl_expired", "not_ipv4")]
    for total_key, cause in pairs:
        total = int(drops.get(total_key, 0))
        summed = sum(row[f"lost_{cause}"] for row in rows)
        if total != summed:
            problems.append(f"drops {total_key}: the run counted {total}, the rows add up to {summed}")
    held = books.queued + books.on_channels
    if int(books.in_flight.sum()) != held:
        problems.append(f"in flight: the rows hold {int(books.in_flight.sum())} packets, the queues and channels {held}")
    return rows, problems


def write_csv(path: Path, columns, rows) -> None:
    """Write rows (any iterable of dicts) atomically: a .partial file renamed when complete."""
    with new_file(path, "w", newline="") as f:  # a new file, renamed into place (netsim.files)
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})


def _cell(value):
    """A CSV cell: floats with 6 decimals; a missing value (None, NaN) is an empty cell,
    never 'nan' (the docs say per column why it can be missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return f"{value:.6f}" if isinstance(value, float) else value


def versions() -> dict:
    out = {"python": platform.python_version()}
    for package in ("netsim", "ns3", "hapsira", "numpy", "scipy", "astropy"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


def write_manifest(run_dir: Path, manifest: dict) -> None:
    write_text(Path(run_dir) / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
