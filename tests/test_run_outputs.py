"""The run folder: manifest, flow table, pcap files readable by Wireshark tools,
and byte-identical results for the same scenario and seed."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import capture_path, default_scenario_dict
from netsim.run import huge_pages

LINKTYPE_PPP = 9
EPOCH_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z, the default scenario's epoch


def read_pcapng(path):
    """An independent pcapng parse (little-endian, as written here): the interfaces
    [(link type, snap length, {option code: bytes})], the names {IPv4 bytes: name} and the
    frames [(timestamp ns, EPB flags, original length, frame bytes)]."""
    data = path.read_bytes()
    interfaces, names, frames, pos = [], {}, [], 0
    assert data[:4] == b"\x0a\x0d\x0d\x0a" and struct.unpack("<I", data[8:12])[0] == 0x1A2B3C4D

    def options(body):
        out, p = {}, 0
        while p + 4 <= len(body):
            code, length = struct.unpack("<HH", body[p:p + 4])
            if code == 0:
                break
            out[code] = body[p + 4:p + 4 + length]
            p += 4 + length + (-length % 4)
        return out

    while pos < len(data):
        btype, blen = struct.unpack("<II", data[pos:pos + 8])
        assert struct.unpack("<I", data[pos + blen - 4:pos + blen])[0] == blen
        body = data[pos + 8:pos + blen - 4]
        if btype == 1:
            linktype, _, snaplen = struct.unpack("<HHI", body[:8])
            interfaces.append((linktype, snaplen, options(body[8:])))
        elif btype == 4:
            p = 0
            while True:
                rtype, length = struct.unpack("<HH", body[p:p + 4])
                if rtype == 0:
                    break
                names[body[p + 4:p + 8]] = body[p + 8:p + 4 + length].rstrip(b"\0").decode()
                p += 4 + length + (-length % 4)
        elif btype == 6:
            iface, hi, lo, incl, orig = struct.unpack("<IIIII", body[:20])
            flags = options(body[20 + incl + (-incl % 4):]).get(2)
            frames.append(((hi << 32) | lo, struct.unpack("<I", flags)[0], orig, body[20:20 + incl]))
        pos += blen
    return interfaces, names, frames


def node_captures(run_dir, node: str) -> list:
    """A node's capture files (pcap/INDEX-NODE-portN.pcapng)."""
    return sorted((run_dir / "pcap").glob(f"[0-9]*-{node}-port*.pcapng"))


def capture_frames(path) -> list[tuple[int, bytes]]:
    """(timestamp ns since 1970, frame bytes) of every packet of a capture."""
    return [(ts, frame) for ts, _, _, frame in read_pcapng(path)[2]]


def udp_ports(frame: bytes):
    """(src port, dst port) of a PPP/IPv4/UDP frame, or None."""
    if frame[:2] != b"\x00\x21" or frame[2 + 9] != 17:
        return None
    ihl = (frame[2] & 0x0F) * 4
    return struct.unpack(">HH", frame[2 + ihl:2 + ihl + 4])


def test_manifest_and_flow_table(short_run):
    scenario, result = short_run
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["seed"] == scenario.seed
    assert manifest["versions"]["ns3"] == "3.44.post0"
    assert manifest["scenario"]["duration_s"] == 3.0
    header = (result.run_dir / "flows.csv").read_text().splitlines()[0]
    assert header.startswith("flow,src,dst,packets_sent,packets_received,packets_lost")
    assert "delay_p99_ms" in header
    rtt = list(csv.DictReader((result.run_dir / "rtt.csv").open()))
    updates = round((scenario.duration_s + scenario.drain_s) / scenario.routing.update_interval_s)
    assert len(rtt) == updates * len({(f.src, f.dst) for f in scenario.traffic})
    assert all(r["reachable"] == "True" and float(r["rtt_ms"]) > 0 for r in rtt)
    # London hands over at 2.6 s in this scenario: the change is in the table.
    changes = list(csv.DictReader((result.run_dir / "path_changes.csv").open()))
    assert any(c["src"] == "london" and c["time_s"] == "2.600000" for c in changes)


def test_capture_holds_each_flow_packet_once_per_direction(short_run):
    scenario, result = short_run
    pcap = capture_path(result.run_dir, "london")
    assert pcap.name == "144-london-port0.pcapng"  # node index 144: the 144 satellites come first
    interfaces, names, frames = read_pcapng(pcap)
    assert len(interfaces) == 1
    linktype, snaplen, options = interfaces[0]
    assert (linktype, snaplen) == (LINKTYPE_PPP, 65535)
    assert options[2] == b"london port 0" and options[3].startswith(b"london port 0 (ground, node 144")
    assert options[9] == b"\x09"  # nanosecond timestamps
    assert names == {bytes([10, 128, 0, 1 + g]): name for g, name in enumerate(["london", "new_york", "singapore",
                                                                                   "sydney"])}
    to_port, directions = {}, {}
    for ts, flags, orig, frame in frames:
        assert orig == len(frame)
        ports = udp_ports(frame)
        if ports:
            to_port[ports[1]] = to_port.get(ports[1], 0) + 1
            directions.setdefault(ports[1], set()).add(flags & 3)
    by_name = {row["flow"]: row for row in result.flows}
    # london sends flow 0 (port 9000) and receives flow 2 (port 9002).
    assert to_port[9000] == by_name["london-new_york"]["packets_sent"]
    assert to_port[9002] == by_name["new_york-london"]["packets_received"]
    assert directions == {9000: {2}, 9002: {1}}  # EPB flags: outbound, inbound
    # timestamps: the epoch plus the simulation time of each received packet, to the ns
    received = np.sort(result.packets.received_ns[result.packets.flow == 2])
    inbound = np.array([ts for ts, flags, _, frame in frames if udp_ports(frame) == (49153, 9002)])
    assert np.array_equal(inbound - EPOCH_NS, received)
    index = list(csv.DictReader((result.run_dir / "pcap" / "index.csv").open()))
    assert index[0] == {"file": pcap.name, "node": "london", "node_index": "144", "port": "0", "kind": "ground",
                        "interface": "london port 0"}


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed (CI installs it)")
def test_tshark_lists_the_udp_flows(short_run):
    _, result = short_run
    pcap = capture_path(result.run_dir, "london")
    out = subprocess.run(["tshark", "-r", str(pcap), "-Y", "udp", "-T", "fields", "-e", "udp.dstport"],
                         capture_output=True, text=True, timeout=300, check=True).stdout.split()
    by_name = {row["flow"]: row for row in result.flows}
    assert out.count("9000") == by_name["london-new_york"]["packets_sent"]
    assert out.count("9002") == by_name["new_york-london"]["packets_received"]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed (CI installs it)")
def test_tshark_shows_nanosecond_times_on_the_scenario_date_and_station_names(short_run):
    _, result = short_run
    pcap = capture_path(result.run_dir, "london")
    lines = subprocess.run(["tshark", "-r", str(pcap), "-N", "n", "-t", "ud", "-Y", "udp.dstport == 9002"],
                           capture_output=True, text=True, timeout=300, check=True).stdout.splitlines()
    # e.g. "1315 2026-01-01 00:00:00.245314726     new_york → london       UDP 530 49153 → 9002 Len=500"
    first = lines[0].split()
    assert first[1] == "2026-01-01" and re.fullmatch(r"00:00:0\d\.\d{9}", first[2])
    assert (first[3], first[5]) == ("new_york", "london")
    received = int(np.sort(result.packets.received_ns[result.packets.flow == 2])[0])
    assert first[2] == f"00:00:{received // 10**9:02d}.{received % 10**9:09d}"
    fields = subprocess.run(["tshark", "-r", str(pcap), "-c", "1", "-T", "fields", "-e", "frame.interface_name",
                             "-e", "frame.interface_description"],
                            capture_output=True, text=True, timeout=300, check=True).stdout.strip().split("\t")
    assert fields[0] == "london port 0" and fields[1].startswith("london port 0 (ground, node 144,")


def digest(run_dir):
    files = [run_dir / name for name in ("flows.csv", "handovers.csv", "links.csv", "rtt.csv", "path_changes.csv")]
    files += [*sorted((run_dir / "pcap").glob("*.pcapng")), run_dir / "pcap" / "index.csv"]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def random_scenario(seed: int) -> dict:
    """Every source of randomness at once: bit errors (ISL terminals with 12 µrad tracking
    jitter, time-correlated at a 200 Hz bandwidth), ground acquisition times drawn from a
    distribution (london hands over at 2.6 s), exponential on/off traffic, and a
    random_pairs generator seeded by the scenario."""
    raw = default_scenario_dict(duration_s=3.0, drain_s=0.3, seed=seed)
    raw["laser"] = {**raw["laser"], "pointing_jitter_bandwidth_hz": 200.0}
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "tracking_jitter_urad": 12.0}}
    raw["ground_links"].update(switch_margin=0.0, max_slew_rate_deg_s=1e9,
                               acquisition_s={"distribution": "uniform", "low": 0.05, "high": 0.5})
    raw["traffic"] = [
        {"name": "ground", "src": "london", "dst": "new_york", "rate_mbps": 20, "packet_bytes": 1000,
         "start_s": 0.1001, "stop_s": 2.9},
        # Between satellites: nothing but bit errors can lose these packets.
        {"name": "space", "src": "vleo-0-0", "dst": "vleo-6-6", "rate_mbps": 20, "packet_bytes": 1000,
         "start_s": 0.1001, "stop_s": 2.9},
        {"name": "onoff", "kind": "udp_onoff", "src": "singapore", "dst": "sydney", "rate_mbps": 10,
         "on_s": 0.05, "off_s": 0.05, "distribution": "exponential", "start_s": 0.1001, "stop_s": 2.9},
        {"generate": "random_pairs", "name": "pairs", "count": 3, "among": {"tier": "vleo"}, "kind": "udp_cbr",
         "rate_mbps": 1, "start_s": 0.1001, "stop_s": 2.9},
    ]
    raw["outputs"] = {"pcap_nodes": ["new_york", "sydney", "vleo-6-6"]}
    return raw


def received_seqs(run_dir, node: str, dport: int) -> set[int]:
    """Sequence numbers (first 4 bytes of the SeqTs payload) of the UDP packets to dport
    captured on the node's ports."""
    seqs = set()
    for pcap in node_captures(run_dir, node):
        for _, frame in capture_frames(pcap):
            ports = udp_ports(frame)
            if ports and ports[1] == dport:
                ihl = (frame[2] & 0x0F) * 4
                seqs.add(struct.unpack(">I", frame[2 + ihl + 8:2 + ihl + 12])[0])
    return seqs


@pytest.fixture(scope="module")
def seeded_runs(tmp_path_factory):
    """The random scenario run as separate processes: seed 1 twice (the second time with
    the core's memory on ordinary pages), seed 2 once."""
    tmp = tmp_path_factory.mktemp("seeds")
    runs = {}
    for name, seed in (("first", 1), ("again", 1), ("other", 2)):
        path = tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(random_scenario(seed)))
        env = os.environ | ({huge_pages.OPT_OUT: "0"} if name == "again" else {})
        subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(path), "--out", str(tmp / name),
                        "--quiet"], check=True, capture_output=True, timeout=300, env=env)
        runs[name] = tmp / name
    return runs


def test_same_scenario_and_seed_give_identical_bytes(seeded_runs):
    first, again = digest(seeded_runs["first"]), digest(seeded_runs["again"])
    assert len(first) == 5 + 2 + 6 + 1  # tables, new_york and sydney port 0, vleo-6-6's 4 ISL + 2 ground ports, index
    assert first == again


def test_huge_pages_are_used_and_change_no_byte(seeded_runs):
    """`netsim run` restarts itself with malloc on transparent huge pages where the
    machine has them, and NETSIM_HUGE_PAGES=0 keeps ordinary pages: the seed-1 runs used
    one each, and the test above found all their bytes identical."""
    first, again = (json.loads((seeded_runs[name] / "manifest.json").read_text()) for name in ("first", "again"))
    assert first["huge_pages"] is huge_pages.available()
    assert again["huge_pages"] is False


def test_another_seed_changes_every_random_draw(seeded_runs):
    first, other = seeded_runs["first"], seeded_runs["other"]
    flows = {name: {r["flow"]: r for r in csv.DictReader((d / "flows.csv").open())} for name, d in seeded_runs.items()}
    # random_pairs: other endpoints (3 pairs among 144 satellites).
    pairs = {name: sorted((r["src"], r["dst"]) for f, r in rows.items() if f.startswith("pairs"))
             for name, rows in flows.items()}
    assert len(pairs["first"]) == 3 and pairs["first"] != pairs["other"]
    # Acquisition draws: the same handovers (geometry) with other outages.
    events = {name: [(r["time_s"], r["node"], r["old_peer"], r["new_peer"], r["outage_s"])
                     for r in csv.DictReader((d / "handovers.csv").open())] for name, d in seeded_runs.items()}
    assert any(e[1] == "london" for e in events["first"])
    assert [e[:4] for e in events["first"]] == [e[:4] for e in events["other"]]
    assert all(a[4] != b[4] for a, b in zip(events["first"], events["other"]))
    # Exponential on/off periods: another number of packets sent.
    assert flows["first"]["onoff"]["packets_sent"] != flows["other"]["onoff"]["packets_sent"]
    # Bit errors: satellites only, so the lost packets differ only by the error draws.
    lost = {name: int(rows["space"]["lost_bit_errors"]) for name, rows in flows.items()}
    assert lost["first"] > 0 and lost["other"] > 0
    assert all(int(rows["space"]["packets_lost"]) == lost[name] for name, rows in flows.items())
    space_first, space_other = received_seqs(first, "vleo-6-6", 9001), received_seqs(other, "vleo-6-6", 9001)
    assert len(space_first) == int(flows["first"]["space"]["packets_received"])
    assert space_first != space_other
    assert space_first == received_seqs(seeded_runs["again"], "vleo-6-6", 9001)
    # And so every output that holds a draw differs (routes do not: rtt.csv, path_changes.csv).
    a, b = digest(first), digest(other)
    space_ports = [p.name for p in node_captures(first, "vleo-6-6")
                   if any((udp_ports(f) or (0, 0))[1] == 9001 for _, f in capture_frames(p))]
    assert space_ports
    drawn = ["flows.csv", "handovers.csv", "links.csv", *(node_captures(first, n)[0].name for n in ("new_york", "sydney")),
             *space_ports]
    assert [name for name in drawn if a[name] == b[name]] == []
