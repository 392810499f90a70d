"""`netsim analyze` never hides a problem: malformed records are counted and make the exit
code 2, an unusable link type or no flows at all is one line, bad options and output
folders are one line, an incomplete run is refused; pcapng (ours, converted by editcap,
merged by mergecap with several interfaces) gives the same flows as pcap."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from decimal import Decimal

import pandas as pd
import pytest
import yaml

from conftest import capture_path, default_scenario_dict
from netsim.analysis.analyze import analyze
from netsim.cli.main import main

scapy = pytest.importorskip("scapy.all")
from scapy.all import ARP, IP, UDP, Ether, Raw, wrpcap  # noqa: E402

BASE_NS = 2_000_000_000


def seqts(k: int, **ip) -> "scapy.packet.Packet":
    """Ethernet/IPv4/UDP with a SeqTs payload: sent at 2 s + k ms, 5 ms on the way."""
    frame = Ether() / IP(src="10.0.0.1", dst="10.0.0.2", **ip) / UDP(sport=5000, dport=9000) / Raw(
        struct.pack(">IQ", k, BASE_NS + k * 1_000_000) + bytes(88))
    frame.time = Decimal(BASE_NS + k * 1_000_000 + 5_000_000) / Decimal(10**9)
    return frame


def analyse_cli(tmp_path, *inputs, extra=()):
    out = tmp_path / "out"
    code = main(["analyze", *map(str, inputs), "--out", str(out), "--quiet", "--no-plots", "--no-parquet", *extra])
    return code, out


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_ip_total_length_beyond_the_frame_is_clamped_and_counted(tmp_path, capsys):
    frames = [seqts(k) for k in range(10)]
    frames[4][IP].len = 1400  # the frame carries 128 IPv4 bytes
    path = tmp_path / "long.pcap"
    wrpcap(str(path), frames)
    row = analyze([path]).flows.iloc[0]
    assert row["packets"] == 10 and row["ip_bytes"] == 10 * 128 and row["malformed"] == 1
    code, out = analyse_cli(tmp_path, path)
    assert code == 2
    line = one_line(capsys)
    assert "long.pcap: 1 malformed of 10 records" in line and "IPv4 total length beyond the frame" in line
    captures = pd.read_csv(out / "captures.csv")
    assert captures.loc[0, "ip_len_clamped"] == 1 and captures.loc[0, "malformed"] == 1


def test_a_frame_cut_by_the_snap_length_is_not_malformed(tmp_path):
    """Captured < original length: the IPv4 length is trusted up to the original length."""
    frames = [bytes(seqts(k)) for k in range(3)]
    data = struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 60, 1)
    for k, frame in enumerate(frames):
        data += struct.pack("<IIII", 2, 5_000_000 + k * 1_000_000, 60, len(frame)) + frame[:60]
    path = tmp_path / "snap.pcap"
    path.write_bytes(data)
    row = analyze([path]).flows.iloc[0]
    assert row["malformed"] == 0 and row["ip_bytes"] == 3 * 128 and row["seqts"]


@pytest.mark.parametrize("label, spoil, column", [
    ("ihl", lambda f: f[IP].setfieldval("ihl", 4), "bad_ip_header"),
    ("total below header", lambda f: f[IP].setfieldval("len", 12), "bad_ip_header"),
    ("backwards", lambda f: setattr(f, "time", f.time - Decimal("1.5")), "ts_backwards"),
    ("far future", lambda f: setattr(f, "time", f.time + 10 * 86400), "ts_outliers"),
    ("before 1970 + far", lambda f: setattr(f, "time", Decimal(0)), "ts_backwards"),
])
def test_malformed_records_are_counted_and_fail_the_exit_code(tmp_path, capsys, label, spoil, column):
    frames = [seqts(k) for k in range(10)]
    spoil(frames[5])
    path = tmp_path / "spoiled.pcap"
    wrpcap(str(path), frames)
    analysis = analyze([path])
    summary = analysis.captures[0]
    assert getattr(summary, {"bad_ip_header": "bad_header"}.get(column, column)) == 1
    assert summary.malformed == 1
    row = analysis.flows.iloc[0]
    # the spoiled packet is left out of the statistics: the other nine are exact
    assert row["packets"] == 9 and row["packets_lost"] == 1 and row["delay_max_ms"] == pytest.approx(5.0)
    assert row["start_s"] == pytest.approx(2.005) and row["end_s"] == pytest.approx(2.014)
    if column != "bad_ip_header":
        assert row["malformed"] == 1  # attributable to the flow
    code, out = analyse_cli(tmp_path, path)
    assert code == 2
    line = one_line(capsys)
    assert line.startswith("netsim: warning:") and "1 malformed of 10 records" in line
    assert pd.read_csv(out / "captures.csv").loc[0, column] == 1


def test_clean_capture_has_no_malformed_records(tmp_path, capsys):
    path = tmp_path / "clean.pcap"
    wrpcap(str(path), [seqts(k) for k in range(10)])
    code, out = analyse_cli(tmp_path, path)
    assert code == 0 and capsys.readouterr().err == ""
    flows = pd.read_csv(out / "flows.csv")
    assert flows.loc[0, "malformed"] == 0 and pd.read_csv(out / "captures.csv").loc[0, "malformed"] == 0


def test_wrong_link_type_says_so_in_one_line(tmp_path, capsys):
    path = tmp_path / "wrong.pcap"
    wrpcap(str(path), [seqts(k) for k in range(4)], linktype=9)  # Ethernet frames declared as PPP
    code, out = analyse_cli(tmp_path, path)
    assert code == 2
    line = one_line(capsys)
    assert "wrong.pcap: no flows found: none of the 4 frames decodes as IPv4 with link type 9 (PPP)" in line
    assert "the link type may be wrong" in line
    assert not out.exists()


@pytest.mark.parametrize("frames, message", [
    ([Ether() / ARP() for _ in range(3)], "none of the 3 frames decodes as IPv4 with link type 1 (Ethernet"),
    ([], "no packets in the capture, so no flows to analyse"),
])
def test_zero_flows_is_an_error_not_an_empty_table(tmp_path, capsys, frames, message):
    path = tmp_path / "empty.pcap"
    wrpcap(str(path), frames, linktype=1)
    code, out = analyse_cli(tmp_path, path)
    assert code == 2 and message in one_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize("value", ["inf", "0", "-1", "nan", "-inf", "1e12"])
def test_bad_bin_is_one_line(tmp_path, capsys, value):
    path = tmp_path / "clean.pcap"
    wrpcap(str(path), [seqts(k) for k in range(3)])
    assert main(["analyze", str(path), f"--bin={value}", "--quiet"]) == 2
    line = one_line(capsys)
    assert line.startswith("netsim: error: --bin: must be a finite number of seconds") and "(got " in line


def read_only_folder(tmp_path):
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if not os.path.isdir("/sys"):
        pytest.skip("root, and no read-only folder to write into")
    return "/sys"  # root writes through file modes; sysfs refuses new files even to root


@pytest.mark.parametrize("where", ["file", "under a file", "read-only"])
def test_bad_out_is_one_line(tmp_path, capsys, where):
    path = tmp_path / "clean.pcap"
    wrpcap(str(path), [seqts(k) for k in range(3)])
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    out = {"file": a_file, "under a file": a_file / "sub" / "dir",
           "read-only": os.path.join(read_only_folder(tmp_path), "analysis")}[where]
    assert main(["analyze", str(path), "--out", str(out), "--quiet"]) == 2
    line = one_line(capsys)
    assert line.startswith("netsim: error: --out:") and str(out if where == "file" else "") in line
    assert a_file.read_text() == "x"


def test_bad_time_origin_is_one_line(tmp_path, capsys):
    path = tmp_path / "clean.pcap"
    wrpcap(str(path), [seqts(k) for k in range(3)])
    assert main(["analyze", str(path), "--time-origin", "yesterday", "--quiet"]) == 2
    assert "--time-origin: 'yesterday' is not an ISO 8601 time" in one_line(capsys)


# ------------------------------------------------------------------ real run folders

def copy_run(run_dir, to, **manifest_changes):
    shutil.copytree(run_dir, to, ignore=shutil.ignore_patterns("analysis"))
    manifest = json.loads((to / "manifest.json").read_text())
    manifest.update(manifest_changes)
    (to / "manifest.json").write_text(json.dumps(manifest))
    return to


def test_failed_run_is_refused_unless_allowed(short_run, tmp_path, capsys):
    _, result = short_run
    run_dir = copy_run(result.run_dir, tmp_path / "failed", status="failed", error="NetsimError: disk full\nmore")
    assert main(["analyze", str(run_dir), "--quiet", "--no-plots"]) == 2
    line = one_line(capsys)
    assert f"{run_dir}: incomplete run (status failed: NetsimError: disk full)" in line
    assert "--allow-incomplete" in line and not (run_dir / "analysis").exists()
    assert main(["analyze", str(run_dir), "--quiet", "--no-plots", "--allow-incomplete"]) == 0


def test_live_run_is_refused_as_running(short_run, tmp_path, capsys):
    _, result = short_run
    run_dir = copy_run(result.run_dir, tmp_path / "live", status="running", pid=os.getpid(),
                       host=socket.gethostname())
    assert main(["analyze", str(run_dir), "--quiet"]) == 2
    assert f"incomplete run (still running as process {os.getpid()})" in one_line(capsys)


def test_killed_run_is_reported_with_its_dead_process(tmp_path, capsys):
    raw = default_scenario_dict(duration_s=30.0)
    scenario = tmp_path / "long.yaml"
    scenario.write_text(yaml.safe_dump(raw))
    run_dir = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "netsim", "run", str(scenario), "--out", str(run_dir),
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (run_dir / "pcap" / "index.csv").exists():  # the captures are open: packets flow
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["status"] == "running" and manifest["pid"] == proc.pid
        assert manifest["host"] == socket.gethostname()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert main(["analyze", str(run_dir), "--quiet", "--no-plots"]) == 2
    line = one_line(capsys)
    assert f"{run_dir}: incomplete run (process {proc.pid} no longer running)" in line
    assert main(["analyze", str(run_dir), "--quiet", "--no-plots", "--allow-incomplete"]) != 0 or \
        (run_dir / "analysis" / "flows.csv").exists()
    assert "incomplete run" not in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap is not installed (CI installs it)")
def test_editcap_pcapng_gives_the_same_flows_as_pcap(short_run, tmp_path):
    """The run's capture, converted by Wireshark's editcap to ns pcap and from there to
    pcapng (which drops netsim's names and comment), analysed inside copies of the run
    folder: flows.csv is the same bytes as for the capture itself."""
    _, result = short_run
    original = capture_path(result.run_dir, "london")
    tables = {}
    for label, steps in (("ours", []), ("pcap", [["-F", "nsecpcap"]]),
                         ("pcapng", [["-F", "nsecpcap"], ["-F", "pcapng"]])):
        run_dir = tmp_path / label
        (run_dir / "pcap").mkdir(parents=True)
        shutil.copy(result.run_dir / "manifest.json", run_dir)
        shutil.copy(result.run_dir / "pcap" / "index.csv", run_dir / "pcap")
        current = original
        for k, step in enumerate(steps):
            converted = tmp_path / f"{label}-{k}"
            subprocess.run(["editcap", *step, str(current), str(converted)], check=True, capture_output=True)
            current = converted
        shutil.copy(current, run_dir / "pcap" / original.name)  # same name: same `capture` column
        head = (run_dir / "pcap" / original.name).read_bytes()[:4]
        assert head == {"ours": b"\x0a\x0d\x0d\x0a", "pcap": b"\x4d\x3c\xb2\xa1",
                        "pcapng": b"\x0a\x0d\x0d\x0a"}[label]
        assert main(["analyze", str(run_dir), "--quiet", "--no-plots", "--no-parquet"]) == 0
        tables[label] = (run_dir / "analysis" / "flows.csv").read_bytes()
    assert tables["pcapng"] == tables["pcap"] == tables["ours"]
    flows = pd.read_csv(tmp_path / "pcapng" / "analysis" / "flows.csv")
    assert set(flows["flow"]) == {"london-new_york", "new_york-london"} and flows["delay_mean_ms"].notna().sum() == 1


@pytest.mark.skipif(shutil.which("mergecap") is None, reason="mergecap is not installed (CI installs it)")
def test_pcapng_with_several_interfaces(short_run, tmp_path):
    """mergecap: a netsim capture (PPP, ns, scenario epoch) and a tcpdump-style one
    (Ethernet, us, 1970 clock) in one file: each interface keeps its link type, resolution
    and time origin, and its flows equal those of its own file."""
    _, result = short_run
    ours = capture_path(result.run_dir, "london")
    theirs = tmp_path / "eth.pcap"
    wrpcap(str(theirs), [seqts(k) for k in range(10)])
    merged = tmp_path / "merged.pcapng"
    subprocess.run(["mergecap", "-F", "pcapng", "-w", str(merged), str(ours), str(theirs)], check=True,
                   capture_output=True)
    analysis = analyze([merged])
    summary = analysis.captures[0]
    assert summary.interfaces == 2 and summary.link_types == "1 9" and summary.malformed == 0
    both = analysis.flows.drop(columns=["capture"])
    alone = pd.concat([analyze([ours]).flows.assign(interface=0), analyze([theirs]).flows.assign(interface=1)])
    alone = alone.drop(columns=["capture"])
    key = ["interface", "src", "dst", "sport", "dport", "proto"]
    pd.testing.assert_frame_equal(both.sort_values(key).reset_index(drop=True),
                                  alone.sort_values(key).reset_index(drop=True), check_dtype=False)
    eth = both[both["interface"] == 1].iloc[0]
    assert eth["delay_mean_ms"] == pytest.approx(5.0) and math.isclose(eth["start_s"], 2.005)
