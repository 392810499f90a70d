"""The laser link budget against hand-worked references (p-i-n, APD, pre-amplified
receiver), each computed here from its cited formulas (tests/optics_reference.py) and
compared with what `netsim link-budget` prints and with the C++ OpticalLinkModel that a
run uses; and the scenario's units (nm, mm, µrad, pA/√Hz, GHz, Gbps) as they reach both.

The CLI prints dB values with two decimals, so the bar is 0.01 dB (rounding is 0.005);
the C++ model is compared at 1e-9 relative (its sensitivity is a bisection to 1e-12)."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest
import yaml

import optics_reference as ref
from conftest import default_scenario_dict
from netsim.links.link_budget import LinkBudget
from netsim.scenario.model import Laser

# Three terminals, in the scenario's own units. Responsivity and thermal noise are worked
# out from physical constants and circuit values so that every number has a source.
PIN_RESPONSIVITY = 0.8 * ref.Q_E * 1550e-9 / (ref.H * ref.C)  # eta q lambda / (h c), eta = 0.8 (Agrawal eq. 4.1.3)
PIN_NOISE = ref.thermal_noise_a_rthz(300.0, 50.0, 2.0)  # 50 ohm load, 3 dB amplifier, 300 K: 25.7 pA/sqrt(Hz)
APD_NOISE = ref.thermal_noise_a_rthz(300.0, 100.0, 10 ** 0.2)  # 100 ohm, 2 dB: 16.2 pA/sqrt(Hz)

CASES = {
    # 2.5 Gbps p-i-n at 1550 nm, BER 1e-9, a 200 km link (thermal noise dominates).
    "pin": dict(distance_km=200.0, laser={
        "data_rate_gbps": 2.5, "wavelength_nm": 1550.0, "tx_power_w": 0.5, "tx_aperture_mm": 40.0,
        "rx_aperture_mm": 60.0, "tx_efficiency": 0.7, "rx_efficiency": 0.9, "pointing_bias_urad": 3.0,
        "target_ber": 1e-9, "required_margin_db": 3.0,
        "receiver": {"type": "pin", "responsivity_a_per_w": PIN_RESPONSIVITY,
                     "thermal_noise_pa_per_sqrt_hz": PIN_NOISE * 1e12}}),
    # 10 Gbps InGaAs APD (M = 8, k_A = 0.5, Agrawal Table 4.2 range) at 1064 nm, BER 1e-12, 4,000 km.
    "apd": dict(distance_km=4000.0, laser={
        "data_rate_gbps": 10.0, "wavelength_nm": 1064.0, "tx_power_w": 2.0, "tx_aperture_mm": 100.0,
        "rx_aperture_mm": 100.0, "tx_efficiency": 0.8, "rx_efficiency": 0.8, "pointing_bias_urad": 0.5,
        "target_ber": 1e-12, "required_margin_db": 3.0,
        "receiver": {"type": "apd", "responsivity_a_per_w": 0.7, "apd_gain": 8.0, "apd_ionisation_ratio": 0.5,
                     "thermal_noise_pa_per_sqrt_hz": APD_NOISE * 1e12}}),
    # 10 Gbps EDFA pre-amplified receiver (NF 5 dB, G 35 dB, 40 GHz filter), BER 1e-12, 4,000 km.
    "preamp": dict(distance_km=4000.0, laser={
        "data_rate_gbps": 10.0, "wavelength_nm": 1550.0, "tx_power_w": 1.0, "tx_aperture_mm": 80.0,
        "rx_aperture_mm": 80.0, "tx_efficiency": 0.8, "rx_efficiency": 0.8, "pointing_bias_urad": 1.0,
        "target_ber": 1e-12, "required_margin_db": 3.0,
        "receiver": {"type": "preamp", "responsivity_a_per_w": 0.85, "noise_figure_db": 5.0,
                     "amplifier_gain_db": 35.0, "optical_bandwidth_ghz": 40.0,
                     "thermal_noise_pa_per_sqrt_hz": 15.0}}),
}


def hand_budget(case: dict) -> dict:
    """Received power, sensitivity, margin, BER and range of a case, from the references."""
    laser, rx = case["laser"], case["laser"]["receiver"]
    wavelength = laser["wavelength_nm"] * 1e-9
    distance = case["distance_km"] * 1e3
    df = laser["data_rate_gbps"] * 1e9 / 2  # NRZ receiver bandwidth B / 2
    r = rx["responsivity_a_per_w"]
    sigma_t = rx["thermal_noise_pa_per_sqrt_hz"] * 1e-12 * math.sqrt(df)
    q = ref.q_for_ber(laser["target_ber"])
    received = ref.received_power_w(laser["tx_power_w"], laser["tx_efficiency"], laser["tx_aperture_mm"] * 1e-3,
                                    laser["rx_aperture_mm"] * 1e-3, laser["rx_efficiency"], wavelength, distance,
                                    laser["pointing_bias_urad"] * 1e-6)
    # The receiving terminal's angle-of-arrival error: by default the same as the transmitter's.
    received *= float(ref.receive_pointing_loss(laser["rx_aperture_mm"] * 1e-3, wavelength,
                                                laser.get("rx_pointing_bias_urad", laser["pointing_bias_urad"]) * 1e-6))
    extra = {}
    if rx["type"] == "pin":
        sensitivity = ref.pin_sensitivity_w(q, r, sigma_t, df)
    elif rx["type"] == "apd":
        extra = dict(gain=rx["apd_gain"], k=rx["apd_ionisation_ratio"])
        sensitivity = ref.apd_sensitivity_w(q, r, sigma_t, df, **extra)
    else:
        extra = dict(gain=10 ** (rx["amplifier_gain_db"] / 10), noise_figure=10 ** (rx["noise_figure_db"] / 10),
                     optical_bw_hz=rx["optical_bandwidth_ghz"] * 1e9, wavelength_m=wavelength)
        sensitivity = ref.preamp_sensitivity_w(q, r, sigma_t, df, extra["gain"], extra["noise_figure"],
                                               extra["optical_bw_hz"], wavelength)
    ber = ref.ber_for_q(ref.q_of_power(rx["type"], received, r, sigma_t, df, **extra))
    margin = ref.db(received / sensitivity)
    # P_r falls as 1/d^2: the range where the margin equals the required margin.
    max_range = distance * 10 ** ((margin - laser["required_margin_db"]) / 20)
    return {"received_dbm": ref.dbm(received), "sensitivity_dbm": ref.dbm(sensitivity), "margin_db": margin,
            "ber": ber, "max_range_km": max_range / 1e3, "received_w": received, "sensitivity_w": sensitivity,
            "q_at_sensitivity": q}


def cli_budget(tmp_path, case: dict) -> dict:
    raw = default_scenario_dict(laser=case["laser"])
    path = tmp_path / "laser.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = subprocess.run([sys.executable, "-m", "netsim.cli.main", "link-budget", "--scenario", str(path),
                          "--distance-km", str(case["distance_km"])], capture_output=True, text=True, timeout=120,
                         check=True).stdout

    def value(pattern):
        return float(re.search(pattern + r"\s+(\S+)\n", out).group(1))

    return {"received_dbm": value(r"received power \(dBm\)"), "sensitivity_dbm": value(r"sensitivity at BER \S+ \(dBm\)"),
            "margin_db": value(r"margin \(dB\)"), "ber": value(r"bit error rate"),
            "max_range_km": float(re.search(r"max range at BER .*: (\d+) km", out).group(1)), "text": out}


def test_hand_worked_receivers_are_what_the_cases_say():
    # Sanity of the references themselves: Q at 1e-9 and 1e-12 (Agrawal §4.5.1: 6 and 7.03),
    # and the p-i-n case's numbers worked out above.
    assert ref.q_for_ber(1e-9) == pytest.approx(5.998, abs=1e-3)
    assert ref.q_for_ber(1e-12) == pytest.approx(7.034, abs=1e-3)
    assert PIN_RESPONSIVITY == pytest.approx(1.000, abs=1e-3)
    assert PIN_NOISE == pytest.approx(25.74e-12, rel=1e-3)
    pin = hand_budget(CASES["pin"])
    # (6 / 1 A/W) (25.74 pA sqrt(1.25 GHz) + q 6 1.25 GHz) = 5.47 µW = -22.62 dBm
    assert pin["sensitivity_dbm"] == pytest.approx(-22.62, abs=0.01)


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_link_budget_matches_the_hand_worked_case(tmp_path, name):
    case = CASES[name]
    hand = hand_budget(case)
    cli = cli_budget(tmp_path, case)
    for key in ("received_dbm", "sensitivity_dbm", "margin_db"):
        assert cli[key] == pytest.approx(hand[key], abs=0.01), (name, key, cli["text"])
    # BER printed with 3 significant digits; range in whole km.
    assert cli["ber"] == pytest.approx(hand["ber"], rel=6e-3, abs=0), cli["text"]
    assert 0 < hand["ber"] < 1e-12  # a number to compare, not an underflow
    assert cli["max_range_km"] == pytest.approx(hand["max_range_km"], abs=0.6), cli["text"]
    assert f"({case['laser']['receiver']['type']} receiver, {case['laser']['data_rate_gbps']:g} Gbps OOK, " \
           f"{case['laser']['wavelength_nm']:g} nm" in cli["text"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_cpp_optical_model_from_the_scenario_matches_the_hand_worked_case(name):
    from core_support import drivers
    from netsim.core.fabric import optical_link_model

    ns, _ = drivers()
    case = CASES[name]
    hand = hand_budget(case)
    model = optical_link_model(ns, LinkBudget.from_config(Laser.model_validate(case["laser"])))
    distance = case["distance_km"] * 1e3
    bias = case["laser"]["pointing_bias_urad"] * 1e-6
    assert model.GetSensitivityW() == pytest.approx(hand["sensitivity_w"], rel=1e-9)
    assert model.GetReceivedPowerW(distance, bias) == pytest.approx(hand["received_w"], rel=1e-12)
    assert model.GetBer(model.GetSensitivityW()) == pytest.approx(case["laser"]["target_ber"], rel=1e-6)
    # Above the sensitivity every noise term weighs differently (shot and signal-ASE noise grow).
    assert model.GetBer(hand["received_w"]) == pytest.approx(hand["ber"], rel=1e-6, abs=0)
    assert model.GetMarginDb(distance) == pytest.approx(hand["margin_db"], abs=1e-9)
    max_range = hand["max_range_km"] * 1e3
    assert model.IsUsable(max_range * (1 - 1e-9)) and not model.IsUsable(max_range * (1 + 1e-9))


# ------------------------------------------------------------------------ units

# Distinct values so that a factor applied to the wrong key shows too.
UNITS_YAML = {"wavelength_nm": 1064.0, "tx_aperture_mm": 60.0, "rx_aperture_mm": 45.0, "tx_divergence_urad": 25.0,
              "pointing_bias_urad": 2.5, "pointing_jitter_urad": 1.5, "data_rate_gbps": 2.5,
              "receiver": {"type": "preamp", "thermal_noise_pa_per_sqrt_hz": 17.0, "optical_bandwidth_ghz": 25.0,
                           "noise_figure_db": 6.0, "amplifier_gain_db": 27.0}}
UNITS_SI = {  # LinkBudget field / ns-3 attribute: value in SI
    ("wavelength_m", "Wavelength"): 1.064e-6, ("tx_aperture_m", "TxAperture"): 0.060,
    ("rx_aperture_m", "RxAperture"): 0.045, ("tx_divergence_rad", "TxDivergence"): 25e-6,
    ("pointing_bias_rad", "PointingBias"): 2.5e-6, ("pointing_jitter_rad", "PointingJitter"): 1.5e-6,
    ("bit_rate_bps", "BitRate"): 2.5e9, ("thermal_noise_a_rthz", "ThermalNoise"): 17e-12,
    ("optical_bandwidth_hz", "OpticalBandwidth"): 25e9,
    # The receiver's angle-of-arrival error defaults to the transmitter's pointing error.
    ("rx_pointing_bias_rad", "RxPointingBias"): 2.5e-6, ("rx_pointing_jitter_rad", "RxPointingJitter"): 1.5e-6,
    # dB stays dB: the model converts noise figure and gain itself.
    ("noise_figure_db", "NoiseFigure"): 6.0, ("amplifier_gain_db", "AmplifierGain"): 27.0,
}


def test_scenario_units_reach_the_python_budget_and_the_cpp_model_in_si():
    from core_support import drivers
    from netsim.core.fabric import optical_link_model

    budget = LinkBudget.from_config(Laser.model_validate(UNITS_YAML))
    ns, _ = drivers()
    model = optical_link_model(ns, budget)
    for (field, attribute), si in UNITS_SI.items():
        assert getattr(budget, field) == pytest.approx(si, rel=1e-12), field
        value = ns.DoubleValue()
        model.GetAttribute(attribute, value)
        assert value.Get() == pytest.approx(si, rel=1e-12), attribute
    # And in behaviour: the divergence given in µrad is the beam's, and a 1064 nm,
    # 45 mm receive aperture collects (pi D / lambda)^2 of it.
    p = ref.received_power_w(1.0, 0.8, 1.0, 0.045, 0.8, 1.064e-6, 1e6)  # with a placeholder tx aperture
    theta_filled = math.sqrt(8) * 1.064e-6 / math.pi  # divergence of that 1 m placeholder aperture
    expected = p * (theta_filled / 25e-6) ** 2 * math.exp(-2 * (2.5e-6 / 25e-6) ** 2) \
        * float(ref.receive_pointing_loss(0.045, 1.064e-6, 2.5e-6))
    assert model.GetReceivedPowerW(1e6, 2.5e-6) == pytest.approx(expected, rel=1e-12)
    assert float(budget.received_power_w(1e6, 2.5e-6)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("required_db", [0.0, 3.0, 7.5])
def test_a_link_is_usable_exactly_where_its_margin_meets_the_requirement(required_db):
    # Received power falls as 1/d^2 in the far field (ref.received_power_w), so the range
    # limit is where the margin equals the requirement; 0.1 % either side decides.
    budget = LinkBudget.from_config(Laser(**{**CASES["preamp"]["laser"], "required_margin_db": required_db}))
    limit_m = 1.0e6 * 10 ** ((budget.margin_db(1.0e6) - required_db) / 20)
    assert budget.usable(limit_m * 0.999) and not budget.usable(limit_m * 1.001)


def test_the_budgets_own_defaults_are_the_scenarios_defaults():
    # LinkBudget() is what the API and plots use without a scenario: it must be the
    # terminal a scenario gets when it says nothing about its laser.
    import dataclasses

    own, scenario = dataclasses.asdict(LinkBudget()), dataclasses.asdict(LinkBudget.from_config(Laser()))
    assert own.keys() == scenario.keys()
    for key, value in own.items():  # unit conversions round (1550 nm * 1e-9)
        assert value == (pytest.approx(scenario[key], rel=1e-12) if isinstance(value, float) else scenario[key]), key
