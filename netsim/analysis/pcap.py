"""Streaming reader of capture files (classic libpcap and pcapng): record headers and
IPv4/UDP/TCP fields.

The file is read in chunks (16 MB by default) into one reused buffer; a compiled loop
walks the variable-length records (pcap) or blocks (pcapng) of a chunk and decodes each
frame's link, IPv4 and transport headers into flat arrays (one `Batch` per chunk), so
memory stays constant whatever the file size.

pcap: both byte orders, microsecond and nanosecond timestamps. pcapng: any number of
sections (each with its own byte order) and interfaces, each with its own link type,
snap length, timestamp resolution (if_tsresol) and offset (if_tsoffset); Enhanced,
Simple and obsolete Packet Blocks; other blocks are skipped. Link types: `LINK_TYPES`.

Times are nanoseconds since a time origin: the capture's own (a netsim interface states
the scenario epoch in its comment), else the one the caller gives (a run's epoch), else
1970-01-01 UTC, so netsim captures give simulation times.

Damage (a record cut short at the end of the file, or a header that cannot be one) stops
the file there: every complete record before it has been yielded, then `PcapDamaged`
names the file, the record number (1-based, as Wireshark counts) and its byte offset.
Frames that decode to impossible headers or timestamps are marked (`Batch.kind`,
`Batch.bad`) rather than trusted; see `flows.py` for how they are counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from netsim.jit import njit
from netsim.errors import NetsimError

MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
PCAPNG_BYTE_ORDER = 0x1A2B3C4D
LINK_TYPES = {0: "BSD loopback", 1: "Ethernet (incl. 802.1Q/QinQ VLAN tags)", 9: "PPP", 12: "raw IP",
              14: "raw IP", 101: "raw IP", 108: "OpenBSD loopback", 113: "Linux cooked (SLL)",
              228: "raw IPv4", 276: "Linux cooked v2 (SLL2)"}
MAX_RECORD = 1 << 26  # a record larger than 64 MiB is damage, whatever the snaplen says
DEFAULT_CHUNK = 16 << 20
# Timestamps: a packet more than this before the latest accepted one goes backwards; an
# isolated packet this far from its neighbours lies outside the capture's span.
TIME_TOLERANCE_NS = 1_000_000_000
FIRST_RECORD_GAP_NS = 86_400 * 1_000_000_000  # the first record may precede the rest by up to a day

# Batch.kind
KIND_OTHER, KIND_IPV4, KIND_SHORT, KIND_MALFORMED = 0, 1, 2, 3
# Batch.bad bits
BAD_LENGTH, BAD_BACKWARDS, BAD_OUTLIER = 1, 2, 4
# Walker status
_OK, _CORRUPT_LENGTH, _CORRUPT_FRACTION, _CONTROL, _BAD_INTERFACE, _CORRUPT_BLOCK = 0, 1, 2, 3, 4, 5
_BLOCK_SHB, _BLOCK_IDB, _BLOCK_PB, _BLOCK_SPB, _BLOCK_NRB, _BLOCK_EPB = 0x0A0D0D0A, 1, 2, 3, 4, 6
_TIME_ORIGIN = re.compile(r"netsim: simulation time 0 = \S+ \((-?\d+) ns since 1970-01-01 UTC\)")


class PcapError(NetsimError):
    """A file that cannot be read as a capture (message: file, where, what)."""

    def __init__(self, path, problem: str, *, record: int | None = None, offset: int | None = None):
        self.path, self.problem, self.record, self.offset = str(path), problem, record, offset
        where = ""
        if record is not None:
            where = f"record {record} at byte offset {offset}: "
        elif offset is not None:
            where = f"byte offset {offset}: "
        super().__init__(f"{self.path}: {where}{problem}")


class PcapDamaged(PcapError):
    """The file is truncated, corrupt or unusable after `records_read` good records."""

    def __init__(self, path, problem: str, *, record: int, offset: int):
        super().__init__(path, problem, record=record, offset=offset)
        self.records_read = record - 1


@dataclass(frozen=True)
class Interface:
    """A pcapng interface (or the one link of a classic pcap)."""

    linktype: int
    snaplen: int
    name: str = ""
    description: str = ""
    tsresol: int = 6        # if_tsresol byte: 10^-v, or 2^-(v & 0x7f) when the top bit is set
    tsoffset_s: int = 0     # if_tsoffset
    origin_ns: int | None = None  # time origin stated by a netsim comment

    @property
    def resolution_ns(self) -> int:
        """Timestamp resolution, rounded up to whole ns."""
        v = self.tsresol & 0x7F
        if self.tsresol & 0x80:
            return max(1, -(-1_000_000_000 >> v)) if v < 31 else 1
        return 10 ** (9 - v) if v <= 9 else 1


@dataclass(frozen=True)
class PcapHeader:
    path: Path
    little_endian: bool
    nanoseconds: bool
    snaplen: int
    linktype: int
    version: tuple[int, int]
    size: int  # bytes of the file
    format: str = "pcap"  # or "pcapng"
    interfaces: tuple[Interface, ...] = field(default_factory=tuple)  # pcapng: those before the first packet

    @property
    def resolution_ns(self) -> int:
        if self.format == "pcapng" and self.interfaces:
            return max(i.resolution_ns for i in self.interfaces)
        return 1 if self.nanoseconds else 1000

    @property
    def origin_ns(self) -> int | None:
        """The time origin the file states (netsim captures), if any."""
        found = {i.origin_ns for i in self.interfaces if i.origin_ns is not None}
        return found.pop() if len(found) == 1 else None


def _unsupported(linktype: int, where: str) -> str:
    known = ", ".join(f"{k} ({v})" for k, v in sorted(LINK_TYPES.items()))
    return f"{where}link type {linktype} is not supported; supported: {known}"


def read_header(path) -> PcapHeader:
    """Parse and check the file's header(s); PcapError when it is not a usable capture."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(24)
    except OSError as err:
        raise PcapError(path, f"cannot read: {err.strerror or err}") from None
    if head[:4] == PCAPNG_MAGIC:
        return _read_pcapng_header(path, size)
    if head[:2] == b"\x1f\x8b":
        raise PcapError(path, "gzip-compressed; decompress it first (gunzip)")
    if len(head) < 24:
        raise PcapError(path, f"too short for a pcap global header ({len(head)} of 24 bytes)", offset=0)
    for little in (True, False):
        magic = int.from_bytes(head[:4], "little" if little else "big")
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise PcapError(path, f"not a pcap or pcapng file (magic bytes {head[:4].hex()}; expected a1b2c3d4 or "
                              "a1b23c4d in either byte order, or pcapng's 0a0d0d0a)", offset=0)
    order = "little" if little else "big"
    major, minor = int.from_bytes(head[4:6], order), int.from_bytes(head[6:8], order)
    snaplen = int.from_bytes(head[16:20], order)
    linktype = int.from_bytes(head[20:24], order) & 0x0FFFFFFF  # upper bits: FCS length flags
    if major != 2:
        raise PcapError(path, f"unsupported pcap version {major}.{minor} (expected 2.4)", offset=4)
    if linktype not in LINK_TYPES:
        raise PcapError(path, _unsupported(linktype, ""), offset=20)
    nano = magic == MAGIC_NS
    return PcapHeader(path, little, nano, snaplen, linktype, (major, minor), size, "pcap",
                      (Interface(linktype, snaplen, tsresol=9 if nano else 6),))


# ----------------------------------------------------------------------------- pcapng blocks

def _options(body: bytes, start: int, order: str) -> Iterator[tuple[int, bytes]]:
    pos = start
    while pos + 4 <= len(body):
        code = int.from_bytes(body[pos:pos + 2], order)
        length = int.from_bytes(body[pos + 2:pos + 4], order)
        if code == 0:
            return
        value = body[pos + 4:pos + 4 + length]
        if len(value) < length:
            return
        yield code, value
        pos += 4 + length + (-length % 4)


def _parse_idb(path, body: bytes, order: str, offset: int, index: int) -> Interface:
    """body: the block without type and lengths."""
    if len(body) < 8:
        raise PcapDamaged(path, f"interface description block {index} is too short", record=1, offset=offset)
    linktype = int.from_bytes(body[0:2], order)
    snaplen = int.from_bytes(body[4:8], order)
    name = description = ""
    tsresol, tsoffset, origin = 6, 0, None
    for code, value in _options(body, 8, order):
        if code == 2:
            name = value.decode("utf-8", "replace")
        elif code == 3:
            description = value.decode("utf-8", "replace")
        elif code == 9 and value:
            tsresol = value[0]
        elif code == 14 and len(value) == 8:
            tsoffset = int.from_bytes(value, order, signed=True)
        elif code == 1:
            found = _TIME_ORIGIN.search(value.decode("utf-8", "replace"))
            if found:
                origin = int(found[1])
    if linktype not in LINK_TYPES:
        label = f" ({name})" if name else ""
        raise PcapError(path, _unsupported(linktype, f"interface {index}{label}: "), offset=offset)
    v = tsresol & 0x7F
    if (tsresol & 0x80 and v > 62) or (not tsresol & 0x80 and v > 18):
        raise PcapError(path, f"interface {index}: timestamp resolution if_tsresol={tsresol:#x} is not usable",
                        offset=offset)
    return Interface(linktype, snaplen, name, description, tsresol, tsoffset, origin)


def _shb_order(path, block: bytes, offset: int) -> str:
    if len(block) < 16:
        raise PcapError(path, "pcapng section header block is truncated", offset=offset)
    magic = block[8:12]
    if magic == PCAPNG_BYTE_ORDER.to_bytes(4, "little"):
        order = "little"
    elif magic == PCAPNG_BYTE_ORDER.to_bytes(4, "big"):
        order = "big"
    else:
        raise PcapError(path, f"pcapng section header with byte-order magic {magic.hex()} (expected 1a2b3c4d)",
                        offset=offset + 8)
    major = int.from_bytes(block[12:14], order)
    if major != 1:
        raise PcapError(path, f"unsupported pcapng version {major} (expected 1.0)", offset=offset + 12)
    return order


def _read_pcapng_header(path: Path, size: int) -> PcapHeader:
    """The first section header and the interfaces declared before the first packet."""
    interfaces: list[Interface] = []
    with path.open("rb") as f:
        first = f.read(12)
        if len(first) < 12:
            raise PcapError(path, f"too short for a pcapng section header ({len(first)} bytes)", offset=0)
        shb = first + f.read(16)
        order = _shb_order(path, shb, 0)
        length = int.from_bytes(shb[4:8], order)
        if length < 28 or length % 4:
            raise PcapError(path, f"pcapng section header with an impossible length {length}", offset=4)
        offset = length
        f.seek(offset)
        while offset < size and offset < (64 << 20):
            head = f.read(8)
            if len(head) < 8:
                break
            btype, blen = int.from_bytes(head[:4], order), int.from_bytes(head[4:8], order)
            if btype in (_BLOCK_EPB, _BLOCK_SPB, _BLOCK_PB, _BLOCK_SHB) or blen < 12 or blen > MAX_RECORD:
                break
            body = f.read(blen - 8)
            if btype == _BLOCK_IDB:
                interfaces.append(_parse_idb(path, body[:-4], order, offset, len(interfaces)))
            offset += blen
    first_if = interfaces[0] if interfaces else Interface(-1, 0)
    return PcapHeader(path, order == "little", first_if.tsresol == 9, first_if.snaplen, first_if.linktype,
                      (1, 0), size, "pcapng", tuple(interfaces))


# ----------------------------------------------------------------------------- batches

@dataclass
class Batch:
    """Decoded records of one chunk; arrays of equal length `n`, record numbers first_record.."""

    first_record: int
    ts_ns: np.ndarray       # int64 capture time, ns since the time origin
    orig_len: np.ndarray    # uint32 frame length on the wire
    cap_len: np.ndarray     # uint32 bytes captured
    kind: np.ndarray        # uint8 KIND_*
    src: np.ndarray         # uint32 IPv4 addresses
    dst: np.ndarray
    proto: np.ndarray       # uint8 IP protocol
    sport: np.ndarray       # uint16 (0 when not TCP/UDP or a later fragment)
    dport: np.ndarray
    ip_len: np.ndarray      # int32 IPv4 total length (clamped to the frame, see bad)
    pay_len: np.ndarray     # int32 transport payload bytes (-1 unknown)
    l4: np.ndarray          # uint8 1 when the TCP/UDP header was decoded
    seq: np.ndarray         # uint32 UDP: SeqTs sequence; TCP: sequence number
    stamp: np.ndarray       # int64 UDP: SeqTs send time (ns); TCP: acknowledgement number
    flags: np.ndarray       # uint8 UDP: 1 when 12 payload bytes were captured; TCP: flags
    iface: np.ndarray       # uint32 pcapng interface (0 for pcap)
    bad: np.ndarray         # uint8 BAD_* bits

    @property
    def n(self) -> int:
        return len(self.ts_ns)


_FIELDS = [("ts_ns", np.int64), ("orig_len", np.uint32), ("cap_len", np.uint32), ("kind", np.uint8),
           ("src", np.uint32), ("dst", np.uint32), ("proto", np.uint8), ("sport", np.uint16),
           ("dport", np.uint16), ("ip_len", np.int32), ("pay_len", np.int32), ("l4", np.uint8),
           ("seq", np.uint32), ("stamp", np.int64), ("flags", np.uint8), ("iface", np.uint32),
           ("bad", np.uint8)]


@njit
def _u32(buf, p, little):
    if little:
        return np.int64(buf[p]) | (np.int64(buf[p + 1]) << 8) | (np.int64(buf[p + 2]) << 16) | \
            (np.int64(buf[p + 3]) << 24)
    return (np.int64(buf[p]) << 24) | (np.int64(buf[p + 1]) << 16) | (np.int64(buf[p + 2]) << 8) | \
        np.int64(buf[p + 3])


@njit
def _u16(buf, p, little):
    if little:
        return np.int64(buf[p]) | (np.int64(buf[p + 1]) << 8)
    return (np.int64(buf[p]) << 8) | np.int64(buf[p + 1])


@njit
def _be16(buf, p):
    return (np.int64(buf[p]) << 8) | np.int64(buf[p + 1])


@njit
def _walk(buf, n, little, frac_ns, frac_limit, max_incl, offset_ns, offs, ts, incl_out, orig_out):
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
        ts[count] = sec * 1_000_000_000 + frac * frac_ns + offset_ns
        incl_out[count] = incl
        orig_out[count] = _u32(buf, pos + 12, little)
        count += 1
        pos += 16 + incl
    return count, pos, status


_INT64_MAX = np.int64(0x7FFFFFFFFFFFFFFF)


@njit
def _ng_time(raw, mul, div, shift, offset_ns):
    """Raw pcapng timestamp units -> ns since the origin; -2**62 when it does not fit."""
    if raw < 0:
        return -(np.int64(1) << np.int64(62))
    if shift >= 0:  # binary resolution 2^-shift
        if shift == 0:
            whole, part = raw, np.int64(0)
        else:
            whole = raw >> shift
            part = raw & ((np.int64(1) << shift) - 1)
        if whole > _INT64_MAX // 1_000_000_000:
            return -(np.int64(1) << np.int64(62))
        if shift <= 32:
            frac = (part * 1_000_000_000) >> shift
        else:
            frac = np.int64(part / float(np.int64(1) << shift) * 1e9) if shift < 63 else np.int64(0)
        return whole * 1_000_000_000 + frac + offset_ns
    if raw > _INT64_MAX // mul:
        return -(np.int64(1) << np.int64(62))
    return raw * mul // div + offset_ns


@njit
def _walk_ng(buf, start, n, little, count, if_base, if_n, if_link, if_mul, if_div, if_shift, if_off, if_snap,
             last_ts, offs, ts, incl_out, orig_out, link_out, iface_out):
    """Packet blocks of buf[start:n] appended at `count` -> (records, position, status).

    Stops at a block Python must read (section header, interface description, name
    resolution: status _CONTROL, position at that block), at the end of the complete
    blocks, or at damage."""
    pos = start
    cap = len(offs)
    status = 0
    while pos + 12 <= n and count < cap:
        btype = _u32(buf, pos, little)
        blen = _u32(buf, pos + 4, little)
        if btype == 0x0A0D0D0A or btype == 1 or btype == 4:
            if blen >= 12 and pos + blen > n and blen <= 1 << 26:
                break  # read more first
            status = 3
            break
        if blen < 12 or (blen & 3) != 0 or blen > (1 << 26):
            status = 5
            break
        if pos + blen > n:
            break
        if btype == 6 or btype == 2:  # enhanced / obsolete packet block
            if blen < 32:
                status = 5
                break
            if btype == 6:
                ifid = _u32(buf, pos + 8, little)
            else:
                ifid = _u16(buf, pos + 8, little)
            if ifid >= if_n:
                status = 4
                break
            raw = (_u32(buf, pos + 12, little) << 32) | _u32(buf, pos + 16, little)
            incl = _u32(buf, pos + 20, little)
            if 28 + incl + 4 > blen:
                status = 5
                break
            t = _ng_time(raw, if_mul[ifid], if_div[ifid], if_shift[ifid], if_off[ifid])
            last_ts = t
            offs[count] = pos + 28
            ts[count] = t
            incl_out[count] = incl
            orig_out[count] = _u32(buf, pos + 24, little)
            link_out[count] = if_link[ifid]
            iface_out[count] = if_base + ifid
            count += 1
        elif btype == 3:  # simple packet block: interface 0, no timestamp (the previous one's)
            if if_n < 1:
                status = 4
                break
            orig = _u32(buf, pos + 8, little)
            incl = min(orig, blen - 16)
            if if_snap[0] > 0:
                incl = min(incl, if_snap[0])
            offs[count] = pos + 12
            ts[count] = last_ts
            incl_out[count] = incl
            orig_out[count] = orig
            link_out[count] = if_link[0]
            iface_out[count] = if_base
            count += 1
        pos += blen
    return count, pos, status, last_ts


@njit
def _check_times(ts, kind, bad, state, tolerance, first_gap):
    """Mark timestamps that go backwards by more than `tolerance` (BAD_BACKWARDS) or lie
    apart from the capture (BAD_OUTLIER: an isolated spike, or negative). state[0] = the
    latest accepted time, state[1] = 1 once there is one; carried from batch to batch."""
    n = len(ts)
    for i in range(n):
        t = ts[i]
        has_next = i + 1 < n
        nxt = ts[i + 1] if has_next else 0
        if t < 0 and t == -(np.int64(1) << np.int64(62)):
            bad[i] |= 4
            continue
        if state[1] == 0:
            if has_next and (nxt < t - tolerance or nxt > t + first_gap):
                bad[i] |= 4
                continue
            state[0] = t
            state[1] = 1
            continue
        ref = state[0]
        if t < ref - tolerance:
            bad[i] |= 2
            # a clock stepped back: the records after it continue from here
            if has_next and nxt >= t - tolerance and nxt <= t + tolerance and nxt < ref - tolerance:
                state[0] = t
            continue
        if t > ref + tolerance and has_next and nxt < t - tolerance:
            bad[i] |= 4  # a spike the next record comes back from
            continue
        if t > ref:
            state[0] = t


@njit
def _decode(buf, offs, caps, origs, links, count, kind, src, dst, proto, sport, dport, ip_len, pay_len, l4,
            seq, stamp, flags, bad):
    for i in range(count):
        o = offs[i]
        c = caps[i]
        linktype = links[i]
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
        total = _be16(buf, q + 2)
        if total == 0:  # segmentation offload: the length is the frame's
            total = np.int64(c) - l3
        if ihl < 20 or total < ihl:  # impossible IPv4 header
            kind[i] = 3
            continue
        # The IPv4 packet cannot be longer than the frame was (the captured bytes, or the
        # original length when the snap length cut the frame).
        wire = max(np.int64(origs[i]), np.int64(c)) - l3
        if total > wire:
            total = wire
            bad[i] |= 1
        kind[i] = 1
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
            if total - ihl < 8:
                kind[i] = 3
                continue
            sport[i] = _be16(buf, t)
            dport[i] = _be16(buf, t + 2)
            l4[i] = 1
            pay_len[i] = total - ihl - 8
            if have >= 20 and pay_len[i] >= 12:
                seq[i] = _u32(buf, t + 8, False)
                stamp[i] = (_u32(buf, t + 12, False) << 32) | _u32(buf, t + 16, False)
                flags[i] = 1
        elif pr == 6 and have >= 20:
            doff = np.int64(buf[t + 12] >> 4) * 4
            if doff < 20 or total - ihl < doff:
                kind[i] = 3
                continue
            sport[i] = _be16(buf, t)
            dport[i] = _be16(buf, t + 2)
            l4[i] = 1
            seq[i] = _u32(buf, t + 4, False)
            stamp[i] = _u32(buf, t + 8, False)
            pay_len[i] = total - ihl - doff
            flags[i] = buf[t + 13]
        elif pr == 6 or pr == 17:
            kind[i] = 2


class _Interfaces:
    """Interface table of a pcapng file, as arrays for the compiled walker."""

    def __init__(self, origin_ns: int | None, fallback_origin_ns: int):
        self.origin_ns, self.fallback = origin_ns, fallback_origin_ns
        self.section_base = 0
        self.items: list[Interface] = []
        self.origins = np.zeros(1, np.int64)  # per interface (global index): its time origin, ns
        self.arrays()

    def origin_of(self, it: Interface) -> int:
        if self.origin_ns is not None:
            return self.origin_ns
        return it.origin_ns if it.origin_ns is not None else self.fallback

    def arrays(self):
        items = self.items[self.section_base:]
        n = max(len(items), 1)
        self.link = np.zeros(n, np.int64)
        self.mul = np.ones(n, np.int64)
        self.div = np.ones(n, np.int64)
        self.shift = np.full(n, -1, np.int64)
        self.off = np.zeros(n, np.int64)
        self.snap = np.zeros(n, np.int64)
        for k, it in enumerate(items):
            self.link[k] = it.linktype
            self.snap[k] = it.snaplen
            v = it.tsresol & 0x7F
            if it.tsresol & 0x80:
                self.shift[k] = v
            elif v <= 9:
                self.mul[k] = 10 ** (9 - v)
            else:
                self.div[k] = 10 ** (v - 9)
            self.off[k] = it.tsoffset_s * 1_000_000_000 - self.origin_of(it)
        self.count = len(items)
        self.origins = np.array([self.origin_of(it) for it in self.items] or [0], np.int64)

    def new_section(self):
        self.section_base = len(self.items)
        self.arrays()

    def add(self, interface: Interface):
        self.items.append(interface)
        self.arrays()


def read_batches(header: PcapHeader, *, chunk_bytes: int = DEFAULT_CHUNK, progress=None,
                 origin_ns: int | None = None, fallback_origin_ns: int = 0,
                 found: dict | None = None) -> Iterator[Batch]:
    """Decoded records of the file, one Batch per chunk; PcapDamaged after the last good one.

    Times are ns since `origin_ns` when given, else since the origin the capture states
    (netsim's interface comment), else since `fallback_origin_ns` (ns since 1970).
    `progress`, if given, is called with the number of bytes consumed since the last call.
    `found`, if given, receives "interfaces" (every Interface, in file order) and "names"
    (pcapng Name Resolution Block entries, IPv4 int -> name) as they are read.
    """
    if found is not None:
        found.setdefault("names", {})
        found["interfaces"] = list(header.interfaces) if header.format == "pcap" else []
    if header.format == "pcapng":
        yield from _read_pcapng(header, chunk_bytes, progress, origin_ns, fallback_origin_ns, found)
        return
    path = header.path
    buf, (offs, ts, incl, orig, links) = _scratch(chunk_bytes, 5)
    links[:] = header.linktype
    frac_ns, frac_limit = (1, 1_000_000_000) if header.nanoseconds else (1000, 1_000_000)
    max_incl = min(max(header.snaplen, 262_144), MAX_RECORD)
    offset_ns = -(origin_ns if origin_ns is not None else fallback_origin_ns)
    times = np.zeros(2, np.int64)
    record = 1           # number of the next record
    file_offset = 24     # byte offset of buf[0] in the file
    held = 0             # bytes at the start of buf not yet consumed
    with header.path.open("rb") as f:
        f.seek(24)
        eof = False
        while True:
            buf, n, eof = _refill(f, buf, held, eof)
            count, pos, status = _walk(buf, n, header.little_endian, frac_ns, frac_limit, max_incl, offset_ns,
                                       offs, ts, incl, orig)
            if count:
                yield _batch(buf, record, count, offs, ts, incl, orig, links, None, times)
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


def _scratch(chunk_bytes: int, arrays: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """A read buffer and per-record int64 arrays (a record takes at least 16 bytes)."""
    cap = chunk_bytes // 16 + 1
    return np.empty(chunk_bytes, dtype=np.uint8), [np.empty(cap, np.int64) for _ in range(arrays)]


def _refill(f, buf: np.ndarray, held: int, eof: bool) -> tuple[np.ndarray, int, bool]:
    """Read after the `held` unconsumed bytes at the start of buf (doubled when one record
    fills it): (buffer, bytes in it, end of file reached)."""
    if held == len(buf):
        bigger = np.empty(2 * len(buf), dtype=np.uint8)
        bigger[:held] = buf[:held]
        buf = bigger
    got = f.readinto(memoryview(buf)[held:]) if not eof else 0
    return buf, held + got, eof or got == 0


def _batch(buf, record, count, offs, ts, incl, orig, links, ifaces, times, origins=None) -> Batch:
    out = {name: np.empty(count, dtype) for name, dtype in _FIELDS}
    out["ts_ns"][:] = ts[:count]
    out["orig_len"][:] = orig[:count]
    out["cap_len"][:] = incl[:count]
    out["iface"][:] = ifaces[:count] if ifaces is not None else 0
    out["bad"][:] = 0
    _decode(buf, offs, incl, orig, links, count, out["kind"], out["src"], out["dst"],
            out["proto"], out["sport"], out["dport"], out["ip_len"], out["pay_len"], out["l4"],
            out["seq"], out["stamp"], out["flags"], out["bad"])
    # Order is checked on the capture clock itself: interfaces may count from different origins.
    clock = out["ts_ns"] if origins is None or not origins.any() else out["ts_ns"] + origins[out["iface"]]
    _check_times(clock, out["kind"], out["bad"], times, TIME_TOLERANCE_NS, FIRST_RECORD_GAP_NS)
    return Batch(record, **out)


def _read_pcapng(header: PcapHeader, chunk_bytes: int, progress, origin_ns, fallback_origin_ns,
                 found) -> Iterator[Batch]:
    path = header.path
    buf, (offs, ts, incl, orig, links, ifaces) = _scratch(chunk_bytes, 6)
    table = _Interfaces(origin_ns, fallback_origin_ns)
    times = np.zeros(2, np.int64)
    little = header.little_endian
    last_ts = 0
    record = 1
    file_offset = 0
    held = 0
    with path.open("rb") as f:
        eof = False
        while True:
            buf, n, eof = _refill(f, buf, held, eof)
            count, pos = 0, 0
            while True:
                count, pos, status, last_ts = _walk_ng(
                    buf, pos, n, little, count, table.section_base, table.count, table.link, table.mul, table.div, table.shift,
                    table.off, table.snap, last_ts, offs, ts, incl, orig, links, ifaces)
                if status != _CONTROL:
                    break
                # a block for Python: section header, interface, names
                order = "little" if little else "big"
                blen = int.from_bytes(bytes(buf[pos + 4:pos + 8]), order)
                if int.from_bytes(bytes(buf[pos:pos + 4]), "little") == _BLOCK_SHB:
                    order = _shb_order(path, bytes(buf[pos:pos + 16]), file_offset + pos)
                    little = order == "little"
                    blen = int.from_bytes(bytes(buf[pos + 4:pos + 8]), order)
                if blen < 12 or blen % 4 or blen > MAX_RECORD:
                    status = _CORRUPT_BLOCK
                    break
                if pos + blen > n:
                    break  # read more
                block = bytes(buf[pos:pos + blen])
                btype = int.from_bytes(block[:4], order)
                if btype == _BLOCK_SHB:
                    table.new_section()
                elif btype == _BLOCK_IDB:
                    table.add(_parse_idb(path, block[8:-4], order, file_offset + pos,
                                         len(table.items) - table.section_base))
                    if found is not None:
                        found["interfaces"].append(table.items[-1])
                elif btype == _BLOCK_NRB and found is not None:
                    found["names"].update(_parse_nrb(block[8:-4], order))
                pos += blen
            if count:
                yield _batch(buf, record, count, offs, ts, incl, orig, links, ifaces, times, table.origins)
                record += count
            if progress is not None:
                progress(pos)
            if status not in (_OK, _CONTROL):
                raise PcapDamaged(path, _ng_damage(buf, pos, little, table, status), record=record,
                                  offset=file_offset + pos)
            tail = n - pos
            buf[:tail] = buf[pos:n]
            held = tail
            file_offset += pos
            if eof and count == 0 and pos == 0:
                if held:
                    raise PcapDamaged(path, f"file truncated inside a block ({held} bytes of it present)",
                                      record=record, offset=file_offset)
                return


def _parse_nrb(body: bytes, order: str) -> dict[int, str]:
    out = {}
    pos = 0
    while pos + 4 <= len(body):
        rtype = int.from_bytes(body[pos:pos + 2], order)
        length = int.from_bytes(body[pos + 2:pos + 4], order)
        if rtype == 0:
            break
        value = body[pos + 4:pos + 4 + length]
        if rtype == 1 and len(value) > 4:
            name = value[4:].split(b"\0")[0].decode("utf-8", "replace")
            out[int.from_bytes(value[:4], "big")] = name
        pos += 4 + length + (-length % 4)
    return out


def _ng_damage(buf, pos, little, table, status) -> str:
    order = "little" if little else "big"
    btype = int.from_bytes(bytes(buf[pos:pos + 4]), order)
    blen = int.from_bytes(bytes(buf[pos + 4:pos + 8]), order)
    if status == _BAD_INTERFACE:
        ifid = int.from_bytes(bytes(buf[pos + 8:pos + 12]), order) if btype == _BLOCK_EPB else 0
        return (f"packet block refers to interface {ifid}, but the section declares {table.count} "
                "interface(s); the file is damaged from here on")
    return (f"corrupt block header: type {btype:#x}, length {blen} (a block is 12..{MAX_RECORD} bytes, "
            "a multiple of 4, and holds its packet); the file is damaged from here on")


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
