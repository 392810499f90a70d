"""Trace analysis throughput: `netsim analyze` against `tshark -q -z conv,udp` on the same pcap.

The pcap (>= 1 GB; ~100 MB with --quick) is generated synthetically with numpy: PPP/IPv4/UDP
frames whose payload starts with ns-3's SeqTsHeader, as netsim's laser ports write them,
64 constant-bit-rate flows of different packet sizes interleaved, 0.1 % of packets lost.
The file is deleted afterwards unless --keep.

    python benchmarks/analysis.py [--quick] [--keep] [--size-gb 1.0] [--out DIR]

Prints `figure-name: value unit` lines.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RECORD_HEADER = 16
FRAME_HEADERS = 2 + 20 + 8  # PPP protocol, IPv4, UDP


def _put(buf: np.ndarray, at: np.ndarray, value, nbytes: int) -> None:
    """Write big-endian integers of `nbytes` at the byte offsets `at` (vectorised)."""
    value = np.asarray(value, dtype=np.uint64)
    for k in range(nbytes):
        buf[at + k] = ((value >> np.uint64(8 * (nbytes - 1 - k))) & np.uint64(0xFF)).astype(np.uint8)


def _put_le32(buf: np.ndarray, at: np.ndarray, value) -> None:
    value = np.asarray(value, dtype=np.uint64)
    for k in range(4):
        buf[at + k] = ((value >> np.uint64(8 * k)) & np.uint64(0xFF)).astype(np.uint8)


def write_synthetic_pcap(path: Path, target_bytes: int, flows: int = 64, seed: int = 7,
                         batch_packets: int = 200_000) -> dict:
    """Write a PPP pcap of about `target_bytes`; returns what it holds (packets, per-flow counts)."""
    rng = np.random.default_rng(seed)
    payload = rng.integers(100, 1473, size=flows)          # bytes of UDP payload per flow (>= 12)
    rate_pps = rng.uniform(2_000, 20_000, size=flows)       # packets per second per flow
    base_delay_ns = rng.uniform(20e6, 120e6, size=flows)
    # Round-robin over flows keeps the flows interleaved as on a shared laser port.
    mean_record = RECORD_HEADER + FRAME_HEADERS + payload.mean()
    total_packets = int(target_bytes / mean_record)
    period_ns = 1e9 / rate_pps.sum()
    sent = np.zeros(flows, dtype=np.int64)
    written = kept = 0
    kept_per_flow = np.zeros(flows, dtype=np.int64)
    with path.open("wb") as f:
        f.write(np.array([0xA1B2C3D4, 0x00040002, 0, 0, 262144, 9], dtype="<u4")
                .view(np.uint8)[:24].tobytes() if False else
                b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + b"\x00" * 8 + (262144).to_bytes(4, "little")
                + (9).to_bytes(4, "little"))
        written = 24
        k0 = 0
        while k0 < total_packets:
            n = min(batch_packets, total_packets - k0)
            k = np.arange(k0, k0 + n, dtype=np.int64)
            flow = k % flows
            seq = k // flows
            keep = rng.random(n) >= 0.001  # 0.1 % lost before the capture point
            flow, seq, k = flow[keep], seq[keep], k[keep]
            m = len(k)
            arrival_ns = (k * period_ns).astype(np.int64) + 1_000_000_000
            arrival_ns -= arrival_ns % 1000  # microsecond pcap resolution
            delay_ns = (base_delay_ns[flow] + rng.exponential(50e3, size=m)).astype(np.int64)
            sent_ns = arrival_ns - delay_ns
            pay = payload[flow]
            frame_len = FRAME_HEADERS + pay
            rec_len = RECORD_HEADER + frame_len
            starts = np.zeros(m, dtype=np.int64)
            np.cumsum(rec_len[:-1], out=starts[1:])
            buf = np.zeros(int(rec_len.sum()), dtype=np.uint8)
            _put_le32(buf, starts, arrival_ns // 1_000_000_000)
            _put_le32(buf, starts + 4, (arrival_ns % 1_000_000_000) // 1000)
            _put_le32(buf, starts + 8, frame_len)
            _put_le32(buf, starts + 12, frame_len)
            ip = starts + RECORD_HEADER + 2
            buf[ip - 2], buf[ip - 1] = 0x00, 0x21
            buf[ip] = 0x45
            _put(buf, ip + 2, 20 + 8 + pay, 2)
            buf[ip + 8], buf[ip + 9] = 64, 17
            _put(buf, ip + 12, 0x0A800000 + 1 + flow % 8, 4)
            _put(buf, ip + 16, 0x0A800000 + 9 + flow // 8, 4)
            udp = ip + 20
            _put(buf, udp, 49153, 2)
            _put(buf, udp + 2, 9000 + flow, 2)
            _put(buf, udp + 4, 8 + pay, 2)
            _put(buf, udp + 8, seq, 4)
            _put(buf, udp + 12, sent_ns, 8)
            f.write(buf.tobytes())
            written += len(buf)
            kept += m
            np.add.at(kept_per_flow, flow, 1)
            sent = np.maximum(sent, np.bincount(flow, weights=seq + 1, minlength=flows).astype(np.int64) * 0)
            k0 += n
    return {"packets": kept, "bytes": written, "per_flow": kept_per_flow, "flows": flows}
