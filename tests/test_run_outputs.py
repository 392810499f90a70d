"""The run folder: manifest, flow table, pcap files readable by Wireshark tools,
and byte-identical results for the same scenario and seed."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import capture_path, default_scenario_dict

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
    files = [run_dir / "flows.csv", *sorted((run_dir / "pcap").glob("*.pcapng")), run_dir / "pcap" / "index.csv"]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_same_scenario_and_seed_give_identical_bytes(tmp_path):
    raw = default_scenario_dict(duration_s=1.5)
    for flow in raw["traffic"]:
        flow["start_s"], flow["stop_s"] = 0.1, 1.4
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    digests = []
    for name in ("first", "second"):
        out = tmp_path / name
        subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(path), "--out", str(out), "--quiet"],
                       check=True, capture_output=True, timeout=300)
        digests.append(digest(out))
    assert len(digests[0]) == 4
    assert digests[0] == digests[1]
