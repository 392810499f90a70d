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
FLOW_COLUMNS = ("flow", "src", "dst", "packets_sent", "packets_received", "packets_lost",
                "loss_ratio", "delay_mean_ms", "delay_p50_ms", "delay_p99_ms",
                *(f"lost_{cause}" for cause in LOSS_CAUSES), "lost_in_flight")


# Tables of netsim.run.traffic (docs/traffic.md).
# tcp.csv: per tcp_bulk flow; goodput over first..last byte received.
TCP_COLUMNS = ("flow", "src", "dst", "congestion_control", "bytes_requested", "bytes_sent", "bytes_received",
               "completed", "connected_s", "completion_time_s", "goodput_mbps")
# ping.csv: per ping flow; ping_probes.csv: per echo request.
PING_COLUMNS = ("flow", "src", "dst", "probes_sent", "replies", "loss_ratio", "rtt_mean_ms", "rtt_min_ms",
                "rtt_p50_ms", "rtt_p99_ms", "rtt_max_ms")
PING_PROBE_COLUMNS = ("flow", "src", "dst", "seq", "sent_s", "replied", "rtt_ms")
# link_traffic.csv: per laser port over the whole run (duration + drain); utilisation =
# bytes * 8 / (line rate * time); drops by LaserNetDevice cause.
LINK_TRAFFIC_COLUMNS = ("node", "node_index", "port", "kind", "packets_sent", "bytes_sent", "utilisation",
                        "drops_bit_errors", "drops_link_down", "drops_queue_full", "drops_handover")
# flowmon.csv: ns-3 FlowMonitor per 5-tuple flow (endpoints only).
FLOWMON_COLUMNS = ("flow_id", "src", "dst", "proto", "sport", "dport", "tx_packets", "tx_bytes", "rx_packets",
                   "rx_bytes", "lost_packets", "delay_mean_ms", "jitter_mean_ms", "first_tx_s", "last_rx_s")


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


def flow_rows(names, ends, sent, records: PacketRecords) -> list[dict]:
    """One row per flow: counts and one-way delay statistics in ms."""
    rows = []
    for i, (name, (src, dst)) in enumerate(zip(names, ends)):
        delay_ms = records.delay_s[records.flow == i] * 1e3
        received = len(delay_ms)
        stats = ([float(delay_ms.mean()), *map(float, np.percentile(delay_ms, [50, 99]))]
                 if received else [float("nan")] * 3)
        rows.append(dict(zip(FLOW_COLUMNS, [name, src, dst, int(sent[i]), received,
                                            int(sent[i]) - received,
                                            (int(sent[i]) - received) / sent[i] if sent[i] else 0.0,
                                            *stats])))
    return rows


def add_loss_causes(rows: list[dict], counts: np.ndarray) -> None:
    """Per flow, packets lost by cause (DropClassifier), and those never accounted for
    (still in flight when the run ended)."""
    for row, flow_counts in zip(rows, counts):
        for cause, n in zip(LOSS_CAUSES, flow_counts):
            row[f"lost_{cause}"] = int(n)
        row["lost_in_flight"] = max(row["packets_lost"] - int(flow_counts.sum()), 0)


def write_csv(path: Path, columns, rows) -> None:
    """Write rows (any iterable of dicts) atomically: a .partial file renamed when complete."""
    with new_file(path, "w", newline="") as f:  # a new file, renamed into place (netsim.files)
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})


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
