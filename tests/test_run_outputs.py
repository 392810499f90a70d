"""The run folder: manifest, flow table, pcap files readable by Wireshark tools,
and byte-identical results for the same scenario and seed."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import struct
import subprocess
import sys

import pytest
import yaml

from conftest import default_scenario_dict

PCAP_MAGIC_US = 0xA1B2C3D4
LINKTYPE_PPP = 9


def read_pcap(path):
    """(link type, [(timestamp_s, frame bytes)]) of a classic libpcap file."""
    data = path.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == PCAP_MAGIC_US
    frames, offset = [], 24
    while offset < len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[offset:offset + 16])
        frames.append((sec + usec * 1e-6, data[offset + 16:offset + 16 + incl]))
        offset += 16 + incl
    return linktype, frames


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


def test_pcap_holds_each_flow_packet_once_per_direction(short_run):
    scenario, result = short_run
    linktype, frames = read_pcap(result.run_dir / "pcap" / "london-port0.pcap")
    assert linktype == LINKTYPE_PPP
    to_port = {}
    for _, frame in frames:
        ports = udp_ports(frame)
        if ports:
            to_port[ports[1]] = to_port.get(ports[1], 0) + 1
    by_name = {row["flow"]: row for row in result.flows}
    # london sends flow 0 (port 9000) and receives flow 2 (port 9002).
    assert to_port[9000] == by_name["london-new_york"]["packets_sent"]
    assert to_port[9002] == by_name["new_york-london"]["packets_received"]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed (CI installs it)")
def test_tshark_lists_the_udp_flows(short_run):
    _, result = short_run
    pcap = result.run_dir / "pcap" / "london-port0.pcap"
    out = subprocess.run(["tshark", "-r", str(pcap), "-Y", "udp", "-T", "fields", "-e", "udp.dstport"],
                         capture_output=True, text=True, timeout=300, check=True).stdout.split()
    by_name = {row["flow"]: row for row in result.flows}
    assert out.count("9000") == by_name["london-new_york"]["packets_sent"]
    assert out.count("9002") == by_name["new_york-london"]["packets_received"]


def digest(run_dir):
    files = [run_dir / "flows.csv", *sorted((run_dir / "pcap").glob("*.pcap"))]
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
    assert len(digests[0]) == 3
    assert digests[0] == digests[1]
