"""Capture files (netsim.run.captures + ns3::PcapNgWriter): names are data, never paths; a
planted symlink is never written through; a full disk fails the run with one line, not
an abort; the snap length keeps every field the analysis reads."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from conftest import capture_path, default_scenario_dict
from test_run_outputs import read_pcapng


def short_scenario(tmp_path, **outputs) -> str:
    raw = default_scenario_dict(duration_s=0.6, drain_s=0.2)
    for flow in raw["traffic"]:
        flow["start_s"], flow["stop_s"] = 0.1, 0.5
    raw["outputs"].update(outputs)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def run_cli(*args, code: str | None = None):
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "netsim", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", ["../../x", "/tmp/evil", "a/b", ".hidden", "-dash", "nul\0byte", "x" * 65, ""])
def test_station_names_that_could_be_paths_are_refused(tmp_path, name):
    raw = default_scenario_dict()
    raw["ground_stations"][1]["name"] = name
    raw["traffic"] = []
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = run_cli("run", str(path), "--out", str(tmp_path / "run"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert str(path) in lines[0] and "key 'ground_stations[1].name'" in lines[0]
    assert "A-Z a-z 0-9 _ . -" in lines[0]
    assert not (tmp_path / "run").exists()


def test_planted_symlink_at_the_capture_path_is_not_followed(tmp_path):
    scenario = short_scenario(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "precious.txt"
    target.write_text("keep me\n")
    run_dir = tmp_path / "run"
    (run_dir / "pcap").mkdir(parents=True)
    planted = run_dir / "pcap" / "144-london-port0.pcapng"
    planted.symlink_to(target)
    (run_dir / "pcap" / "index.csv").symlink_to(outside / "index-target.csv")
    result = run_cli("run", scenario, "--out", str(run_dir), "--quiet")
    assert result.returncode == 0, result.stderr
    assert target.read_text() == "keep me\n" and sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    capture = capture_path(run_dir, "london")
    assert capture == planted and not capture.is_symlink() and capture.stat().st_size > 10_000


def test_capture_folder_that_is_a_symlink_is_refused(tmp_path):
    scenario = short_scenario(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "pcap").symlink_to(outside, target_is_directory=True)
    result = run_cli("run", scenario, "--out", str(run_dir), "--quiet")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "must be a folder, not a symlink" in lines[0]
    assert list(outside.iterdir()) == []


def test_the_writer_refuses_existing_files_and_symlinked_folders(tmp_path):
    """The C++ writer on its own: O_EXCL|O_NOFOLLOW, folder opened with O_NOFOLLOW."""
    from core_support import two_terminal_link

    fabric = two_terminal_link((7e6, 0, 0), (0, 7e6, 0))
    helper = fabric.helper
    target = tmp_path / "target"
    target.write_text("keep")
    (tmp_path / "link.pcapng").symlink_to(target)
    error = str(helper.EnableCapture(0, 0, str(tmp_path), "link.pcapng", "a port 0", "a port 0"))
    assert "link.pcapng: exists already" in error
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    error = str(helper.EnableCapture(0, 0, str(tmp_path / "alias"), "x.pcapng", "a port 0", "a port 0"))
    assert "cannot open its folder (it must be a folder, not a symlink)" in error
    assert "not a plain file name" in str(helper.EnableCapture(0, 0, str(tmp_path), "../x.pcapng", "a", "a"))
    assert target.read_text() == "keep" and list(real.iterdir()) == []
    assert str(helper.GetCaptureError())  # the failures stay visible
    assert str(helper.EnableCapture(0, 0, str(tmp_path), "ok.pcapng", "a port 0", "a port 0")) == ""


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
from netsim.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_failed_capture_write_fails_the_run_with_one_line(tmp_path):
    scenario = short_scenario(tmp_path)
    run_dir = tmp_path / "run"
    result = run_cli("run", scenario, "--out", str(run_dir), "--quiet", code=FULL_DISK)
    assert result.returncode == 1, result.stderr  # the run failed; no C++ abort (that would be -6)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "capture failed" in lines[0] and "-london-port0.pcapng: write failed after" in lines[0]
    assert "File too large" in lines[0]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "File too large" in manifest["error"]
    assert "\n" not in manifest["error"]
    assert capture_path(run_dir, "london").stat().st_size <= 200_000


def test_snap_length_keeps_every_field_the_analysis_reads(tmp_path):
    from netsim.analysis.analyze import analyze
    from netsim.analysis.context import RunContext

    full, cut = tmp_path / "full", tmp_path / "cut"
    assert run_cli("run", short_scenario(tmp_path), "--out", str(full), "--quiet").returncode == 0
    result = run_cli("run", short_scenario(tmp_path, pcap_snaplen_bytes=54), "--out", str(cut), "--quiet")
    assert result.returncode == 0, result.stderr
    interfaces, _, frames = read_pcapng(capture_path(cut, "london"))
    assert interfaces[0][1] == 54
    assert max(len(f) for *_, f in frames) == 54 and min(orig for _, _, orig, _ in frames) == 530
    assert {orig for _, _, orig, _ in frames} == {530, 1030}  # original lengths kept
    tables = []
    for run_dir in (full, cut):
        flows = analyze([capture_path(run_dir, "london")], context=RunContext.from_run_dir(run_dir)).flows
        tables.append(flows.drop(columns=["capture", "frame_bytes"]))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert tables[1]["delay_mean_ms"].notna().sum() == 1  # the received flow, from the SeqTs stamps


@pytest.mark.parametrize("snaplen", [53, 0, 262145])
def test_snap_length_too_small_or_large_is_refused(tmp_path, snaplen):
    result = run_cli("run", short_scenario(tmp_path, pcap_snaplen_bytes=snaplen), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "key 'outputs.pcap_snaplen_bytes'" in lines[0]
    assert "must be 54..262144 bytes" in lines[0] and f"(got {snaplen})" in lines[0]


def test_manifest_records_the_process_and_the_endpoints(short_run):
    _, result = short_run
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["pid"] == os.getpid() and isinstance(manifest["host"], str) and manifest["host"]
    assert manifest["endpoints"][:2] == [{"name": "london", "node_index": 144, "address": "10.128.0.1"},
                                         {"name": "new_york", "node_index": 145, "address": "10.128.0.2"}]


def test_an_epoch_before_1970_cannot_time_captures(tmp_path):
    raw = yaml.safe_load(open(short_scenario(tmp_path)))
    raw["epoch"] = "1965-01-01T00:00:00"
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = run_cli("run", str(path), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}: key 'epoch': 1965-01-01T00:00:00 cannot be a capture timestamp" in lines[0]
    assert not (tmp_path / "run").exists()


def test_capture_file_names_are_safe_and_unique():
    """Satellite names come from shell names, which may hold anything: the file name keeps
    only A-Z a-z 0-9 _ . - of a name, and the node index keeps it unique."""
    import re

    from netsim.run.captures import capture_file_name

    names = ["../../etc/passwd", "/abs/path", "a\0b", "ünïcode", "x" * 200, "", "..", "london"]
    files = [capture_file_name(i, name, 2) for i, name in enumerate(names)]
    assert all(re.fullmatch(r"\d+-[A-Za-z0-9_.-]{0,48}-port2\.pcapng", f) for f in files), files
    assert files[0] == "0-.._.._etc_passwd-port2.pcapng" and files[7] == "7-london-port2.pcapng"
    assert len(set(files)) == len(files)
    assert capture_file_name(3, "a/b", 1) != capture_file_name(4, "a_b", 1)


def internet_checksum(data: bytes) -> int:
    """RFC 1071: the ones' complement of the ones' complement sum of 16-bit words; 0 over
    a header or segment (pseudo-header included) whose checksum field is right."""
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def test_captured_frames_carry_valid_ipv4_udp_and_tcp_checksums(stress_run):
    """A run with captures computes every checksum a capture shows (RFC 791, 768, 793),
    checked here by hand over each captured frame."""
    _, result = stress_run
    _, _, frames = read_pcapng(capture_path(result.run_dir, "london"))
    checked = {6: 0, 17: 0}
    for _, _, original, frame in frames:
        assert len(frame) == original and frame[:2] == b"\x00\x21"  # whole frames, PPP IPv4
        ip = frame[2:]
        header = (ip[0] & 0x0F) * 4
        assert internet_checksum(ip[:header]) == 0
        protocol, length = ip[9], struct.unpack("!H", ip[2:4])[0]
        segment = ip[header:length]
        pseudo = ip[12:20] + bytes([0, protocol]) + struct.pack("!H", len(segment))
        if protocol in checked:
            assert protocol != 17 or segment[6:8] != b"\0\0"  # 0: "no UDP checksum"
            assert internet_checksum(pseudo + segment) == 0
            checked[protocol] += 1
    assert checked[6] > 100 and checked[17] > 100


def test_a_run_without_captures_skips_checksums_and_nothing_else_changes(stress_run, tmp_path):
    """Checksums are computed only when a capture shows them: a bit error is a loss before
    delivery, so no endpoint meets a bad one and every table is the same without them."""
    from conftest import stress_scenario_dict
    from netsim.core.fabric import load_core
    from netsim.run.runner import run
    from netsim.scenario.load import scenario_from_dict

    _, with_captures = stress_run
    raw = stress_scenario_dict()
    raw["outputs"]["pcap_nodes"] = []
    without = run(scenario_from_dict(raw), tmp_path / "run")
    assert not load_core().Node.ChecksumEnabled()
    assert not (without.run_dir / "pcap").exists() or not any((without.run_dir / "pcap").glob("*.pcapng"))
    tables = sorted(p.name for p in with_captures.run_dir.glob("*.csv"))
    assert {"flows.csv", "rtt.csv", "accounting.csv", "tcp.csv"} <= set(tables)
    assert tables == sorted(p.name for p in without.run_dir.glob("*.csv"))
    for name in tables:
        assert (with_captures.run_dir / name).read_bytes() == (without.run_dir / name).read_bytes(), name
