"""`netsim analyze` on pcaps written by another tool (scapy), and on damaged files."""

from __future__ import annotations

import struct
from decimal import Decimal

import pytest

from netsim.analysis.analyze import analyze
from netsim.analysis.pcap import PcapError, read_header
from netsim.cli.main import main

scapy = pytest.importorskip("scapy.all")
from scapy.all import IP, PPP, TCP, UDP, CookedLinux, Dot1Q, Ether, Raw, wrpcap  # noqa: E402

# A SeqTs flow: send times 1 ms apart, delay 5 ms + 1 us per sequence number,
# sequence 3 lost, 7 arrives before 6.
SENT_NS = {k: 2_000_000_000 + k * 1_000_000 for k in range(10)}
DELAY_NS = {k: 5_000_000 + k * 1_000 for k in range(10)}
ARRIVAL_ORDER = [0, 1, 2, 4, 5, 7, 6, 8, 9]


def _seqts_frames(link: str):
    frames = []
    for k in ARRIVAL_ORDER:
        udp = IP(src="10.128.0.1", dst="10.128.0.2") / UDP(sport=49153, dport=9000) / Raw(
            struct.pack(">IQ", k, SENT_NS[k]) + bytes(88))
        frame = {"ether": lambda u: Ether() / Dot1Q(vlan=7) / u, "sll": lambda u: CookedLinux(proto=0x0800) / u,
                 "ppp": lambda u: PPP() / u, "raw": lambda u: u}[link](udp)
        # arrival time; a 1 us file truncates it, 6 -> 7 arrive in order of their stamps
        t_ns = SENT_NS[k] + DELAY_NS[k] + (2_000_000 if k == 6 else 0)
        frame.time = Decimal(t_ns) / Decimal(10 ** 9)
        frames.append((frame, t_ns))
    return frames


def _swap_to_big_endian(path):
    """Rewrite a little-endian pcap in big-endian byte order (as a SPARC tcpdump would)."""
    data = path.read_bytes()
    out = bytearray(struct.pack(">IHHiIII", *struct.unpack("<IHHiIII", data[:24])))
    pos = 24
    while pos < len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        out += struct.pack(">IIII", sec, frac, incl, orig) + data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
    path.write_bytes(bytes(out))


@pytest.mark.parametrize("link, nano, big", [("ether", True, False), ("sll", False, False),
                                             ("ppp", False, True), ("raw", True, True)])
def test_seqts_flow_written_by_scapy(tmp_path, link, nano, big):
    frames = _seqts_frames(link)
    path = tmp_path / f"{link}.pcap"
    wrpcap(str(path), [f for f, _ in frames], nano=nano, linktype=101 if link == "raw" else None)
    if big:
        _swap_to_big_endian(path)
    header = read_header(path)
    assert header.little_endian is not big and header.nanoseconds is nano
    row = analyze([path]).flows.iloc[0]
    assert (row["src"], row["dst"], row["sport"], row["dport"], row["proto"]) == \
        ("10.128.0.1", "10.128.0.2", 49153, 9000, "udp")
    assert row["packets"] == 9 and row["ip_bytes"] == 9 * 128 and row["payload_bytes"] == 9 * 100
    assert row["seqts"] and row["packets_expected"] == 10 and row["packets_lost"] == 1
    assert row["reordered"] == 1
    res = 1 if nano else 1000
    delays = [(t // res * res - SENT_NS[k]) for (_, t), k in zip(frames, ARRIVAL_ORDER)]
    assert row["delay_mean_ms"] == pytest.approx(sum(delays) / len(delays) * 1e-6, abs=1e-9)
    assert row["delay_min_ms"] == pytest.approx(min(delays) * 1e-6, abs=1e-9)
    assert row["delay_max_ms"] == pytest.approx(max(delays) * 1e-6, abs=1e-9)
    jitter = ipdv = 0.0
    for a, b in zip(delays, delays[1:]):  # RFC 3550 in arrival order
        jitter += (abs(b - a) - jitter) / 16
        ipdv += abs(b - a)
    assert row["jitter_ms"] == pytest.approx(jitter * 1e-6, rel=1e-9)
    assert row["ipdv_mean_ms"] == pytest.approx(ipdv / 8 * 1e-6, rel=1e-9)


def _tcp_frames():
    """A connection whose client ISN wraps past 2**32, one lost and retransmitted segment."""
    c, s = dict(src="10.0.0.1", dst="10.0.0.2"), dict(src="10.0.0.2", dst="10.0.0.1")
    cp, sp = dict(sport=40000, dport=80), dict(sport=80, dport=40000)
    isn, srv = 2**32 - 1500, 5000
    w = lambda x: x % 2**32  # noqa: E731
    script = [  # (ms, frame)
        (0, IP(**c) / TCP(**cp, flags="S", seq=isn)),
        (10, IP(**s) / TCP(**sp, flags="SA", seq=srv, ack=w(isn + 1))),
        (20, IP(**c) / TCP(**cp, flags="A", seq=w(isn + 1), ack=srv + 1)),
        (20, IP(**c) / TCP(**cp, flags="PA", seq=w(isn + 1), ack=srv + 1) / Raw(bytes(1000))),
        (21, IP(**c) / TCP(**cp, flags="PA", seq=w(isn + 1001), ack=srv + 1) / Raw(bytes(1000))),
        (22, IP(**c) / TCP(**cp, flags="PA", seq=w(isn + 2001), ack=srv + 1) / Raw(bytes(1000))),  # lost
        (30, IP(**s) / TCP(**sp, flags="A", seq=srv + 1, ack=w(isn + 1001))),
        (31, IP(**s) / TCP(**sp, flags="A", seq=srv + 1, ack=w(isn + 2001))),
        (60, IP(**c) / TCP(**cp, flags="PA", seq=w(isn + 2001), ack=srv + 1) / Raw(bytes(1000))),  # again
        (70, IP(**s) / TCP(**sp, flags="A", seq=srv + 1, ack=w(isn + 3001))),  # ambiguous: no sample
        (71, IP(**c) / TCP(**cp, flags="PA", seq=w(isn + 3001), ack=srv + 1) / Raw(bytes(500))),
        (83, IP(**s) / TCP(**sp, flags="A", seq=srv + 1, ack=w(isn + 3501))),
    ]
    frames = []
    for ms, ip in script:
        frame = Ether() / ip
        frame.time = Decimal(1_700_000_000) + Decimal(ms) / 1000
        frames.append(frame)
    return frames


def test_tcp_rtt_and_retransmissions(tmp_path):
    path = tmp_path / "tcp.pcap"
    wrpcap(str(path), _tcp_frames())
    flows = analyze([path]).flows.set_index("sport")
    client, server = flows.loc[40000], flows.loc[80]
    assert client["proto"] == "tcp" and client["packets"] == 7 and server["packets"] == 5
    assert client["tcp_data_packets"] == 5 and client["tcp_retransmissions"] == 1
    assert client["tcp_retransmitted_bytes"] == 1000
    assert client["payload_bytes"] == 4500
    # samples: SYN 10 ms, segments 1 and 2 10 ms each, the last one 12 ms (Karn skips the resent one)
    assert client["rtt_samples"] == 4
    assert client["rtt_mean_ms"] == pytest.approx(10.5)
    assert (client["rtt_min_ms"], client["rtt_max_ms"]) == pytest.approx((10.0, 12.0))
    assert client["rtt_p50_ms"] == pytest.approx(10.0, rel=1e-4)
    assert server["tcp_retransmissions"] == 0 and server["rtt_samples"] == 1  # SYN-ACK, acked at 20 ms
    assert server["rtt_mean_ms"] == pytest.approx(10.0)
    assert not client["seqts"]


@pytest.fixture
def good_pcap(tmp_path):
    path = tmp_path / "good.pcap"
    wrpcap(str(path), [f for f, _ in _seqts_frames("ether")])
    return path


def test_truncated_pcap_marks_rows_partial(good_pcap, tmp_path, capsys):
    data = good_pcap.read_bytes()
    record = 16 + 4 + 14 + 128  # record header + Dot1Q + Ethernet + IP packet
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:24 + 5 * record + 40])  # 5 good records, then 40 bytes of the 6th
    analysis = analyze([cut])
    err = analysis.captures[0].error
    assert err.record == 6 and err.offset == 24 + 5 * record
    assert "truncated inside a record" in str(err) and "cut.pcap" in str(err)
    row = analysis.flows.iloc[0]
    assert row["partial"] and row["packets"] == 5
    assert analysis.throughput["partial"].all()

    out = tmp_path / "out"
    assert main(["analyze", str(cut), "--out", str(out), "--quiet", "--no-plots"]) == 2
    stderr = capsys.readouterr().err
    assert "record 6 at byte offset" in stderr and "partial=True" in stderr
    assert "True" in (out / "flows.csv").read_text().splitlines()[1]


def test_corrupt_record_header(good_pcap, tmp_path):
    data = bytearray(good_pcap.read_bytes())
    record = 16 + 4 + 14 + 128
    at = 24 + 3 * record
    data[at + 8:at + 12] = struct.pack("<I", 0x7FFFFFFF)  # captured length of record 4
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(bytes(data))
    analysis = analyze([bad])
    err = analysis.captures[0].error
    assert err.record == 4 and err.offset == at and "corrupt record header" in str(err)
    assert analysis.flows.iloc[0]["packets"] == 3 and analysis.flows.iloc[0]["partial"]


@pytest.mark.parametrize("content, message", [
    (b"\x0a\x0d\x0d\x0a" + bytes(60), "pcapng section header with byte-order magic 00000000 (expected 1a2b3c4d)"),
    (b"hello, this is not a capture at all", "not a pcap or pcapng file"),
    (b"\xd4\xc3\xb2\xa1", "too short for a pcap global header"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 147), "link type 147 is not supported"),
])
def test_unusable_files_get_a_clear_error(tmp_path, capsys, content, message):
    path = tmp_path / "x.pcap"
    path.write_bytes(content)
    with pytest.raises(PcapError, match="x.pcap"):
        read_header(path)
    assert main(["analyze", str(path), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "analysis").exists()


def test_missing_input(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.pcap")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


# ------------------------------------------------------------------------------ pcapng

def _block(order, btype, body):
    return struct.pack(order + "II", btype, 12 + len(body)) + body + struct.pack(order + "I", 12 + len(body))


def _option(order, code, value):
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def _epb(order, iface, raw_ts, frame, orig=None):
    body = struct.pack(order + "IIIII", iface, raw_ts >> 32, raw_ts & 0xFFFFFFFF, len(frame),
                       orig or len(frame)) + frame + bytes(-len(frame) % 4)
    return _block(order, 6, body)


def _section(order, interfaces, blocks):
    out = _block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack(order + "HH", 0, 0))
    for linktype, options in interfaces:
        opts = b"".join(_option(order, c, v) for c, v in options) + struct.pack(order + "HH", 0, 0)
        out += _block(order, 1, struct.pack(order + "HHI", linktype, 0, 65535) + opts)
    return out + b"".join(blocks)


def _udp(k, sent_ns, raw=False):
    ip = IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5000, dport=9000 + raw) / Raw(
        struct.pack(">IQ", k, sent_ns) + bytes(20))
    return bytes(ip if raw else Ether() / ip)


def test_pcapng_sections_byte_orders_resolutions_and_names(tmp_path):
    """A big-endian section (Ethernet, microseconds, a name record) and a little-endian one
    (raw IP, binary resolution 2^-20 s, if_tsoffset 100 s, a simple packet block, skipped
    statistics and custom blocks): every interface keeps its own link type and clock."""
    nrb_record = bytes([10, 0, 0, 1]) + b"alpha\0"
    nrb = _block(">", 4, struct.pack(">HH", 1, len(nrb_record)) + nrb_record + bytes(-len(nrb_record) % 4)
                 + struct.pack(">HH", 0, 0))
    big = _section(">", [(1, [(2, b"eth0"), (9, b"\x06")])],
                   [nrb] + [_epb(">", 0, 2_000_000 + 5_000 + k * 1_000, _udp(k, 2_000_000_000 + k * 1_000_000))
                            for k in range(3)])
    # t = 2.5 s + k/256 s after the offset: exact in 2^-20 s units and in ns
    little = _section("<", [(101, [(2, b"tun0"), (9, b"\x94"), (14, struct.pack("<q", 100))])],
                      [_epb("<", 0, (2 * 2**20 + 2**19) + k * 2**12, _udp(k, 102_500_000_000 + k * 3_906_250 - 7_000_000,
                                                                           raw=True)) for k in range(2)]
                      + [_block("<", 5, bytes(16)), _block("<", 0x40000BAD, bytes(8))]
                      + [_block("<", 3, struct.pack("<I", 60) + _udp(9, 0, raw=True))])
    path = tmp_path / "two-sections.pcapng"
    path.write_bytes(big + little)
    header = read_header(path)
    assert header.format == "pcapng" and not header.little_endian and header.linktype == 1
    analysis = analyze([path])
    summary = analysis.captures[0]
    assert summary.error is None and summary.interfaces == 2 and summary.link_types == "1 101"
    assert summary.names == {0x0A000001: "alpha"} and summary.malformed == 0
    flows = analysis.flows.set_index("interface")
    eth, tun = flows.loc[0], flows.loc[1]
    assert eth["packets"] == 3 and eth["delay_mean_ms"] == pytest.approx(5.0, abs=1e-9)
    assert eth["start_s"] == pytest.approx(2.005)
    # the simple packet block (no timestamp) counts with the previous packet's time
    assert tun["packets"] == 3 and tun["start_s"] == pytest.approx(102.5)
    assert tun["end_s"] == pytest.approx(102.5 + 1 / 256)


@pytest.mark.parametrize("spoil, message", [
    (lambda d, at: d[:at + 40], "file truncated inside a block"),
    (lambda d, at: d[:at + 4] + struct.pack("<I", 6) + d[at + 8:], "corrupt block header: type 0x6, length 6"),
    (lambda d, at: d[:at + 8] + struct.pack("<I", 7) + d[at + 12:], "refers to interface 7, but the section declares 1"),
])
def test_damaged_pcapng_keeps_the_rows_before_the_damage(tmp_path, spoil, message):
    blocks = [_epb("<", 0, 2_000_000_000 + k * 1_000_000, _udp(k, 1_995_000_000 + k * 1_000_000)) for k in range(6)]
    data = _section("<", [(1, [(9, b"\x09")])], blocks)
    at = len(data) - sum(len(b) for b in blocks[3:])  # the 4th packet block
    path = tmp_path / "damaged.pcapng"
    path.write_bytes(spoil(data, at))
    analysis = analyze([path])
    err = analysis.captures[0].error
    assert err is not None and message in str(err) and err.record == 4 and err.offset == at
    row = analysis.flows.iloc[0]
    assert row["partial"] and row["packets"] == 3


def test_pcapng_interface_with_an_unsupported_link_type(tmp_path, capsys):
    path = tmp_path / "usb.pcapng"
    path.write_bytes(_section("<", [(189, [(2, b"usbmon0")])], []))
    with pytest.raises(PcapError, match=r"interface 0 \(usbmon0\): link type 189 is not supported"):
        read_header(path)
    assert main(["analyze", str(path), "--quiet"]) == 2
    assert "link type 189 is not supported; supported: 0 (BSD loopback)" in capsys.readouterr().err


def test_flows_keep_their_identity_when_the_flow_table_grows(tmp_path):
    # 200 UDP flows (the table starts at 64 and grows twice), each sending one packet
    # before and one after all the others: every flow, the very first included, must come
    # out as one row of 2 packets (a flow lost from the table on growth would be split).
    first, second = [], []
    for f in range(200):
        for k, out in ((0, first), (1, second)):
            frame = Ether() / IP(src="10.128.0.1", dst="10.128.0.2") / UDP(sport=20000 + f, dport=9000) / Raw(bytes(50))
            frame.time = Decimal(1_700_000_000) + Decimal(k * 1000 + f) / 1000
            out.append(frame)
    path = tmp_path / "many.pcap"
    wrpcap(str(path), first + second)
    flows = analyze([path]).flows
    assert len(flows) == 200 and set(flows["sport"]) == set(range(20000, 20200))
    assert (flows["packets"] == 2).all()


def test_each_flow_has_its_own_delay_cdf(tmp_path):
    # Two SeqTs flows in one capture, 5 ms and 9 ms of constant delay: each flow's CDF
    # jumps to 1 at its own delay (within the histogram's bin width) and nowhere near
    # the other's.
    frames = []
    for flow, (sport, delay_ns) in enumerate([(49153, 5_000_000), (49154, 9_000_000)]):
        for k in range(20):
            sent = 2_000_000_000 + k * 1_000_000 + flow * 100_000
            udp = IP(src="10.128.0.1", dst="10.128.0.2") / UDP(sport=sport, dport=9000) / Raw(
                struct.pack(">IQ", k, sent) + bytes(88))
            frame = Ether() / udp
            frame.time = Decimal(sent + delay_ns) / Decimal(10 ** 9)
            frames.append(frame)
    frames.sort(key=lambda f: f.time)
    path = tmp_path / "two.pcap"
    wrpcap(str(path), frames, nano=True)
    result = analyze([path])
    for row, expected_ms in zip(result.flows.sort_values("sport").index, (5.0, 9.0)):
        values_ms, fraction = result.delay_cdfs[int(row)]
        assert fraction[-1] == pytest.approx(1.0)
        assert values_ms[0] == pytest.approx(expected_ms, rel=0.02) and values_ms[-1] == pytest.approx(expected_ms, rel=0.02)


def test_many_tcp_connections_each_get_their_own_rtt_samples(tmp_path):
    # Eight interleaved connections (the RTT state starts with room for four), each with
    # 40 data segments acknowledged after its own RTTs of 10 + c ms + k * 0.25 ms: 320
    # distinct (connection, RTT) values, more than the RTT table's first size.
    frames = []
    for c in range(8):
        cl, sv = dict(src="10.0.0.1", dst="10.0.0.2"), dict(src="10.0.0.2", dst="10.0.0.1")
        cp, sp = dict(sport=41000 + c, dport=80), dict(sport=80, dport=41000 + c)
        t0 = 1_700_000_000_000 + c * 7  # ms
        frames += [(t0, IP(**cl) / TCP(**cp, flags="S", seq=1000)),
                   (t0 + 1, IP(**sv) / TCP(**sp, flags="SA", seq=5000, ack=1001)),
                   (t0 + 2, IP(**cl) / TCP(**cp, flags="A", seq=1001, ack=5001))]
        for k in range(40):
            sent = t0 + 100 + 50 * k
            seq = 1001 + 1000 * k
            frames.append((sent, IP(**cl) / TCP(**cp, flags="PA", seq=seq, ack=5001) / Raw(bytes(1000))))
            frames.append((sent + 10 + c + 0.25 * k, IP(**sv) / TCP(**sp, flags="A", seq=5001, ack=seq + 1000)))
    frames.sort(key=lambda f: f[0])
    packets = []
    for ms, ip in frames:
        frame = Ether() / ip
        frame.time = Decimal(str(ms)) / 1000
        packets.append(frame)
    path = tmp_path / "conns.pcap"
    wrpcap(str(path), packets, nano=True)
    flows = analyze([path]).flows
    for c in range(8):
        row = flows[(flows["sport"] == 41000 + c) & (flows["dport"] == 80)].iloc[0]
        rtts = [1.0] + [10 + c + 0.25 * k for k in range(40)]  # the handshake's SYN -> SYN-ACK, then data
        assert row["rtt_samples"] == len(rtts), (c, row["rtt_samples"])
        assert row["rtt_mean_ms"] == pytest.approx(sum(rtts) / len(rtts), abs=1e-6)
        assert row["rtt_max_ms"] == pytest.approx(max(rtts), abs=1e-6)


def test_a_one_packet_seqts_flow_expects_one_packet(tmp_path):
    # Sequence 0 alone: one packet expected, none lost (the running maximum starts below 0).
    udp = IP(src="10.128.0.1", dst="10.128.0.2") / UDP(sport=49153, dport=9000) / Raw(
        struct.pack(">IQ", 0, 2_000_000_000) + bytes(88))
    frame = Ether() / udp
    frame.time = Decimal(2_005_000_000) / Decimal(10 ** 9)
    path = tmp_path / "one.pcap"
    wrpcap(str(path), [frame], nano=True)
    row = analyze([path]).flows.iloc[0]
    assert row["seqts"] and row["packets_expected"] == 1 and row["packets_lost"] == 0
