"""Per-flow statistics of one capture, accumulated batch by batch in constant memory.

A flow is a 5-tuple (source, destination, ports, IP protocol) in one direction. For every
flow: packets and bytes, and per time bin packets/bytes/delay (for throughput over time).

UDP payloads that start with ns-3's SeqTsHeader (uint32 sequence, uint64 send time in ns,
network byte order) give one-way delay = capture time - send time, jitter, loss and
reordering. A flow counts as SeqTs when (almost) every packet carries a plausible stamp
(0 <= delay < 60 s, allowing for the capture's timestamp resolution); other UDP flows
report counts and throughput only.

TCP: a data segment that starts below the highest sequence number already seen in its
direction is a retransmission; RTT = time from a data segment to the first ACK in the
reverse direction that covers it (Karn's rule: segments with a retransmission inside
are not sampled). Measured at the capture point, so the RTT is the full path's only when
the capture is at the sender. Up to TCP_RING segments in flight are tracked per direction.

Delay and RTT percentiles come from log-spaced histograms with a relative bin width of
1e-4 (error <= 0.005 %); mean, min, max are exact.
"""

from __future__ import annotations

import math

import numpy as np

from netsim.jit import njit
from netsim.analysis.pcap import (BAD_BACKWARDS, BAD_LENGTH, BAD_OUTLIER, KIND_IPV4, KIND_MALFORMED, KIND_OTHER,
                                  KIND_SHORT, Batch)

# Integer statistics per flow (columns of FlowAccumulator.ints).
PK, FRAME, IPB, PAY, FIRST, LAST, SEQCAND, SEQN, SEQMIN, SEQMAX, REORD, DMIN, DMAX, DLAST, IPDVN, \
    CBIN, CPK, CBYTES, CDN, CDMAX, SNDMAX, TCPINIT, DATAPK, RETX, RETXB, RTTN, RTTMIN, RTTMAX, REV, \
    SLOT, HEAD, TAIL, OVERFLOW, SYN, K_SRC, K_DST, K_SPORT, K_DPORT, K_PROTO, K_IFACE, MALF, DOFFMIN, \
    NI = range(43)
# Float statistics per flow.
DSUM, DSQ, JIT, IPDV, CDSUM, RTTSUM, NF = range(7)

TCP_RING = 1024
HIST_STEP = math.log1p(1e-4)
_BIG = np.int64(1) << np.int64(62)
_NOBIN = -_BIG


@njit
def _slot(a, b, mask):
    h = a * 0x2545F4914F6CDD1D ^ b * 0x1B873593CC9E2D51
    return (h ^ (h >> 29)) & mask


@njit
def _lookup(tab_a, tab_b, tab_v, a, b):
    mask = len(tab_v) - 1
    k = _slot(a, b, mask)
    while tab_v[k] >= 0:
        if tab_a[k] == a and tab_b[k] == b:
            return tab_v[k]
        k = (k + 1) & mask
    return -1


@njit
def _insert(tab_a, tab_b, tab_v, a, b, v):
    mask = len(tab_v) - 1
    k = _slot(a, b, mask)
    while tab_v[k] >= 0:
        k = (k + 1) & mask
    tab_a[k] = a
    tab_b[k] = b
    tab_v[k] = v


@njit
def _hslot(key, mask):
    h = key * 0x2545F4914F6CDD1D
    return (h ^ (h >> 31)) & mask


@njit
def _count(hk, hc, key):
    """hk/hc: open-addressing table of (key >= 0, count); -1 marks a free slot."""
    mask = len(hk) - 1
    k = _hslot(key, mask)
    while hk[k] >= 0:
        if hk[k] == key:
            hc[k] += 1
            return 0
        k = (k + 1) & mask
    hk[k] = key
    hc[k] = 1
    return 1


@njit
def _hist_bin(d):
    if d < 1:
        return 0
    return 1 + np.int64(math.log(d) * 10000.499983334167)  # 1 / log1p(1e-4)


@njit
def _unwrap(x, ref):
    d = ((x - (ref & 0xFFFFFFFF)) + 0x80000000) & 0xFFFFFFFF
    return ref + d - 0x80000000


@njit
def _accumulate(start, ts, kind, src, dst, proto, sport, dport, ip_len, pay_len, l4, seq, stamp, flags,
                orig_len, iface, bad, tab_a, tab_b, tab_v, meta, I, D, ring_end, ring_t, ring_amb, dk, dc, rk, rc,
                bin_ns, dmin_ok, dmax_ok, fl_flow, fl_bin, fl_pk, fl_bytes, fl_dn, fl_dsum, fl_dmax):
    """Fold records start.. into the flow state; returns (next record, status 0 done / 1 grow).

    A packet whose timestamp is bad (backwards, outlier) only counts in its flow's MALF."""
    n = len(ts)
    ring = ring_end.shape[1]
    for i in range(start, n):
        if kind[i] != 1:
            continue
        if 2 * (meta[3] + 1) > len(dk) or 2 * (meta[4] + 1) > len(rk):
            return i, 1
        pr = np.int64(proto[i])
        ifc = np.int64(iface[i]) << 40
        a = (np.int64(src[i]) << 32) | np.int64(dst[i])
        b = ifc | (np.int64(sport[i]) << 24) | (np.int64(dport[i]) << 8) | pr
        f = _lookup(tab_a, tab_b, tab_v, a, b)
        t = ts[i]
        if f < 0:
            if meta[0] >= I.shape[0] or 2 * (meta[0] + 1) > len(tab_v):
                return i, 1
            f = meta[0]
            meta[0] += 1
            _insert(tab_a, tab_b, tab_v, a, b, f)
            for c in range(NI):
                I[f, c] = 0
            for c in range(NF):
                D[f, c] = 0.0
            I[f, FIRST] = _BIG
            I[f, LAST] = -_BIG
            I[f, SEQMIN] = _BIG
            I[f, SEQMAX] = -1
            I[f, DMIN] = _BIG
            I[f, DMAX] = -_BIG
            I[f, RTTMIN] = _BIG
            I[f, RTTMAX] = -_BIG
            I[f, REV] = -1
            I[f, SLOT] = -1
            I[f, CBIN] = _NOBIN
            I[f, DOFFMIN] = _BIG
            I[f, K_SRC] = src[i]
            I[f, K_DST] = dst[i]
            I[f, K_SPORT] = sport[i]
            I[f, K_DPORT] = dport[i]
            I[f, K_PROTO] = pr
            I[f, K_IFACE] = iface[i]
            r = _lookup(tab_a, tab_b, tab_v, (np.int64(dst[i]) << 32) | np.int64(src[i]),
                        ifc | (np.int64(dport[i]) << 24) | (np.int64(sport[i]) << 8) | pr)
            if r >= 0 and r != f:
                I[f, REV] = r
                I[r, REV] = f
        if bad[i] != 0:
            I[f, MALF] += 1
            if (bad[i] & 6) != 0:  # timestamp backwards / outlier: left out of everything else
                continue
        is_tcp = pr == 6 and l4[i] == 1
        if is_tcp and I[f, SLOT] < 0:
            if meta[1] >= ring_end.shape[0]:
                return i, 1
            I[f, SLOT] = meta[1]
            meta[1] += 1
        # counts and the current time bin
        I[f, PK] += 1
        I[f, FRAME] += orig_len[i]
        I[f, IPB] += ip_len[i]
        if pay_len[i] > 0:
            I[f, PAY] += pay_len[i]
        if t > I[f, LAST]:
            I[f, LAST] = t
        if t < I[f, FIRST]:
            I[f, FIRST] = t
        tb = t // bin_ns
        if tb != I[f, CBIN]:
            if I[f, CBIN] != _NOBIN:
                k = meta[2]
                fl_flow[k] = f
                fl_bin[k] = I[f, CBIN]
                fl_pk[k] = I[f, CPK]
                fl_bytes[k] = I[f, CBYTES]
                fl_dn[k] = I[f, CDN]
                fl_dsum[k] = D[f, CDSUM]
                fl_dmax[k] = I[f, CDMAX]
                meta[2] += 1
            I[f, CBIN] = tb
            I[f, CPK] = 0
            I[f, CBYTES] = 0
            I[f, CDN] = 0
            I[f, CDMAX] = 0
            D[f, CDSUM] = 0.0
        I[f, CPK] += 1
        I[f, CBYTES] += ip_len[i]
        if pr == 17 and flags[i] == 1:
            I[f, SEQCAND] += 1
            d = t - stamp[i]
            if d < I[f, DOFFMIN]:
                I[f, DOFFMIN] = d
            if d >= dmin_ok and d <= dmax_ok:
                s = np.int64(seq[i])
                if I[f, SEQN] > 0:
                    v = abs(d - I[f, DLAST])
                    D[f, JIT] += (v - D[f, JIT]) / 16.0
                    D[f, IPDV] += v
                    I[f, IPDVN] += 1
                    if s < I[f, SEQMAX]:
                        I[f, REORD] += 1
                I[f, SEQN] += 1
                I[f, DLAST] = d
                D[f, DSUM] += d
                D[f, DSQ] += float(d) * float(d)
                if d < I[f, DMIN]:
                    I[f, DMIN] = d
                if d > I[f, DMAX]:
                    I[f, DMAX] = d
                if s > I[f, SEQMAX]:
                    I[f, SEQMAX] = s
                if s < I[f, SEQMIN]:
                    I[f, SEQMIN] = s
                if I[f, CDN] == 0 or d > I[f, CDMAX]:
                    I[f, CDMAX] = d
                I[f, CDN] += 1
                D[f, CDSUM] += d
                meta[3] += _count(dk, dc, (f << 32) | _hist_bin(d))
        elif is_tcp:
            fl = np.int64(flags[i])
            syn = (fl >> 1) & 1
            fin = fl & 1
            plen = max(np.int64(pay_len[i]), 0)
            seglen = plen + syn + fin
            sq = np.int64(seq[i])
            if I[f, TCPINIT] == 0:
                I[f, SNDMAX] = sq + (np.int64(1) << 32)
                I[f, TCPINIT] = 1
            u = _unwrap(sq, I[f, SNDMAX])
            sl = I[f, SLOT]
            I[f, SYN] += syn
            if seglen > 0:
                if plen > 0:
                    I[f, DATAPK] += 1
                end = u + seglen
                if u < I[f, SNDMAX]:
                    I[f, RETX] += 1
                    I[f, RETXB] += plen
                    k = I[f, TAIL] - 1
                    while k >= I[f, HEAD] and ring_end[sl, k % ring] > u:
                        ring_amb[sl, k % ring] = 1
                        k -= 1
                    if end > I[f, SNDMAX]:
                        I[f, SNDMAX] = end
                else:
                    if I[f, TAIL] - I[f, HEAD] >= ring:
                        I[f, HEAD] += 1
                        I[f, OVERFLOW] += 1
                    k = I[f, TAIL] % ring
                    ring_end[sl, k] = end
                    ring_t[sl, k] = t
                    ring_amb[sl, k] = 0
                    I[f, TAIL] += 1
                    I[f, SNDMAX] = end
            r = I[f, REV]
            if (fl & 16) != 0 and r >= 0 and I[r, TCPINIT] == 1 and I[r, SLOT] >= 0:
                av = _unwrap(np.int64(stamp[i]), I[r, SNDMAX])
                rs = I[r, SLOT]
                last = -1
                while I[r, HEAD] < I[r, TAIL] and ring_end[rs, I[r, HEAD] % ring] <= av:
                    last = I[r, HEAD] % ring
                    I[r, HEAD] += 1
                if last >= 0 and ring_amb[rs, last] == 0:
                    rtt = t - ring_t[rs, last]
                    I[r, RTTN] += 1
                    D[r, RTTSUM] += rtt
                    if rtt < I[r, RTTMIN]:
                        I[r, RTTMIN] = rtt
                    if rtt > I[r, RTTMAX]:
                        I[r, RTTMAX] = rtt
                    meta[4] += _count(rk, rc, (r << 32) | _hist_bin(rtt))
    return n, 0


@njit
def _rehash_counts(old_k, old_c, hk, hc):
    mask = len(hk) - 1
    for j in range(len(old_k)):
        if old_k[j] >= 0:
            key = old_k[j]
            k = _hslot(key, mask)
            while hk[k] >= 0:
                k = (k + 1) & mask
            hk[k] = key
            hc[k] = old_c[j]


@njit
def _rehash(old_a, old_b, old_v, tab_a, tab_b, tab_v):
    for k in range(len(old_v)):
        if old_v[k] >= 0:
            _insert(tab_a, tab_b, tab_v, old_a[k], old_b[k], old_v[k])


class FlowAccumulator:
    """Flow state of one capture; feed Batches with `add`, read results with `table`/`bins`."""

    def __init__(self, *, bin_s: float = 0.1, resolution_ns: int = 1000, max_delay_s: float = 60.0,
                 flows: int = 64):
        self.bin_ns = max(int(round(bin_s * 1e9)), 1)
        self.dmin_ok = -int(resolution_ns)   # a capture stamp is truncated to its resolution
        self.dmax_ok = int(max_delay_s * 1e9)
        self.ints = np.zeros((flows, NI), np.int64)
        self.floats = np.zeros((flows, NF), np.float64)
        self.tab_a = np.zeros(4 * flows, np.int64)
        self.tab_b = np.zeros(4 * flows, np.int64)
        self.tab_v = np.full(4 * flows, -1, np.int64)
        # flows, TCP slots, bin rows flushed in this batch, delay / RTT histogram entries
        self.meta = np.zeros(5, np.int64)
        self.ring_end = np.zeros((4, TCP_RING), np.int64)
        self.ring_t = np.zeros((4, TCP_RING), np.int64)
        self.ring_amb = np.zeros((4, TCP_RING), np.uint8)
        self.delay_hist = [np.full(1 << 12, -1, np.int64), np.zeros(1 << 12, np.int64)]
        self.rtt_hist = [np.full(1 << 8, -1, np.int64), np.zeros(1 << 8, np.int64)]
        self.records = 0
        self.ipv4 = 0
        self.not_ipv4 = 0
        self.short = 0
        self.bad_header = 0      # IPv4 header impossible (IHL < 5, total length < header, ...)
        self.length_clamped = 0  # IPv4 total length beyond the frame, clamped
        self.ts_backwards = 0    # more than TIME_TOLERANCE before the latest time
        self.ts_outliers = 0     # isolated far from the others
        self.first_ns = None
        self.last_ns = None
        self._bin_parts: list[tuple[np.ndarray, ...]] = []
        self._hist_cache = None

    @property
    def n_flows(self) -> int:
        return int(self.meta[0])

    def add(self, batch: Batch) -> None:
        n = batch.n
        if not n:
            return
        self.records += n
        self._hist_cache = None
        kinds = np.bincount(batch.kind, minlength=4)
        self.not_ipv4 += int(kinds[KIND_OTHER])
        self.ipv4 += int(kinds[KIND_IPV4])
        self.short += int(kinds[KIND_SHORT])
        self.bad_header += int(kinds[KIND_MALFORMED])
        self.length_clamped += int(np.count_nonzero(batch.bad & BAD_LENGTH))
        self.ts_backwards += int(np.count_nonzero(batch.bad & BAD_BACKWARDS))
        self.ts_outliers += int(np.count_nonzero((batch.bad & BAD_OUTLIER) & ~(batch.bad & BAD_BACKWARDS)))
        good = batch.ts_ns[(batch.bad & (BAD_BACKWARDS | BAD_OUTLIER)) == 0]
        if len(good):
            lo, hi = int(good.min()), int(good.max())
            self.first_ns = lo if self.first_ns is None else min(self.first_ns, lo)
            self.last_ns = hi if self.last_ns is None else max(self.last_ns, hi)
        fl = [np.empty(n, np.int64) for _ in range(5)]
        fl_dsum = np.empty(n, np.float64)
        fl_dmax = np.empty(n, np.int64)
        self.meta[2] = 0
        start = 0
        while True:
            start, status = _accumulate(
                start, batch.ts_ns, batch.kind, batch.src, batch.dst, batch.proto, batch.sport, batch.dport,
                batch.ip_len, batch.pay_len, batch.l4, batch.seq, batch.stamp, batch.flags, batch.orig_len,
                batch.iface, batch.bad, self.tab_a, self.tab_b, self.tab_v, self.meta, self.ints, self.floats, self.ring_end,
                self.ring_t, self.ring_amb, *self.delay_hist, *self.rtt_hist, self.bin_ns, self.dmin_ok,
                self.dmax_ok, fl[0], fl[1], fl[2], fl[3], fl[4], fl_dsum, fl_dmax)
            if status == 0:
                break
            self._grow()
        k = int(self.meta[2])
        if k:
            self._bin_parts.append((fl[0][:k].copy(), fl[1][:k].copy(), fl[2][:k].copy(), fl[3][:k].copy(),
                                    fl[4][:k].copy(), fl_dsum[:k].copy(), fl_dmax[:k].copy()))

    def _grow(self) -> None:
        m = self.n_flows
        if m >= len(self.ints) or 2 * (m + 1) > len(self.tab_v):
            self.ints = np.concatenate([self.ints, np.zeros_like(self.ints)])
            self.floats = np.concatenate([self.floats, np.zeros_like(self.floats)])
            size = 4 * len(self.ints)
            old = self.tab_a, self.tab_b, self.tab_v
            self.tab_a, self.tab_b = np.zeros(size, np.int64), np.zeros(size, np.int64)
            self.tab_v = np.full(size, -1, np.int64)
            _rehash(*old, self.tab_a, self.tab_b, self.tab_v)
        for hist, used in ((self.delay_hist, self.meta[3]), (self.rtt_hist, self.meta[4])):
            if 2 * (used + 1) > len(hist[0]):
                old = list(hist)
                hist[0] = np.full(4 * len(old[0]), -1, np.int64)
                hist[1] = np.zeros(4 * len(old[0]), np.int64)
                _rehash_counts(old[0], old[1], hist[0], hist[1])
        if self.meta[1] >= len(self.ring_end):
            self.ring_end = np.concatenate([self.ring_end, np.zeros_like(self.ring_end)])
            self.ring_t = np.concatenate([self.ring_t, np.zeros_like(self.ring_t)])
            self.ring_amb = np.concatenate([self.ring_amb, np.zeros_like(self.ring_amb)])

    # ---- results -------------------------------------------------------------------------

    def bins(self) -> dict[str, np.ndarray]:
        """Per flow per time bin: flow index, bin start (s), packets, IP bytes, delay count/sum/max."""
        m = self.n_flows
        I, D = self.ints[:m], self.floats[:m]
        live = np.flatnonzero((I[:, CPK] > 0) & (I[:, CBIN] != _NOBIN))
        parts = self._bin_parts + [(live, I[live, CBIN], I[live, CPK], I[live, CBYTES], I[live, CDN],
                                    D[live, CDSUM], I[live, CDMAX])]
        cols = [np.concatenate([p[j] for p in parts]) for j in range(7)]
        flow, tbin, pk, by, dn, dsum, dmax = cols
        # The same (flow, bin) can appear twice when timestamps go backwards: merge.
        order = np.lexsort((tbin, flow))
        flow, tbin, pk, by, dn, dsum, dmax = (c[order] for c in (flow, tbin, pk, by, dn, dsum, dmax))
        if len(flow):
            new = np.ones(len(flow), bool)
            new[1:] = (flow[1:] != flow[:-1]) | (tbin[1:] != tbin[:-1])
            idx = np.flatnonzero(new)
            dmax = np.where(dn > 0, dmax, np.iinfo(np.int64).min)
            flow, tbin = flow[idx], tbin[idx]
            pk, by, dn = (np.add.reduceat(c, idx) for c in (pk, by, dn))
            dsum = np.add.reduceat(dsum, idx)
            dmax = np.maximum.reduceat(dmax, idx)
        return {"flow": flow, "bin_start_ns": tbin * self.bin_ns, "packets": pk, "ip_bytes": by,
                "delay_n": dn, "delay_sum_ns": dsum, "delay_max_ns": dmax}

    def _hists(self):
        """Delay and RTT histograms as sorted (keys, counts) arrays, cached until the next add."""
        if self._hist_cache is None:
            self._hist_cache = (_hist_arrays(self.delay_hist), _hist_arrays(self.rtt_hist))
        return self._hist_cache

    def flow_table(self) -> dict[str, np.ndarray]:
        """Per flow arrays (see analysis.report for the column meanings)."""
        m = self.n_flows
        I, D = self.ints[:m], self.floats[:m]
        out = {"src": I[:, K_SRC], "dst": I[:, K_DST], "sport": I[:, K_SPORT], "dport": I[:, K_DPORT],
               "proto": I[:, K_PROTO], "iface": I[:, K_IFACE], "malformed": I[:, MALF],
               "seqts_offset_min_ns": np.where(I[:, SEQCAND] > 0, I[:, DOFFMIN], 0),
               "seqts_candidates": I[:, SEQCAND], "packets": I[:, PK], "frame_bytes": I[:, FRAME], "ip_bytes": I[:, IPB],
               "payload_bytes": I[:, PAY], "first_ns": I[:, FIRST], "last_ns": I[:, LAST]}
        seqn = I[:, SEQN]
        seqts = (seqn > 0) & (seqn >= 0.99 * I[:, SEQCAND]) & (I[:, K_PROTO] == 17)
        out["seqts"] = seqts
        expected = np.where(seqts, I[:, SEQMAX] - I[:, SEQMIN] + 1, 0)
        out["seq_first"] = np.where(seqts, I[:, SEQMIN], -1)
        out["seq_last"] = np.where(seqts, I[:, SEQMAX], -1)
        out["packets_expected"] = expected
        out["packets_lost"] = np.where(seqts, np.maximum(expected - seqn, 0), 0)
        out["reordered"] = np.where(seqts, I[:, REORD], 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            n = np.where(seqts, seqn, 0).astype(float)
            mean = D[:, DSUM] / n
            var = np.maximum(D[:, DSQ] / n - mean ** 2, 0.0)
            out["delay_mean_ns"] = mean
            out["delay_std_ns"] = np.sqrt(var * n / np.maximum(n - 1, 1))
            out["delay_min_ns"] = np.where(seqts, I[:, DMIN], np.nan)
            out["delay_max_ns"] = np.where(seqts, I[:, DMAX], np.nan)
            out["jitter_ns"] = np.where(seqts & (I[:, IPDVN] > 0), D[:, JIT], np.nan)
            out["ipdv_mean_ns"] = np.where(seqts & (I[:, IPDVN] > 0), D[:, IPDV] / I[:, IPDVN], np.nan)
            rn = I[:, RTTN].astype(float)
            out["rtt_samples"] = I[:, RTTN]
            out["rtt_mean_ns"] = D[:, RTTSUM] / rn
            out["rtt_min_ns"] = np.where(rn > 0, I[:, RTTMIN], np.nan)
            out["rtt_max_ns"] = np.where(rn > 0, I[:, RTTMAX], np.nan)
        out["delay_samples"] = np.where(seqts, seqn, 0)
        out["tcp_data_packets"] = I[:, DATAPK]
        out["tcp_retransmissions"] = I[:, RETX]
        out["tcp_retransmitted_bytes"] = I[:, RETXB]
        dq = _all_percentiles(self._hists()[0], m, (50, 99))
        rq = _all_percentiles(self._hists()[1], m, (50, 99))
        out["delay_p50_ns"] = np.where(seqts, dq[:, 0], np.nan)
        out["delay_p99_ns"] = np.where(seqts, dq[:, 1], np.nan)
        out["rtt_p50_ns"], out["rtt_p99_ns"] = rq[:, 0], rq[:, 1]
        return out

    def delay_cdf(self, flow: int) -> tuple[np.ndarray, np.ndarray]:
        """(delay ns, cumulative fraction) of a flow's delay histogram."""
        values, counts = _flow_hist(*self._hists()[0], flow)
        if not len(counts):
            return values, counts.astype(float)
        return values, np.cumsum(counts) / counts.sum()


def _hist_arrays(hist) -> tuple[np.ndarray, np.ndarray]:
    """(keys, counts) of a histogram table, sorted by key (flow, then bin)."""
    used = hist[0] >= 0
    keys, counts = hist[0][used], hist[1][used]
    order = np.argsort(keys)
    return keys[order], counts[order]


def bin_value(b: np.ndarray) -> np.ndarray:
    """Representative value (ns) of histogram bins: geometric centre; bin 0 holds values < 1 ns."""
    return np.where(b == 0, 0.0, np.exp((b - 0.5) * HIST_STEP))


def _flow_hist(keys, counts, flow: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.searchsorted(keys >> 32, [flow, flow + 1])
    return bin_value(keys[lo:hi] & 0xFFFFFFFF), counts[lo:hi]


def _all_percentiles(hist, m: int, qs) -> np.ndarray:
    out = np.full((m, len(qs)), np.nan)
    keys, counts = hist
    if not len(keys):
        return out
    flows = keys >> 32
    values = bin_value(keys & 0xFFFFFFFF)
    starts = np.searchsorted(flows, np.arange(m + 1))
    for f in range(m):
        lo, hi = starts[f], starts[f + 1]
        if hi > lo:
            out[f] = _weighted_percentiles(values[lo:hi], counts[lo:hi], qs)
    return out


def _weighted_percentiles(values: np.ndarray, counts: np.ndarray, qs) -> list[float]:
    """numpy.percentile's 'linear' method on a sorted sample given as (value, repeat count)."""
    n = int(counts.sum())
    cum = np.cumsum(counts)  # cum[j] - 1 = index of the last copy of values[j]
    out = []
    for q in qs:
        pos = (n - 1) * q / 100.0
        lo = int(math.floor(pos))
        hi = min(lo + 1, n - 1)
        v_lo = values[np.searchsorted(cum, lo + 1)]
        v_hi = values[np.searchsorted(cum, hi + 1)]
        out.append(float(v_lo + (v_hi - v_lo) * (pos - lo)))
    return out
