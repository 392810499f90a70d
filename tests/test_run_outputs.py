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
    files = [run_dir / name for name in ("flows.csv", "handovers.csv", "links.csv", "rtt.csv", "path_changes.csv")]
    files += sorted((run_dir / "pcap").glob("*.pcap"))
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def random_scenario(seed: int) -> dict:
    """Every source of randomness at once: bit errors (ISL terminals with 12 µrad tracking
    jitter), ground acquisition times drawn from a distribution (london hands over at
    2.6 s), exponential on/off traffic, and a random_pairs generator seeded by the scenario."""
    raw = default_scenario_dict(duration_s=3.0, drain_s=0.3, seed=seed)
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
    for pcap in (run_dir / "pcap").glob(f"{node}-port*.pcap"):
        for _, frame in read_pcap(pcap)[1]:
            ports = udp_ports(frame)
            if ports and ports[1] == dport:
                ihl = (frame[2] & 0x0F) * 4
                seqs.add(struct.unpack(">I", frame[2 + ihl + 8:2 + ihl + 12])[0])
    return seqs


@pytest.fixture(scope="module")
def seeded_runs(tmp_path_factory):
    """The random scenario run as separate processes: seed 1 twice, seed 2 once."""
    tmp = tmp_path_factory.mktemp("seeds")
    runs = {}
    for name, seed in (("first", 1), ("again", 1), ("other", 2)):
        path = tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(random_scenario(seed)))
        subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(path), "--out", str(tmp / name),
                        "--quiet"], check=True, capture_output=True, timeout=300)
        runs[name] = tmp / name
    return runs


def test_same_scenario_and_seed_give_identical_bytes(seeded_runs):
    first, again = digest(seeded_runs["first"]), digest(seeded_runs["again"])
    assert len(first) == 5 + 2 + 6  # tables, new_york and sydney port 0, vleo-6-6's 4 ISL + 2 ground ports
    assert first == again


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
    space_ports = [p.name for p in (first / "pcap").glob("vleo-6-6-port*.pcap")
                   if any((udp_ports(f) or (0, 0))[1] == 9001 for _, f in read_pcap(p)[1])]
    assert space_ports
    drawn = ["flows.csv", "handovers.csv", "links.csv", "new_york-port0.pcap", "sydney-port0.pcap", *space_ports]
    assert [name for name in drawn if a[name] == b[name]] == []
