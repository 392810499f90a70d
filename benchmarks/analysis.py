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
import struct
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
    kept = 0
    kept_per_flow = np.zeros(flows, dtype=np.int64)
    with path.open("wb") as f:
        # global header: magic (us), version 2.4, thiszone, sigfigs, snaplen, link type 9 (PPP)
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 9))
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
            k0 += n
    return {"packets": kept, "bytes": written, "per_flow": kept_per_flow, "flows": flows}


def _timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout


def _tshark_frames(conv_output: str) -> int:
    """Sum of the 'Total Frames' column of `tshark -z conv,udp`."""
    total = 0
    for line in conv_output.splitlines():
        if "<->" in line:
            fields = line.split("<->")[1].split()
            # dst, then <- frames, bytes(+unit), -> frames, bytes(+unit), total frames ...
            numbers = [f for f in fields[1:] if f.replace(".", "").isdigit()]
            total += int(numbers[4]) if len(numbers) >= 5 else 0
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~100 MB pcap instead of >= 1 GB")
    parser.add_argument("--size-gb", type=float, help="pcap size in GB (default 1.05, --quick 0.1)")
    parser.add_argument("--keep", action="store_true", help="keep the pcap and the analysis folder")
    parser.add_argument("--out", type=Path, help="folder for the pcap (default: a temporary folder)")
    args = parser.parse_args()
    size = int((args.size_gb or (0.1 if args.quick else 1.05)) * 1e9)
    work = args.out or Path(tempfile.mkdtemp(prefix="netsim-analysis-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pcap = work / "synthetic.pcap"
    netsim = [sys.executable, "-m", "netsim.cli.main", "analyze", str(pcap), "--out", str(work / "analysis"),
              "--quiet", "--no-plots"]
    try:
        start = time.perf_counter()
        info = write_synthetic_pcap(pcap, size)
        print(f"pcap-generation-time: {time.perf_counter() - start:.1f} s")
        print(f"pcap-size: {info['bytes'] / 1e9:.3f} GB")
        print(f"pcap-packets: {info['packets']} packets")
        # warm-up on a small file: a fresh checkout compiles the kernels once (cached afterwards)
        warm = work / "warmup.pcap"
        write_synthetic_pcap(warm, 1_000_000)
        _timed(netsim[:4] + [str(warm)] + netsim[5:])
        warm.unlink()
        ours_s, _ = _timed(netsim)
        import pandas as pd

        flows = pd.read_csv(work / "analysis" / "flows.csv")
        assert int(flows["packets"].sum()) == info["packets"], "netsim analyze missed packets"
        assert (flows["packets"].to_numpy() == info["per_flow"]).all(), "per-flow packet counts differ"
        print(f"netsim-analyze-wall-time: {ours_s:.2f} s")
        print(f"netsim-packets-per-second: {info['packets'] / ours_s:,.0f} packets/s")
        print(f"netsim-bytes-per-second: {info['bytes'] / ours_s / 1e6:,.0f} MB/s")
        if shutil.which("tshark") is None:
            print("tshark-packets-per-second: n/a (tshark not installed)")
            return 0
        tshark_s, conv = _timed(["tshark", "-q", "-n", "-z", "conv,udp", "-r", str(pcap)])
        frames = _tshark_frames(conv)
        print(f"tshark-wall-time: {tshark_s:.2f} s")
        print(f"tshark-packets-per-second: {info['packets'] / tshark_s:,.0f} packets/s")
        print(f"tshark-frames-counted: {frames} packets (netsim: {int(flows['packets'].sum())})")
        print(f"speedup: {tshark_s / ours_s:.1f} x")
    finally:
        if not args.keep:
            pcap.unlink(missing_ok=True)
            shutil.rmtree(work / "analysis", ignore_errors=True)
            if args.out is None:
                shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: {pcap}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
