"""`netsim analyze`: the analysis of a run's pcap equals the simulator's own counters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netsim.analysis.analyze import analyze
from netsim.analysis.context import RunContext
from netsim.analysis.pcap import read_batches, read_header
from netsim.cli.main import main

from conftest import capture_path


def _rows(analysis, capture):
    flows = analysis.flows[analysis.flows["capture"] == capture]
    return {row["flow"]: row for _, row in flows.iterrows()}


def test_analysis_equals_simulator_counters(short_run):
    scenario, result = short_run
    pcap = capture_path(result.run_dir, "london")
    analysis = analyze([pcap], context=RunContext.from_run_dir(result.run_dir))
    rows = _rows(analysis, pcap.name)
    sim = {row["flow"]: row for row in result.flows}
    records = result.packets

    # london sends flow 0 (seen leaving its port) and receives flow 2.
    tx, rx = rows["london-new_york"], rows["new_york-london"]
    assert (tx["direction"], rx["direction"]) == ("tx", "rx")
    assert tx["packets"] == sim["london-new_york"]["packets_sent"]
    assert tx["payload_bytes"] == tx["packets"] * scenario.traffic[0].packet_bytes
    assert tx["packets_lost"] == 0 and tx["seq_first"] == 0 and tx["seq_last"] == tx["packets"] - 1

    mine = records.flow == 2
    assert rx["packets"] == sim["new_york-london"]["packets_received"] == mine.sum()
    assert rx["payload_bytes"] == records.bytes[mine].sum()
    assert rx["ip_bytes"] == (records.bytes[mine] + 28).sum()
    assert rx["packets_lost"] == sim["new_york-london"]["packets_lost"] == 0
    # nanosecond captures: delays agree to the nanosecond (the run's mean is rounded to 1e-6 ms)
    assert abs(rx["delay_mean_ms"] - sim["new_york-london"]["delay_mean_ms"]) < 1e-6
    delays_ms = records.delay_s[mine] * 1e3
    assert abs(rx["delay_min_ms"] - delays_ms.min()) < 1e-9
    assert abs(rx["delay_max_ms"] - delays_ms.max()) < 1e-9
    for col, q in (("delay_p50_ms", 50), ("delay_p99_ms", 99)):  # histogram: 5e-5 relative
        assert abs(rx[col] - np.percentile(delays_ms, q)) < 1e-3 + 1e-4 * rx[col]

    # packet by packet: the reader's sequence numbers and send stamps are the simulator's
    header = read_header(pcap)
    seen = {}
    for batch in read_batches(header):
        sel = (batch.dport == 9002) & (batch.flags == 1)
        for seq, cap, sent in zip(batch.seq[sel], batch.ts_ns[sel], batch.stamp[sel]):
            seen[int(seq)] = (int(cap), int(sent))
    order = np.argsort(records.seq[mine])
    seqs = records.seq[mine][order]
    cap = np.array([seen[int(s)][0] for s in seqs])
    sent = np.array([seen[int(s)][1] for s in seqs])
    assert np.array_equal(sent, records.sent_ns[mine][order])
    assert np.array_equal(cap, records.received_ns[mine][order])  # simulation times, to the ns

    # the throughput table adds up to the flow table
    bins = analysis.throughput
    rx_bins = bins[(bins["flow"] == "new_york-london")]
    assert rx_bins["packets"].sum() == rx["packets"]
    assert rx_bins["ip_bytes"].sum() == rx["ip_bytes"]
    assert np.allclose(np.diff(rx_bins["time_s"]), 0.1)


def test_cli_writes_tables_and_plots(short_run, tmp_path, capsys):
    _, result = short_run
    out = tmp_path / "analysis"
    assert main(["analyze", str(result.run_dir), "--out", str(out), "--quiet", "--bin", "0.5"]) == 0
    flows = pd.read_csv(out / "flows.csv")
    assert set(flows["flow"]) == {"london-new_york", "new_york-london"}
    assert len(flows) == 4 and not flows["partial"].any()  # two flows at each of two ports
    assert (flows.groupby("flow")["packets"].nunique() == 1).all()
    throughput = pd.read_csv(out / "throughput.csv")
    assert {"time_s", "throughput_mbps", "delay_mean_ms"} <= set(throughput.columns)
    for name in ("throughput.png", "delay.png", "delay_cdf.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote:" in capsys.readouterr().out


def test_summary_prints_full_names_and_no_nan(short_run, tmp_path, capsys):
    _, result = short_run
    assert main(["analyze", str(result.run_dir), "--out", str(tmp_path / "a"), "--no-plots"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "-port0.pcapng" in line]
    assert len(rows) == 4 and all(line.startswith(("144-london-port0.pcapng ", "145-new_york-port0.pcapng "))
                                  for line in rows)
    assert "nan" not in out.lower()
    tx = [line for line in rows if line.startswith("144-") and " london-new_york " in line][0]
    assert " tx " in tx and " - " in tx  # no delay at the sender's own port
    rx = [line for line in rows if line.startswith("144-") and " new_york-london " in line][0]
    assert " rx " in rx and "/" in rx  # delay mean/p99
