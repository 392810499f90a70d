"""The books of a run (ns3::DropClassifier, netsim.run.outputs.accounting): for every flow
kind and direction, sent = received + lost by cause + in flight, with the in-flight packets
counted in queues and on channels; every core drop is a flow's or the no-flow row's; the
run's totals are the sum of the rows. One run with queue overflow, handover losses and bit
errors at once, satellite endpoints, TCP ACKs and ping replies."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

from netsim.run import outputs

KINDS = {"udp_cbr", "udp_onoff", "udp_burst", "tcp_bulk", "ping"}


def _table(run_dir, name):
    with (run_dir / name).open(newline="") as f:
        return list(csv.DictReader(f))


def test_books_balance_for_every_kind_and_direction(stress_run):
    scenario, result = stress_run
    rows = _table(result.run_dir, "accounting.csv")
    flows = [r for r in rows if r["flow"] != outputs.NO_FLOW]
    assert {r["kind"] for r in flows} == KINDS
    # two directions where a flow has two: TCP data / ACKs, echo requests / replies
    for name in ("tcp", "sat-tcp", "ping", "sat-ping"):
        assert {r["direction"] for r in flows if r["flow"] == name} == {"forward", "reverse"}
        assert all(int(r["sent"]) > 0 for r in flows if r["flow"] == name)
    causes = [f"lost_{c}" for c in outputs.BOOK_CAUSES]
    for r in flows:
        lost = sum(int(r[c]) for c in causes)
        assert int(r["sent"]) == int(r["received"]) + lost + int(r["in_flight"]), r
        assert int(r["unaccounted"]) == 0
    # the run really lost packets in every way at once, and some were still on their way
    assert sum(int(r["lost_queue_full"]) for r in flows) > 0
    assert sum(int(r["lost_handover"]) for r in flows) > 0
    assert sum(int(r["lost_bit_errors"]) for r in flows) > 0
    assert sum(int(r["in_flight"]) for r in flows) > 0
    # reverse packets (ACKs, replies) are a flow's, not the no-flow row's
    assert sum(sum(int(r[c]) for c in causes) for r in flows if r["direction"] == "reverse") > 0
    none = next(r for r in rows if r["flow"] == outputs.NO_FLOW)
    assert all(int(none[c]) == 0 for c in causes)
    # the run's totals are the sum of the rows, cause by cause
    for cause in ("bit_errors", "link_down", "queue_full", "handover"):
        assert result.drops[f"laser_{cause}"] == sum(int(r[f"lost_{cause}"]) for r in rows)
    for cause in ("no_route", "ttl_expired", "not_ipv4"):
        assert result.drops[f"forwarder_{cause}"] == sum(int(r[f"lost_{cause}"]) for r in rows)
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["accounting"] == {"balanced": True, "problems": []} and result.problems == []


def test_flows_csv_has_each_kinds_own_numbers_and_no_nan(stress_run):
    scenario, result = stress_run
    for name in ("flows.csv", "accounting.csv", "tcp.csv", "ping.csv", "ping_probes.csv", "flowmon.csv",
                 "link_traffic.csv"):
        text = (result.run_dir / name).read_text()
        assert "nan" not in text.lower().replace("singapore", ""), name
    flows = {r["flow"]: r for r in _table(result.run_dir, "flows.csv")}
    books = {(r["flow"], r["direction"]): r for r in _table(result.run_dir, "accounting.csv")}
    tcp = {r["flow"]: r for r in _table(result.run_dir, "tcp.csv")}
    ping = {r["flow"]: r for r in _table(result.run_dir, "ping.csv")}
    tcp_only = ("reverse_sent", "bytes_delivered", "goodput_mbps", "retransmissions", "rtt_mean_ms")
    ping_only = ("replies", "probe_loss_ratio")
    delay = ("delay_mean_ms", "delay_p50_ms", "delay_p99_ms")
    for name, row in flows.items():
        kind = row["kind"]
        forward = books[(name, "forward")]
        assert int(row["packets_lost"]) == int(row["packets_sent"]) - int(row["packets_received"])
        for c in outputs.LOSS_CAUSES:
            assert row[f"lost_{c}"] == forward[f"lost_{c}"]
        assert row["lost_in_flight"] == forward["in_flight"]
        if kind.startswith("udp"):
            assert all(row[c] != "" for c in delay) and all(row[c] == "" for c in tcp_only + ping_only)
            assert row["packets_sent"] == forward["sent"] and row["packets_received"] == forward["received"]
        elif kind == "tcp_bulk":
            assert all(row[c] == "" for c in delay + ping_only)
            assert row["packets_sent"] == forward["sent"] and row["reverse_sent"] == books[(name, "reverse")]["sent"]
            assert row["bytes_delivered"] == tcp[name]["bytes_received"] and int(row["bytes_delivered"]) > 0
            assert row["retransmissions"] == tcp[name]["retransmissions"]
            assert float(row["rtt_min_ms"]) <= float(row["rtt_mean_ms"]) <= float(row["rtt_max_ms"])
        else:
            assert kind == "ping" and all(row[c] == "" for c in delay + ("bytes_delivered", "retransmissions"))
            assert row["packets_sent"] == ping[name]["probes_sent"] and row["replies"] == ping[name]["replies"]
            probes, replies = int(ping[name]["probes_sent"]), int(ping[name]["replies"])
            assert float(row["probe_loss_ratio"]) == pytest.approx((probes - replies) / probes, abs=1e-6)
            assert int(row["reverse_received"]) == replies
    # TCP lost segments to the full queues and the handover: it retransmitted
    assert int(flows["tcp"]["retransmissions"]) > 0 and int(flows["tcp"]["packets_lost"]) > 0


def test_flow_monitor_lost_packets_agree_with_the_books(stress_run):
    scenario, result = stress_run
    books = {(r["flow"], r["direction"]): r for r in _table(result.run_dir, "accounting.csv")}
    names = [f.name for f in scenario.traffic]
    checked = 0
    for row in _table(result.run_dir, "flowmon.csv"):
        dport, sport = int(row["dport"]) - 9000, int(row["sport"]) - 9000
        key = (names[dport], "forward") if 0 <= dport < len(names) else (names[sport], "reverse")
        b = books[key]
        assert int(row["tx_packets"]) == int(b["sent"]) and int(row["rx_packets"]) == int(b["received"])
        assert int(row["in_flight"]) == int(b["in_flight"])
        assert int(row["lost_packets"]) == sum(int(b[f"lost_{c}"]) for c in outputs.BOOK_CAUSES)
        checked += 1
    assert checked >= 6  # UDP flows and both directions of the TCP flows (ICMP is not classified)
    assert any(int(r["lost_packets"]) > 0 for r in _table(result.run_dir, "flowmon.csv"))


def test_a_probe_answered_after_stop_s_is_not_lost(stress_run):
    scenario, result = stress_run
    flow = next(f for f in scenario.traffic if f.name == "ping")
    stop = flow.stop_s if flow.stop_s is not None else scenario.duration_s
    probes = [r for r in _table(result.run_dir, "ping_probes.csv") if r["flow"] == "ping"]
    late = [r for r in probes if r["replied"] == "True" and float(r["sent_s"]) + float(r["rtt_ms"]) / 1e3 > stop]
    assert late, "a reply that arrives after stop_s, before the run ends, answers its probe"
    # the last probe's reply cannot arrive before the run ends: it is in flight, not answered
    end = scenario.duration_s + scenario.drain_s
    unanswered = [r for r in probes if r["replied"] == "False"]
    assert unanswered and all(r["rtt_ms"] == "" for r in unanswered)
    assert float(probes[-1]["sent_s"]) + 0.16 > end and probes[-1]["replied"] == "False"


def test_unbalanced_books_are_reported_loudly(stress_run, capsys):
    """Take one delivered packet out of the books: the check names the flow, and the run
    summary warns on stderr."""
    from netsim.cli.main import _print_summary

    scenario, result = stress_run
    n = len(scenario.traffic)
    sent, received = np.zeros(2 * n + 1, np.int64), np.zeros(2 * n + 1, np.int64)
    sent[0], received[0] = 10, 9
    books = outputs.Books(sent, received, np.zeros((2 * n + 1, len(outputs.BOOK_CAUSES)), np.int64),
                          np.zeros(2 * n + 1, np.int64))
    flows = [(f.name, f.kind, f.src, f.dst) for f in scenario.traffic]
    udp = {i: (0, np.zeros(0)) for i, f in enumerate(scenario.traffic) if f.kind.startswith("udp")}
    udp[0] = (10, np.zeros(9))  # the application's counts agree with the fabric's
    _, problems = outputs.accounting(flows, books, {}, udp, {})
    assert len(problems) == 1 and f"flow {flows[0][0]!r} forward" in problems[0] and "+1 unaccounted" in problems[0]
    _print_summary(dataclasses.replace(result, problems=problems))
    out = capsys.readouterr()
    assert "WARNING: the books do not balance" in out.err and "+1 unaccounted" in out.err
    for kind_header in ("sent", "tcp flow", "ping flow"):
        assert kind_header in out.out
    assert "nan" not in out.out


def test_the_books_name_each_direction_and_catch_an_application_miscount(stress_run):
    """Rows run src -> dst forward and dst -> src in reverse; balanced books whose UDP
    application received one packet fewer than the fabric delivered are one problem."""
    scenario, _ = stress_run
    n = len(scenario.traffic)
    sent, received = np.zeros(2 * n + 1, np.int64), np.zeros(2 * n + 1, np.int64)
    sent[0] = received[0] = 10
    books = outputs.Books(sent, received, np.zeros((2 * n + 1, len(outputs.BOOK_CAUSES)), np.int64),
                          np.zeros(2 * n + 1, np.int64))
    flows = [(f.name, f.kind, f.src, f.dst) for f in scenario.traffic]
    udp = {i: (0, np.zeros(0)) for i, f in enumerate(scenario.traffic) if f.kind.startswith("udp")}
    assert 0 in udp, "the first flow of the stress run is a UDP flow"
    udp[0] = (10, np.zeros(9))
    rows, problems = outputs.accounting(flows, books, {}, udp, {})
    assert len(problems) == 1 and "the application sent 10 and received 9" in problems[0]
    for name, _, src, dst in flows:
        for row in (r for r in rows if r["flow"] == name):
            assert (row["src"], row["dst"]) == ((src, dst) if row["direction"] == "forward" else (dst, src))
    assert any(r["direction"] == "reverse" for r in rows)
    # a UDP server never answers: no reverse row unless something came back
    assert not [r for r in rows if r["flow"] == flows[0][0] and r["direction"] == "reverse"]
