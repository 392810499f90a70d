"""Analyse capture files into two tables: one row per flow, one row per flow per time bin.

Each file is analysed on its own (a flow seen at two ports gives two rows, told apart by
`capture` and `direction`). A damaged file keeps the rows read before the damage,
flagged `partial=True`, and its error is returned with the result rather than raised.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from netsim.analysis.context import RunContext
from netsim.analysis.flows import FlowAccumulator
from netsim.analysis.pcap import (DEFAULT_CHUNK, TIME_TOLERANCE_NS, PcapDamaged, PcapError, read_batches,
                                  read_header)

PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp"}
PROGRESS_MIN_BYTES = 64 << 20  # a progress bar for inputs larger than this
FLOW_COLUMNS = [
    "capture", "interface", "flow", "direction", "proto", "src", "sport", "dst", "dport",
    "packets", "frame_bytes", "ip_bytes", "payload_bytes", "start_s", "end_s", "duration_s",
    "throughput_mbps", "goodput_mbps",
    "seqts", "seq_first", "seq_last", "packets_expected", "packets_lost", "loss_ratio",
    "reordered", "reordered_ratio",
    "delay_samples", "delay_mean_ms", "delay_std_ms", "delay_min_ms", "delay_p50_ms", "delay_p99_ms",
    "delay_max_ms", "jitter_ms", "ipdv_mean_ms",
    "tcp_data_packets", "tcp_retransmissions", "tcp_retransmitted_bytes", "tcp_retransmission_ratio",
    "rtt_samples", "rtt_mean_ms", "rtt_min_ms", "rtt_p50_ms", "rtt_p99_ms", "rtt_max_ms",
    "malformed", "partial",
]
THROUGHPUT_COLUMNS = ["capture", "interface", "flow", "direction", "proto", "src", "sport", "dst", "dport",
                      "time_s", "packets", "ip_bytes", "throughput_mbps", "delay_mean_ms", "delay_max_ms", "partial"]
CAPTURE_COLUMNS = ["capture", "format", "link_types", "interfaces", "records", "ipv4_packets", "other_frames",
                   "truncated_ip", "bad_ip_header", "ip_len_clamped", "ts_backwards", "ts_outliers", "malformed",
                   "flows", "start_s", "end_s", "partial", "error"]
# Delay columns that mean nothing at a sender's own port (the time to reach the wire).
SENDER_BLANK = ["delay_samples", "delay_mean_ms", "delay_std_ms", "delay_min_ms", "delay_p50_ms", "delay_p99_ms",
                "delay_max_ms", "jitter_ms", "ipdv_mean_ms"]


@dataclass
class CaptureSummary:
    path: Path
    linktype: int = -1
    format: str = ""
    link_types: str = ""
    interfaces: int = 0
    records: int = 0
    ipv4: int = 0
    not_ipv4: int = 0
    short: int = 0
    bad_header: int = 0
    length_clamped: int = 0
    ts_backwards: int = 0
    ts_outliers: int = 0
    flows: int = 0
    first_ns: int | None = None
    last_ns: int | None = None
    partial: bool = False
    error: PcapError | None = None
    names: dict = field(default_factory=dict)  # pcapng Name Resolution Block: IPv4 int -> name

    @property
    def malformed(self) -> int:
        return self.bad_header + self.length_clamped + self.ts_backwards + self.ts_outliers

    def problems(self) -> str:
        """The malformed records in words ('' when none)."""
        parts = [(self.bad_header, "impossible IPv4/TCP/UDP header (IHL < 5, lengths shorter than the header)"),
                 (self.length_clamped, "IPv4 total length beyond the frame (clamped to it)"),
                 (self.ts_backwards, f"timestamp more than {TIME_TOLERANCE_NS / 1e9:g} s before an earlier one"),
                 (self.ts_outliers, "timestamp far outside the capture's span")]
        return "; ".join(f"{n} {what}" for n, what in parts if n)


@dataclass
class Analysis:
    flows: pd.DataFrame
    throughput: pd.DataFrame
    captures: list[CaptureSummary]
    bin_s: float
    # row index in `flows` -> (delay values in ms, cumulative fraction), SeqTs flows only
    delay_cdfs: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[PcapError]:
        return [c.error for c in self.captures if c.error is not None]

    @property
    def malformed(self) -> int:
        return sum(c.malformed for c in self.captures)

    def capture_table(self) -> pd.DataFrame:
        rows = []
        for c in self.captures:
            rows.append([c.path.name, c.format, c.link_types, c.interfaces, c.records, c.ipv4, c.not_ipv4, c.short,
                         c.bad_header, c.length_clamped, c.ts_backwards, c.ts_outliers, c.malformed, c.flows,
                         c.first_ns * 1e-9 if c.first_ns is not None else np.nan,
                         c.last_ns * 1e-9 if c.last_ns is not None else np.nan,
                         c.partial, str(c.error) if c.error is not None else ""])
        return pd.DataFrame(rows, columns=CAPTURE_COLUMNS)


def analyze(paths, *, bin_s: float = 0.1, context: RunContext | None = None, progress: bool = False,
            chunk_bytes: int = DEFAULT_CHUNK, origin_ns: int | None = None) -> Analysis:
    """Analyse every file; errors of individual files end up in Analysis.captures[i].error.

    Times count from `origin_ns` (ns since 1970) when given, else from the origin a
    capture states (netsim captures: the scenario epoch), else from the run's epoch
    (context), else from 1970-01-01 UTC."""
    context = context or RunContext()
    paths = [Path(p) for p in paths]
    headers, captures = [], []
    for path in paths:
        summary = CaptureSummary(path)
        captures.append(summary)
        try:
            headers.append(read_header(path))
            summary.linktype, summary.format = headers[-1].linktype, headers[-1].format
        except PcapError as err:
            summary.error = err
            headers.append(None)
    total = sum(h.size for h in headers if h is not None)
    bar = _bar(total, progress and total > PROGRESS_MIN_BYTES)
    flow_frames, bin_frames, cdfs, warnings = [], [], {}, []
    rows_before = 0
    fallback = context.time_origin_ns or 0
    for header, summary in zip(headers, captures):
        if header is None:
            continue
        acc = FlowAccumulator(bin_s=bin_s, resolution_ns=header.resolution_ns)
        bar.set_postfix_str(header.path.name, refresh=False)
        found: dict = {"names": summary.names}
        try:
            for batch in read_batches(header, chunk_bytes=chunk_bytes, progress=bar.update, origin_ns=origin_ns,
                                      fallback_origin_ns=fallback, found=found):
                acc.add(batch)
        except PcapDamaged as err:
            summary.error, summary.partial = err, True
        except PcapError as err:  # e.g. an interface with an unsupported link type, mid-file
            summary.error, summary.partial = err, True
        except OSError as err:
            summary.error = PcapError(header.path, f"read failed: {err.strerror or err}")
            summary.partial = True
        interfaces = found.get("interfaces") or list(header.interfaces)
        summary.link_types = " ".join(str(k) for k in sorted({i.linktype for i in interfaces}))
        summary.interfaces = len(interfaces)
        summary.records, summary.ipv4, summary.not_ipv4, summary.short = \
            acc.records, acc.ipv4, acc.not_ipv4, acc.short
        summary.bad_header, summary.length_clamped = acc.bad_header, acc.length_clamped
        summary.ts_backwards, summary.ts_outliers = acc.ts_backwards, acc.ts_outliers
        summary.first_ns, summary.last_ns = acc.first_ns, acc.last_ns
        summary.flows = acc.n_flows
        flows = _flow_frame(acc, header.path.name, context, summary.partial)
        warnings += _offset_warnings(acc, flows, header.path.name)
        flow_frames.append(flows)
        bin_frames.append(_bin_frame(acc, flows, summary.partial))
        has_delay = flows["seqts"].to_numpy() & flows["delay_mean_ms"].notna().to_numpy()
        for i in np.flatnonzero(has_delay):
            values, frac = acc.delay_cdf(int(i))
            cdfs[rows_before + int(i)] = (values * 1e-6, frac)
        rows_before += len(flows)
    bar.close()
    flows = pd.concat(flow_frames, ignore_index=True) if flow_frames else pd.DataFrame(columns=FLOW_COLUMNS)
    bins = pd.concat(bin_frames, ignore_index=True) if bin_frames else pd.DataFrame(columns=THROUGHPUT_COLUMNS)
    return Analysis(flows, bins, captures, bin_s, cdfs, warnings)


def _offset_warnings(acc: FlowAccumulator, flows: pd.DataFrame, capture: str) -> list[str]:
    """UDP flows whose 12-byte payload stamps all lie far before the capture times: SeqTs
    stamps on a capture clock with another origin (a converted netsim capture)."""
    t = acc.flow_table()
    out = []
    for i in np.flatnonzero((t["proto"] == 17) & ~t["seqts"] & (t["seqts_candidates"] >= 2)
                            & (t["seqts_offset_min_ns"] > acc.dmax_ok)):
        offset = t["seqts_offset_min_ns"][i] * 1e-9
        name = flows["flow"].iloc[i] or f"{flows['src'].iloc[i]}:{flows['sport'].iloc[i]} > " \
                                         f"{flows['dst'].iloc[i]}:{flows['dport'].iloc[i]}"
        out.append(f"{capture}: flow {name}: its 12-byte payload stamps lie {offset:.0f} s or more before the "
                   "capture times, so no one-way delay is reported; if these are netsim SeqTs stamps on a "
                   "capture converted from a run, analyse it inside the run folder or pass --time-origin EPOCH")
    return out


def _bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled,
                leave=False, desc="analyse", mininterval=0.5)


def _addresses(values: np.ndarray) -> list[str]:
    return [str(ipaddress.IPv4Address(int(v))) for v in values]


def _flow_frame(acc: FlowAccumulator, capture: str, context: RunContext, partial: bool) -> pd.DataFrame:
    t = acc.flow_table()
    m = len(t["packets"])
    ms = 1e-6
    seen = t["packets"] > 0  # a flow can consist of malformed packets only
    first = np.where(seen, t["first_ns"], 0) * 1e-9
    last = np.where(seen, t["last_ns"], 0) * 1e-9
    duration = np.where(seen, last - first, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(duration > 0, 1.0 / np.where(duration > 0, duration, 1.0), np.nan) * 8e-6
        expected = t["packets_expected"]
        tcp = t["proto"] == 6
        data = {
            "capture": [capture] * m, "interface": t["iface"],
            "flow": [context.flow_name(*k) for k in zip(t["src"], t["dst"], t["proto"], t["sport"], t["dport"])],
            "direction": [context.direction(capture, s, d) for s, d in zip(t["src"], t["dst"])],
            "proto": [PROTOCOLS.get(int(p), str(int(p))) for p in t["proto"]],
            "src": _addresses(t["src"]), "sport": t["sport"], "dst": _addresses(t["dst"]), "dport": t["dport"],
            "packets": t["packets"], "frame_bytes": t["frame_bytes"], "ip_bytes": t["ip_bytes"],
            "payload_bytes": t["payload_bytes"],
            "start_s": np.where(seen, first, np.nan), "end_s": np.where(seen, last, np.nan), "duration_s": duration,
            "throughput_mbps": t["ip_bytes"] * rate, "goodput_mbps": t["payload_bytes"] * rate,
            "seqts": t["seqts"],
            "seq_first": t["seq_first"], "seq_last": t["seq_last"], "packets_expected": expected,
            "packets_lost": t["packets_lost"],
            "loss_ratio": np.where(t["seqts"], t["packets_lost"] / np.maximum(expected, 1), np.nan),
            "reordered": t["reordered"],
            "reordered_ratio": np.where(t["seqts"], t["reordered"] / np.maximum(t["delay_samples"], 1), np.nan),
            "delay_samples": t["delay_samples"],
            "delay_mean_ms": t["delay_mean_ns"] * ms, "delay_std_ms": t["delay_std_ns"] * ms,
            "delay_min_ms": t["delay_min_ns"] * ms, "delay_p50_ms": t["delay_p50_ns"] * ms,
            "delay_p99_ms": t["delay_p99_ns"] * ms, "delay_max_ms": t["delay_max_ns"] * ms,
            "jitter_ms": t["jitter_ns"] * ms, "ipdv_mean_ms": t["ipdv_mean_ns"] * ms,
            "tcp_data_packets": t["tcp_data_packets"], "tcp_retransmissions": t["tcp_retransmissions"],
            "tcp_retransmitted_bytes": t["tcp_retransmitted_bytes"],
            "tcp_retransmission_ratio": np.where(tcp, t["tcp_retransmissions"]
                                                 / np.maximum(t["tcp_data_packets"], 1), np.nan),
            "rtt_samples": t["rtt_samples"], "rtt_mean_ms": t["rtt_mean_ns"] * ms,
            "rtt_min_ms": t["rtt_min_ns"] * ms, "rtt_p50_ms": t["rtt_p50_ns"] * ms,
            "rtt_p99_ms": t["rtt_p99_ns"] * ms, "rtt_max_ms": t["rtt_max_ns"] * ms,
            "malformed": t["malformed"], "partial": np.full(m, partial),
        }
    frame = pd.DataFrame(data, columns=FLOW_COLUMNS)
    for col in ("seq_first", "seq_last", "packets_expected", "packets_lost", "reordered", "delay_samples"):
        frame[col] = frame[col].where(frame["seqts"]).astype("Int64")
    for col in ("tcp_data_packets", "tcp_retransmissions", "tcp_retransmitted_bytes", "rtt_samples"):
        frame[col] = frame[col].where(tcp).astype("Int64")
    # At the sender's own port the "delay" is the time to reach the wire: no delay there.
    sender = (frame["direction"] == "tx").to_numpy()
    if sender.any():
        for col in SENDER_BLANK:
            frame.loc[sender, col] = pd.NA if col == "delay_samples" else np.nan
    return frame


def _bin_frame(acc: FlowAccumulator, flows: pd.DataFrame, partial: bool) -> pd.DataFrame:
    """Throughput per flow per bin, with empty bins inside a flow's lifetime filled with 0."""
    b = acc.bins()
    bin_ns = acc.bin_ns
    if not len(b["flow"]):
        return pd.DataFrame(columns=THROUGHPUT_COLUMNS)
    flow, start = b["flow"], b["bin_start_ns"] // bin_ns
    # complete each flow's range of bins
    idx = np.flatnonzero(np.r_[True, flow[1:] != flow[:-1]])
    lo = start[idx]
    hi = np.r_[start[idx[1:] - 1], start[-1]]
    counts = hi - lo + 1
    if counts.sum() > 20_000_000:  # very long sparse flows: keep the non-empty bins only
        full_flow, full_bin = flow, start
    else:
        full_flow = np.repeat(flow[idx], counts)
        full_bin = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    where = _match(full_flow, full_bin, flow, start)
    packets = np.zeros(len(full_flow), np.int64)
    ip_bytes = np.zeros(len(full_flow), np.int64)
    dn = np.zeros(len(full_flow), np.int64)
    dsum = np.zeros(len(full_flow))
    dmax = np.full(len(full_flow), np.nan)
    packets[where] = b["packets"]
    ip_bytes[where] = b["ip_bytes"]
    dn[where] = b["delay_n"]
    dsum[where] = b["delay_sum_ns"]
    dmax[where] = np.where(b["delay_n"] > 0, b["delay_max_ns"], np.nan)
    seqts = (flows["seqts"].to_numpy() & (flows["direction"] != "tx").to_numpy())[full_flow]
    with np.errstate(invalid="ignore", divide="ignore"):
        delay_mean = np.where(seqts & (dn > 0), dsum / dn, np.nan) * 1e-6
    pick = flows.iloc[full_flow]
    return pd.DataFrame({
        "capture": pick["capture"].to_numpy(), "interface": pick["interface"].to_numpy(),
        "flow": pick["flow"].to_numpy(),
        "direction": pick["direction"].to_numpy(), "proto": pick["proto"].to_numpy(),
        "src": pick["src"].to_numpy(), "sport": pick["sport"].to_numpy(),
        "dst": pick["dst"].to_numpy(), "dport": pick["dport"].to_numpy(),
        "time_s": full_bin * bin_ns * 1e-9, "packets": packets, "ip_bytes": ip_bytes,
        "throughput_mbps": ip_bytes * 8 / (bin_ns * 1e-9) * 1e-6,
        "delay_mean_ms": delay_mean, "delay_max_ms": np.where(seqts, dmax * 1e-6, np.nan),
        "partial": np.full(len(full_flow), partial),
    }, columns=THROUGHPUT_COLUMNS)


def _match(full_flow, full_bin, flow, start) -> np.ndarray:
    """Index into (full_flow, full_bin), both sorted by (flow, bin), of each (flow, start)."""
    key_full = full_flow.astype(np.int64) * (1 << 40) + (full_bin - full_bin.min())
    key = flow.astype(np.int64) * (1 << 40) + (start - full_bin.min())
    return np.searchsorted(key_full, key)
