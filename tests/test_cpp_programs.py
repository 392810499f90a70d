"""The C++ models from plain ns-3: the example program (cpp/examples/laser-link.cc) and
the models' ns-3 test suites (cpp/test), as built by `pip install -e .`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from netsim.core.fabric import core_dir

C_MPS = 299_792_458.0


def program(name: str):
    path = core_dir() / "bin" / name
    assert path.is_file(), f"{path} was not built (CMake option NETSIM_BUILD_EXAMPLES)"
    return str(path)


def test_the_example_sends_udp_over_a_laser_link_and_writes_pcaps(tmp_path):
    done = subprocess.run([program("netsim-laser-link"), "--distanceKm=3000", "--packets=500"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "packets sent 500 received 500" in done.stdout
    measured, expected = map(float, re.search(r"propagation delay ([\d.]+) us, distance / c ([\d.]+) us",
                                              done.stdout).groups())
    assert expected == pytest.approx(3.0e6 / C_MPS * 1e6, abs=1e-4) and measured == pytest.approx(expected, abs=2e-4)
    captures = sorted(tmp_path.glob("laser-link-*.pcap"))
    assert len(captures) == 2
    if shutil.which("tshark"):
        lines = subprocess.run(["tshark", "-r", str(captures[1])], capture_output=True, text=True,
                               timeout=60).stdout.splitlines()
        assert len(lines) == 500 and all("UDP" in line for line in lines)


def test_a_link_beyond_its_range_loses_every_packet(tmp_path):
    done = subprocess.run([program("netsim-laser-link"), "--distanceKm=20000", "--packets=50", "--pcap=none"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "usable no" in done.stdout and "received 0" in done.stdout


def test_the_ns3_test_suites_pass():
    done = subprocess.run([program("netsim-test-suite"), "--verbose"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    passed = re.findall(r"^\s+PASS (.+?) [\d.]+ s$", done.stdout, flags=re.M)
    assert len(passed) == 3 and "FAIL" not in done.stdout
