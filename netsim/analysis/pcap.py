"""Streaming reader of classic libpcap files: record headers and IPv4/UDP/TCP fields.

The file is read in chunks (16 MB by default) into one reused buffer; a compiled loop
walks the variable-length records of a chunk and decodes each frame's link, IPv4 and
transport headers into flat arrays (one `Batch` per chunk), so memory stays constant
whatever the file size. Both byte orders, microsecond and nanosecond timestamps, and the
link types in `LINK_TYPES`. pcapng and compressed files are refused with a message that
says how to convert them.

Damage (a record cut short at the end of the file, or a header that cannot be one) stops
the file there: every complete record before it has been yielded, then `PcapDamaged`
names the file, the record number (1-based, as Wireshark counts) and its byte offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from netsim.analysis._jit import njit
from netsim.errors import NetsimError

MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
LINK_TYPES = {0: "BSD loopback", 1: "Ethernet (incl. 802.1Q/QinQ VLAN tags)", 9: "PPP", 12: "raw IP",
              14: "raw IP", 101: "raw IP", 108: "OpenBSD loopback", 113: "Linux cooked (SLL)",
              228: "raw IPv4", 276: "Linux cooked v2 (SLL2)"}
MAX_RECORD = 1 << 26  # a record larger than 64 MiB is damage, whatever the snaplen says
DEFAULT_CHUNK = 16 << 20

# Batch.kind
KIND_OTHER, KIND_IPV4, KIND_SHORT = 0, 1, 2
# Walker status
_OK, _CORRUPT_LENGTH, _CORRUPT_FRACTION = 0, 1, 2


class PcapError(NetsimError):
    """A file that cannot be read as a libpcap capture (message: file, where, what)."""

    def __init__(self, path, problem: str, *, record: int | None = None, offset: int | None = None):
        self.path, self.problem, self.record, self.offset = str(path), problem, record, offset
        where = ""
        if record is not None:
            where = f"record {record} at byte offset {offset}: "
        elif offset is not None:
            where = f"byte offset {offset}: "
        super().__init__(f"{self.path}: {where}{problem}")


class PcapDamaged(PcapError):
    """The file is truncated or corrupt after `records_read` good records."""

    def __init__(self, path, problem: str, *, record: int, offset: int):
        super().__init__(path, problem, record=record, offset=offset)
        self.records_read = record - 1


@dataclass(frozen=True)
class PcapHeader:
    path: Path
    little_endian: bool
    nanoseconds: bool
    snaplen: int
    linktype: int
    version: tuple[int, int]
    size: int  # bytes of the file

    @property
    def resolution_ns(self) -> int:
        return 1 if self.nanoseconds else 1000


def read_header(path) -> PcapHeader:
    """Parse and check the 24-byte global header; PcapError when it is not a usable pcap."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(24)
    except OSError as err:
        raise PcapError(path, f"cannot read: {err.strerror or err}") from None
    if head[:4] == PCAPNG_MAGIC:
        raise PcapError(path, "pcapng files are not supported yet; convert with "
                              f"`editcap -F pcap {path.name} {path.stem}.pcap`")
    if head[:2] == b"\x1f\x8b":
        raise PcapError(path, "gzip-compressed; decompress it first (gunzip)")
    if len(head) < 24:
        raise PcapError(path, f"too short for a pcap global header ({len(head)} of 24 bytes)", offset=0)
    for little in (True, False):
        magic = int.from_bytes(head[:4], "little" if little else "big")
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise PcapError(path, f"not a libpcap file (magic bytes {head[:4].hex()}; expected a1b2c3d4 or "
                              "a1b23c4d in either byte order)", offset=0)
    order = "little" if little else "big"
    major, minor = int.from_bytes(head[4:6], order), int.from_bytes(head[6:8], order)
    snaplen = int.from_bytes(head[16:20], order)
    linktype = int.from_bytes(head[20:24], order) & 0x0FFFFFFF  # upper bits: FCS length flags
    if major != 2:
        raise PcapError(path, f"unsupported pcap version {major}.{minor} (expected 2.4)", offset=4)
    if linktype not in LINK_TYPES:
        known = ", ".join(f"{k} ({v})" for k, v in sorted(LINK_TYPES.items()))
        raise PcapError(path, f"link type {linktype} is not supported; supported: {known}", offset=20)
    return PcapHeader(path, little, magic == MAGIC_NS, snaplen, linktype, (major, minor), size)


@dataclass
class Batch:
    """Decoded records of one chunk; arrays of equal length `n`, record numbers first_record.."""

    first_record: int
    ts_ns: np.ndarray       # int64 capture time, ns since the epoch (or simulation start)
    orig_len: np.ndarray    # uint32 frame length on the wire
    cap_len: np.ndarray     # uint32 bytes captured
    kind: np.ndarray        # uint8 KIND_*
    src: np.ndarray         # uint32 IPv4 addresses
    dst: np.ndarray
    proto: np.ndarray       # uint8 IP protocol
    sport: np.ndarray       # uint16 (0 when not TCP/UDP or a later fragment)
    dport: np.ndarray
    ip_len: np.ndarray      # int32 IPv4 total length
    pay_len: np.ndarray     # int32 transport payload bytes (-1 unknown)
    l4: np.ndarray          # uint8 1 when the TCP/UDP header was decoded
    seq: np.ndarray         # uint32 UDP: SeqTs sequence; TCP: sequence number
    stamp: np.ndarray       # int64 UDP: SeqTs send time (ns); TCP: acknowledgement number
    flags: np.ndarray       # uint8 UDP: 1 when 12 payload bytes were captured; TCP: flags

    @property
    def n(self) -> int:
        return len(self.ts_ns)


_FIELDS = [("ts_ns", np.int64), ("orig_len", np.uint32), ("cap_len", np.uint32), ("kind", np.uint8),
           ("src", np.uint32), ("dst", np.uint32), ("proto", np.uint8), ("sport", np.uint16),
           ("dport", np.uint16), ("ip_len", np.int32), ("pay_len", np.int32), ("l4", np.uint8),
           ("seq", np.uint32), ("stamp", np.int64), ("flags", np.uint8)]


@njit
def _u32(buf, p, little):
    if little:
        return np.int64(buf[p]) | (np.int64(buf[p + 1]) << 8) | (np.int64(buf[p + 2]) << 16) | \
            (np.int64(buf[p + 3]) << 24)
    return (np.int64(buf[p]) << 24) | (np.int64(buf[p + 1]) << 16) | (np.int64(buf[p + 2]) << 8) | \
        np.int64(buf[p + 3])


@njit
def _be16(buf, p):
    return (np.int64(buf[p]) << 8) | np.int64(buf[p + 1])


@njit
def _walk(buf, n, little, frac_ns, frac_limit, max_incl, offs, ts, incl_out, orig_out):
    """Record headers of buf[:n] -> (records, first unconsumed byte, status)."""
    pos = 0
    count = 0
    cap = len(offs)
    status = 0
    while pos + 16 <= n and count < cap:
        sec = _u32(buf, pos, little)
        frac = _u32(buf, pos + 4, little)
        incl = _u32(buf, pos + 8, little)
        if incl > max_incl:
            status = 1
            break
        if frac >= frac_limit:
            status = 2
            break
        if pos + 16 + incl > n:
            break
        offs[count] = pos + 16
        ts[count] = sec * 1_000_000_000 + frac * frac_ns
        incl_out[count] = incl
        orig_out[count] = _u32(buf, pos + 12, little)
        count += 1
        pos += 16 + incl
    return count, pos, status


@njit
def _decode(buf, offs, caps, linktype, count, kind, src, dst, proto, sport, dport, ip_len, pay_len, l4,
            seq, stamp, flags):
    for i in range(count):
        o = offs[i]
        c = caps[i]
        kind[i] = 0
        src[i] = 0
        dst[i] = 0
        proto[i] = 0
        sport[i] = 0
        dport[i] = 0
        ip_len[i] = 0
        pay_len[i] = -1
        l4[i] = 0
        seq[i] = 0
        stamp[i] = 0
        flags[i] = 0
        # Link layer -> offset of the IPv4 header, or -1.
        l3 = -1
        if linktype == 9:  # PPP, optional HDLC address/control, optional compressed protocol
            p = 0
            if c >= 2 and buf[o] == 0xFF and buf[o + 1] == 0x03:
                p = 2
            if c >= p + 1 and (buf[o + p] & 1) == 1:
                if buf[o + p] == 0x21:
                    l3 = p + 1
            elif c >= p + 2 and _be16(buf, o + p) == 0x0021:
                l3 = p + 2
        elif linktype == 1:  # Ethernet II, any number of 802.1Q / 802.1ad tags
            p = 12
            while c >= p + 2:
                et = _be16(buf, o + p)
                if et == 0x8100 or et == 0x88A8 or et == 0x9100:
                    p += 4
                    continue
                if et == 0x0800:
                    l3 = p + 2
                break
        elif linktype == 101 or linktype == 12 or linktype == 14 or linktype == 228:
            if c >= 1 and (buf[o] >> 4) == 4:
                l3 = 0
        elif linktype == 113:  # Linux cooked capture
            if c >= 16 and _be16(buf, o + 14) == 0x0800:
                l3 = 16
        elif linktype == 276:  # Linux cooked capture v2
            if c >= 20 and _be16(buf, o) == 0x0800:
                l3 = 20
        elif linktype == 0 or linktype == 108:  # loopback: AF_INET = 2 in either order
            if c >= 4 and ((buf[o] == 2 and buf[o + 3] == 0) or (buf[o] == 0 and buf[o + 3] == 2)):
                l3 = 4
        if l3 < 0:
            continue
        if c < l3 + 1 or (buf[o + l3] >> 4) != 4:
            continue
        if c < l3 + 20:
            kind[i] = 2
            continue
        q = o + l3
        ihl = np.int64(buf[q] & 0x0F) * 4
        if ihl < 20:
            continue
        kind[i] = 1
        total = _be16(buf, q + 2)
        if total == 0:  # segmentation offload: the length is the frame's
            total = np.int64(c) - l3
        ip_len[i] = total
        pr = buf[q + 9]
        proto[i] = pr
        src[i] = _u32(buf, q + 12, False)
        dst[i] = _u32(buf, q + 16, False)
        if (_be16(buf, q + 6) & 0x1FFF) != 0:  # a later fragment: no transport header
            continue
        t = q + ihl
        have = c - l3 - ihl
        if pr == 17 and have >= 8:
            sport[i] = _be16(buf, t)
            dport[i] = _be16(buf, t + 2)
            l4[i] = 1
            pay_len[i] = total - ihl - 8
            if have >= 20 and pay_len[i] >= 12:
                seq[i] = _u32(buf, t + 8, False)
                stamp[i] = (_u32(buf, t + 12, False) << 32) | _u32(buf, t + 16, False)
                flags[i] = 1
        elif pr == 6 and have >= 20:
            sport[i] = _be16(buf, t)
            dport[i] = _be16(buf, t + 2)
            l4[i] = 1
            seq[i] = _u32(buf, t + 4, False)
            stamp[i] = _u32(buf, t + 8, False)
            pay_len[i] = total - ihl - np.int64(buf[t + 12] >> 4) * 4
            flags[i] = buf[t + 13]
        elif pr == 6 or pr == 17:
            kind[i] = 2


def read_batches(header: PcapHeader, *, chunk_bytes: int = DEFAULT_CHUNK, progress=None) -> Iterator[Batch]:
    """Decoded records of the file, one Batch per chunk; PcapDamaged after the last good one.

    `progress`, if given, is called with the number of bytes consumed since the last call.
    """
    path = header.path
    buf = np.empty(chunk_bytes, dtype=np.uint8)
    cap = chunk_bytes // 16 + 1
    offs = np.empty(cap, np.int64)
    ts = np.empty(cap, np.int64)
    incl = np.empty(cap, np.int64)
    orig = np.empty(cap, np.int64)
    frac_ns, frac_limit = (1, 1_000_000_000) if header.nanoseconds else (1000, 1_000_000)
    max_incl = min(max(header.snaplen, 262_144), MAX_RECORD)
    record = 1           # number of the next record
    file_offset = 24     # byte offset of buf[0] in the file
    held = 0             # bytes at the start of buf not yet consumed
    with header.path.open("rb") as f:
        f.seek(24)
        eof = False
        while True:
            if held == len(buf):  # a single record larger than the buffer
                bigger = np.empty(2 * len(buf), dtype=np.uint8)
                bigger[:held] = buf[:held]
                buf = bigger
            got = f.readinto(memoryview(buf)[held:]) if not eof else 0
            eof = eof or got == 0
            n = held + got
            count, pos, status = _walk(buf, n, header.little_endian, frac_ns, frac_limit, max_incl,
                                       offs, ts, incl, orig)
            if count:
                out = {name: np.empty(count, dtype) for name, dtype in _FIELDS}
                out["ts_ns"][:] = ts[:count]
                out["orig_len"][:] = orig[:count]
                out["cap_len"][:] = incl[:count]
                _decode(buf, offs, incl, header.linktype, count, out["kind"], out["src"], out["dst"],
                        out["proto"], out["sport"], out["dport"], out["ip_len"], out["pay_len"], out["l4"],
                        out["seq"], out["stamp"], out["flags"])
                yield Batch(record, **out)
                record += count
            if progress is not None:
                progress(pos)
            if status != _OK:
                what = _damage(buf, pos, header, max_incl, frac_limit, status)
                raise PcapDamaged(path, what, record=record, offset=file_offset + pos)
            # keep the unconsumed tail (an incomplete record) at the start of the buffer
            tail = n - pos
            buf[:tail] = buf[pos:n]
            held = tail
            file_offset += pos
            if eof and count == 0:
                if held:
                    raise PcapDamaged(path, _truncation(buf, held, header), record=record, offset=file_offset)
                return


def _damage(buf, pos, header, max_incl, frac_limit, status) -> str:
    order = "little" if header.little_endian else "big"
    if status == _CORRUPT_LENGTH:
        incl = int.from_bytes(bytes(buf[pos + 8:pos + 12]), order)
        return (f"corrupt record header: captured length {incl} exceeds the limit {max_incl} "
                f"(snaplen {header.snaplen}); the file is damaged from here on")
    frac = int.from_bytes(bytes(buf[pos + 4:pos + 8]), order)
    unit = "nanoseconds" if header.nanoseconds else "microseconds"
    return (f"corrupt record header: timestamp fraction {frac} {unit} is not below {frac_limit}; "
            "the file is damaged from here on")


def _truncation(buf, held, header) -> str:
    if held < 16:
        return f"file truncated inside a record header ({held} of 16 bytes present)"
    order = "little" if header.little_endian else "big"
    incl = int.from_bytes(bytes(buf[8:12]), order)
    return f"file truncated inside a record: header says {incl} bytes, {held - 16} present"
