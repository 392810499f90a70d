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

FLOW_COLUMNS = ("flow", "src", "dst", "packets_sent", "packets_received", "packets_lost",
                "loss_ratio", "delay_mean_ms", "delay_p50_ms", "delay_p99_ms")


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


def write_csv(path: Path, columns, rows: list[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".partial")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})
    os.replace(tmp, path)


def versions() -> dict:
    out = {"python": platform.python_version()}
    for package in ("netsim", "ns3", "hapsira", "numpy", "scipy", "astropy"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


def write_manifest(run_dir: Path, manifest: dict) -> None:
    tmp = run_dir / "manifest.json.partial"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, run_dir / "manifest.json")
