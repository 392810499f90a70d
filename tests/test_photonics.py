"""Photonics of the product's claim (docs/photonics.md): hand-worked link budgets with both
pointing losses, coherent receivers and a ground link through the atmosphere; lanes of
channels; time-correlated pointing fades; clouds. Every reference is computed here from
its cited formula or number (tests/optics_reference.py and below), never read back from
netsim."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml
from scipy.special import erfcinv, ndtr

import optics_reference as ref
from conftest import default_scenario_dict
from netsim.links.link_budget import LinkBudget
from netsim.scenario.model import Laser

# ---------------------------------------------------------------- hand-worked budgets

# The three cases of docs/physics.md ("Three budgets by hand"), in the scenario's units.
HAND_CASES = {
    # 1550 nm, 1 W, 10 cm apertures, eta 0.8 each end, 1 µrad error at each end, 5,000 km.
    "isl-5000km": dict(distance_km=5000.0, elevation_deg=None, laser={
        "wavelength_nm": 1550.0, "tx_power_w": 1.0, "tx_aperture_mm": 100.0, "rx_aperture_mm": 100.0,
        "tx_efficiency": 0.8, "rx_efficiency": 0.8, "pointing_bias_urad": 1.0, "rx_pointing_bias_urad": 1.0}),
    # A lane of 8 coherent (homodyne BPSK) channels sharing 2 W at 10 Gbps each, 8,000 km.
    "coherent-lane": dict(distance_km=8000.0, elevation_deg=None, laser={
        "wavelength_nm": 1550.0, "tx_power_w": 2.0, "tx_aperture_mm": 80.0, "rx_aperture_mm": 80.0,
        "tx_efficiency": 0.8, "rx_efficiency": 0.8, "pointing_bias_urad": 2.0, "rx_pointing_bias_urad": 0.5,
        "channels": 8, "receiver": {"type": "coherent_bpsk", "responsivity_a_per_w": 1.0}}),
    # A 1,000 km downlink at 30 deg elevation through a clear sky of zenith transmittance 0.9.
    "ground-30deg": dict(distance_km=1000.0, elevation_deg=30.0, laser={
        "wavelength_nm": 1550.0, "tx_power_w": 0.5, "tx_aperture_mm": 80.0, "rx_aperture_mm": 80.0,
        "tx_efficiency": 0.8, "rx_efficiency": 0.8, "pointing_bias_urad": 1.0, "rx_pointing_bias_urad": 1.0,
        "receiver": {"type": "apd"}}),
}


def kasten_young_air_mass(elevation_deg: float) -> float:
    """Kasten & Young, Appl. Opt. 28(22), 4735 (1989), eq. 3 with the zenith angle."""
    zenith = 90.0 - elevation_deg
    return 1.0 / (math.cos(math.radians(zenith)) + 0.50572 * (96.07995 - zenith) ** -1.6364)


def hand_received_dbm(case: dict) -> float:
    """Friis with a Gaussian transmit beam (tests/optics_reference.py), divided among the
    lane's channels, times the receive angle-of-arrival loss exp(-G_r theta_r^2)
    (Polishuk & Arnon, JOSA A 21(7), 2004) and the clear-sky transmittance."""
    laser = case["laser"]
    wavelength = laser["wavelength_nm"] * 1e-9
    p = ref.received_power_w(laser["tx_power_w"] / laser.get("channels", 1), laser["tx_efficiency"],
                             laser["tx_aperture_mm"] * 1e-3, laser["rx_aperture_mm"] * 1e-3, laser["rx_efficiency"],
                             wavelength, case["distance_km"] * 1e3, laser["pointing_bias_urad"] * 1e-6)
    g_r = (math.pi * laser["rx_aperture_mm"] * 1e-3 / wavelength) ** 2
    p *= math.exp(-g_r * (laser["rx_pointing_bias_urad"] * 1e-6) ** 2)
    if case["elevation_deg"] is not None:
        p *= 0.9 ** kasten_young_air_mass(case["elevation_deg"])
    return ref.dbm(float(p))


def coherent_sensitivity_w(kind: str, ber: float, wavelength_m: float, rate_bps: float, eta: float) -> float:
    """Shot-noise-limited coherent receivers (Agrawal, Fiber-Optic Communication Systems,
    3rd ed., Table 10.1): homodyne PSK BER = erfc(sqrt(2 eta N_p)) / 2, heterodyne PSK and
    intradyne QPSK per bit (Kikuchi, J. Lightwave Technol. 34(1), 2016) erfc(sqrt(eta N_p)) / 2."""
    k = 2.0 if kind == "coherent_bpsk" else 1.0
    photons = float(erfcinv(2 * ber)) ** 2 / (k * eta)
    return photons * ref.H * ref.C / wavelength_m * rate_bps


def test_coherent_quantum_limits_are_the_textbook_photon_counts():
    # Agrawal Table 10.1: 9 photons per bit (homodyne PSK) and 18 (heterodyne PSK, as
    # intradyne QPSK per bit) at BER 1e-9 with eta = 1.
    photon_w = ref.H * ref.C / 1550e-9 * 1e9
    assert coherent_sensitivity_w("coherent_bpsk", 1e-9, 1550e-9, 1e9, 1.0) / photon_w == pytest.approx(9.0, abs=0.05)
    assert coherent_sensitivity_w("coherent_qpsk", 1e-9, 1550e-9, 1e9, 1.0) / photon_w == pytest.approx(18.0, abs=0.1)
    budget = LinkBudget(receiver="coherent_bpsk", target_ber=1e-9, responsivity_a_w=ref.Q_E * 1550e-9 / (ref.H * ref.C))
    assert budget.photons_per_bit(budget.sensitivity_w()) == pytest.approx(9.0, abs=0.05)


def cli(*args) -> str:
    return subprocess.run([sys.executable, "-m", "netsim.cli.main", "link-budget", *args], capture_output=True,
                          text=True, timeout=120, check=True).stdout


def cli_value(out: str, pattern: str) -> float:
    return float(re.search(pattern + r"\s+(\S+)\n", out).group(1))


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_link_budget_matches_the_hand_worked_case(tmp_path, name):
    case = HAND_CASES[name]
    raw = default_scenario_dict(laser=case["laser"])
    path = tmp_path / "laser.yaml"
    path.write_text(yaml.safe_dump(raw))
    args = ["--scenario", str(path), "--distance-km", str(case["distance_km"])]
    if case["elevation_deg"] is not None:
        args += ["--elevation-deg", str(case["elevation_deg"])]
        raw["ground_links"]["atmosphere"] = {"zenith_transmittance": 0.9}
        path.write_text(yaml.safe_dump(raw))
    out = cli(*args)
    received = hand_received_dbm(case)
    assert cli_value(out, r"received power \(dBm\)") == pytest.approx(received, abs=0.1), out
    laser = Laser.model_validate(case["laser"])
    if laser.receiver.type.startswith("coherent"):
        eta = min(1.0, laser.receiver.responsivity_a_per_w * ref.H * ref.C / (ref.Q_E * 1550e-9))
        sensitivity = ref.dbm(coherent_sensitivity_w(laser.receiver.type, 1e-12, 1550e-9, 10e9, eta))
        assert cli_value(out, r"sensitivity at BER \S+ \(dBm\)") == pytest.approx(sensitivity, abs=0.1), out
        # The lane: 8 channels, each 10 log10(8) = 9.03 dB below one channel.
        assert cli_value(out, r"share of 8 channels \(dB\)") == pytest.approx(-10 * math.log10(8), abs=0.01)
        assert "lane: 8 x 10 Gbps = 80 Gbps" in out
    if name == "isl-5000km":
        # The receive-side loss the budget used to miss: G_r theta^2 = 0.0411 -> 0.178 dB.
        assert cli_value(out, r"receive pointing loss exp\(-G_r theta_r\^2\) \(dB\)") == pytest.approx(-0.178, abs=0.005)
        assert cli_value(out, r"transmit pointing loss \(dB\)") == pytest.approx(-0.0446, abs=0.005)
    if case["elevation_deg"] is not None:
        assert cli_value(out, r"clear-sky extinction \(dB\)") == pytest.approx(
            10 * math.log10(0.9 ** kasten_young_air_mass(30.0)), abs=0.01)
        # Scintillation: HV 5/7 integrated here on a grid, plane-wave Rytov variance.
        h = np.linspace(0.0, 30e3, 300_001)
        cn2 = (0.00594 * (21 / 27) ** 2 * (1e-5 * h) ** 10 * np.exp(-h / 1000) + 2.7e-16 * np.exp(-h / 1500)
               + 1.7e-14 * np.exp(-h / 100))
        mu = np.trapz(cn2 * h ** (5 / 6), h)
        k = 2 * math.pi / 1550e-9
        rytov = 2.25 * k ** (7 / 6) * mu / math.sin(math.radians(30.0)) ** (11 / 6)
        assert cli_value(out, r"scintillation index \(Rytov\)") == pytest.approx(rytov, rel=0.01)
        margin = cli_value(out, r"margin \(dB\)")
        sigma = math.sqrt(math.log1p(rytov))
        fade = float(ndtr((math.log(10 ** (-margin / 10)) + sigma**2 / 2) / sigma))
        assert cli_value(out, r"fade probability at the margin") == pytest.approx(fade, rel=0.05, abs=1e-12)


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_cpp_model_agrees_with_the_python_budget_on_the_hand_cases(name):
    from core_support import drivers
    from netsim.core.fabric import optical_link_model
    from netsim.links.atmosphere import ground_budget
    from netsim.scenario.model import Atmosphere

    ns, _ = drivers()
    case = HAND_CASES[name]
    budget = LinkBudget.from_config(Laser.model_validate(case["laser"]))
    if case["elevation_deg"] is not None:
        budget = ground_budget(budget, Atmosphere(zenith_transmittance=0.9))
    model = optical_link_model(ns, budget)
    d = case["distance_km"] * 1e3
    for tx, rx in ((0.0, 0.0), (1e-6, 1e-6), (3e-6, 0.5e-6)):
        assert model.GetReceivedPowerW(d, tx, rx) == pytest.approx(float(budget.received_power_w(d, tx, rx)), rel=1e-12)
    assert model.GetReceivedPowerW(d, budget.pointing_bias_rad) == pytest.approx(float(budget.received_power_w(d)),
                                                                                 rel=1e-12)
    p = float(budget.received_power_w(d))
    assert model.GetBer(p) == pytest.approx(float(budget.ber(p)), rel=1e-9, abs=1e-300)
    assert model.GetSensitivityW() == pytest.approx(budget.sensitivity_w(), rel=1e-9)
    if case["elevation_deg"] is not None:
        s = math.sin(math.radians(case["elevation_deg"]))
        assert model.GetAtmosphericTransmittance(s) == pytest.approx(float(budget.transmittance(s)), rel=1e-12)
        assert model.GetLogIrradianceSigma(s) == pytest.approx(float(budget.log_irradiance_sigma(s)), rel=1e-12)


@pytest.mark.parametrize("receiver", ["coherent_bpsk", "coherent_qpsk"])
def test_coherent_receivers_agree_between_cpp_and_python(receiver):
    from core_support import drivers
    from netsim.core.fabric import optical_link_model

    ns, _ = drivers()
    budget = LinkBudget(receiver=receiver, channels=4, rx_pointing_bias_rad=2e-6)
    model = optical_link_model(ns, budget)
    for distance in np.geomspace(1e5, 5e7, 20):
        for err in (0.0, 2e-6, 8e-6):
            p_cpp = model.GetReceivedPowerW(distance, err)
            assert p_cpp == pytest.approx(float(budget.received_power_w(distance, err)), rel=1e-12)
            assert model.GetBer(p_cpp) == pytest.approx(float(budget.ber(p_cpp)), rel=1e-9, abs=1e-300)
        assert model.IsUsable(distance) == bool(budget.usable(distance))


def test_per_channel_margin_falls_by_ten_log_n():
    one = LinkBudget()
    for n in (2, 4, 16, 64):
        lane = LinkBudget(channels=n)
        assert float(one.margin_db(3e6) - lane.margin_db(3e6)) == pytest.approx(10 * math.log10(n), abs=1e-9)
        assert lane.max_range_m() == pytest.approx(one.max_range_m() / math.sqrt(n), rel=1e-9)
    ranges = LinkBudget(channels=4).channel_ranges_m()
    assert [k for k, _ in ranges] == [4, 3, 2, 1]
    assert ranges[-1][1] == pytest.approx(one.max_range_m(), rel=1e-9)


def test_api_link_budget_reports_the_lane_and_the_cost():
    import netsim

    table = netsim.link_budget(2000, {"channels": 16, "receiver": {"type": "pin"}})
    assert table["lane rate (Gbps)"] == 160.0
    assert table["terminal cost (USD)"] == 160.0  # 16 x the claim's $10 per IM/DD channel
    assert table["cost per Gbps-km at max range (USD)"] == pytest.approx(
        2 * 160.0 / (160.0 * table["max range (km)"]), rel=1e-12)
    ground = netsim.link_budget(1000, {}, elevation_deg=20)
    assert ground["clear-sky extinction (dB)"] < 0 and ground["scintillation index (Rytov)"] > 0


# ---------------------------------------------------------------- bad values

@pytest.mark.parametrize("section,change,key", [
    ("laser", {"channels": 0}, "laser.channels"),
    ("laser", {"pointing_jitter_bandwidth_hz": -1.0}, "laser.pointing_jitter_bandwidth_hz"),
    ("laser", {"rx_pointing_bias_urad": -0.5}, "laser.rx_pointing_bias_urad"),
    ("laser", {"channel_cost_usd": -10}, "laser.channel_cost_usd"),
    ("laser", {"receiver": {"type": "coherent_8psk"}}, "laser.receiver.type"),
    ("ground_links", {"clouds": {"probability": 1.5}}, "ground_links.clouds.probability"),
    ("ground_links", {"clouds": {"correlation_s": 0}}, "ground_links.clouds.correlation_s"),
    ("ground_links", {"atmosphere": {"zenith_transmittance": 0}}, "ground_links.atmosphere.zenith_transmittance"),
    ("ground_links", {"atmosphere": {"turbulence": "kolmogorov"}}, "ground_links.atmosphere.turbulence"),
])
def test_bad_photonics_values_exit_2_naming_the_key(tmp_path, section, change, key):
    raw = default_scenario_dict()
    raw[section] = {**raw.get(section, {}), **change}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    done = subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(path), "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"key '{key}'" in lines[0], done.stderr


def test_bad_cloud_file_names_the_station_key(tmp_path):
    from netsim.errors import ScenarioError
    from netsim.scenario.load import scenario_from_dict

    raw = default_scenario_dict()
    (tmp_path / "clouds.csv").write_text("start_s,end_s\n1.0,2.0\n1.5,3.0\n")
    raw["ground_stations"][0]["cloud_file"] = str(tmp_path / "clouds.csv")
    with pytest.raises(ScenarioError, match=r"ground_stations\[0\].cloud_file.*overlap"):
        scenario_from_dict(raw)
    raw["ground_stations"][0]["cloud_file"] = str(tmp_path / "missing.csv")
    with pytest.raises(ScenarioError, match=r"ground_stations\[0\].cloud_file.*not found"):
        scenario_from_dict(raw)
