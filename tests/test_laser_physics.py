"""Link budget terms, bit errors and packet drops of the optical model (Python mirror
and the C++ core)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core_support import drivers, run_and_collect, two_terminal_link
from netsim.scenario.model import Laser
from netsim.scenario.load import scenario_from_dict
from netsim.errors import ScenarioError
from netsim.links.link_budget import LinkBudget

from conftest import default_scenario_dict


def test_budget_terms_against_hand_computation():
    budget = LinkBudget(tx_power_w=2.0, tx_aperture_m=0.1, rx_aperture_m=0.05, tx_efficiency=0.5,
                        rx_efficiency=0.25, pointing_bias_rad=5e-6, wavelength_m=1.55e-6)
    terms = dict(budget.terms_db(2.0e6))
    theta = math.sqrt(8) * 1.55e-6 / (math.pi * 0.1)  # 13.95 µrad
    assert terms["transmit power (dBm)"] == pytest.approx(33.0103, abs=1e-4)
    assert terms["transmit optics efficiency (dB)"] == pytest.approx(-3.0103, abs=1e-4)
    assert terms["transmit gain 8/theta^2 (dB)"] == pytest.approx(20 * math.log10(math.pi * 0.1 / 1.55e-6), abs=1e-9)
    assert terms["transmit gain 8/theta^2 (dB)"] == pytest.approx(106.1364, abs=1e-3)
    assert terms["transmit pointing loss (dB)"] == pytest.approx(10 * math.log10(math.exp(-2 * 25e-12 / theta**2)), abs=1e-9)
    assert terms["free-space loss (lambda/4 pi d)^2 (dB)"] == pytest.approx(-264.1982, abs=1e-3)
    assert terms["receive gain (pi D/lambda)^2 (dB)"] == pytest.approx(100.1158, abs=1e-3)
    assert terms["receive optics efficiency (dB)"] == pytest.approx(-6.0206, abs=1e-4)
    received = sum(v for k, v in terms.items() if k.endswith("(dB)") and "margin" not in k) + 33.0103
    assert terms["received power (dBm)"] == pytest.approx(received, abs=1e-3)
    assert 10 * np.log10(budget.received_power_w(2.0e6) * 1e3) == pytest.approx(received, abs=1e-3)


def test_pin_q_factor_by_hand():
    budget = LinkBudget(receiver="pin", thermal_noise_a_rthz=20e-12, responsivity_a_w=0.9, bit_rate_bps=10e9)
    p = 1e-5  # 10 µW average, 20 µW in a "1"
    i1 = 0.9 * 2e-5
    sigma_t = 20e-12 * math.sqrt(5e9)
    sigma_1 = math.sqrt(sigma_t**2 + 2 * 1.602176634e-19 * i1 * 5e9)
    assert budget.q_factor(p) == pytest.approx(i1 / (sigma_1 + sigma_t), rel=1e-12)
    assert budget.ber(p) == pytest.approx(0.5 * math.erfc(budget.q_factor(p) / math.sqrt(2)), rel=1e-12)


def test_preamp_sensitivity_near_the_quantum_limit_of_preamplified_ook():
    # NF 3 dB, matched optical filter, no thermal noise: ~40 photons per bit at 1e-9
    # (-43.1 dBm at 10 Gbps in DESIGN.md; our Gaussian-noise model gives 0.5 dB more).
    budget = LinkBudget(target_ber=1e-9, noise_figure_db=3.0, optical_bandwidth_hz=10e9, thermal_noise_a_rthz=0.0)
    sensitivity_dbm = 10 * math.log10(budget.sensitivity_w() * 1e3)
    assert -43.6 < sensitivity_dbm < -42.0


@pytest.mark.parametrize("receiver", ["pin", "apd", "preamp"])
def test_ber_rises_with_distance_and_pointing_error(receiver):
    budget = LinkBudget(receiver=receiver)
    distance = np.geomspace(1e4, 2e7, 400)
    ber = budget.ber(budget.received_power_w(distance))
    assert np.all(np.diff(ber) >= 0) and ber[-1] > ber[0]
    error = np.linspace(0, 3 * budget.divergence_rad, 400)
    ber_err = budget.ber(budget.received_power_w(budget.max_range_m() / 2, error))
    assert np.all(np.diff(ber_err) >= 0) and ber_err[-1] > ber_err[0]


@pytest.mark.parametrize("receiver,channels", [("pin", 1), ("apd", 1), ("preamp", 1), ("coherent_bpsk", 4),
                                               ("coherent_qpsk", 4)])
def test_cpp_core_and_python_mirror_agree(receiver, channels):
    ns, _ = drivers()
    from netsim.core.fabric import optical_link_model

    budget = LinkBudget(receiver=receiver, pointing_bias_rad=2e-6, rx_pointing_bias_rad=2e-6, channels=channels)
    model = optical_link_model(ns, budget)
    for distance in np.geomspace(1e5, 5e7, 25):
        for err in (0.0, 2e-6, 8e-6):
            p_cpp = model.GetReceivedPowerW(distance, err)
            assert p_cpp == pytest.approx(float(budget.received_power_w(distance, err)), rel=1e-12)
            assert model.GetBer(p_cpp) == pytest.approx(float(budget.ber(p_cpp)), rel=1e-9, abs=1e-300)
        assert model.IsUsable(distance) == bool(budget.usable(distance))
    assert model.GetSensitivityW() == pytest.approx(budget.sensitivity_w(), rel=1e-9)


def distance_for_ber(budget: LinkBudget, ber: float) -> float:
    lo, hi = 1e3, 1e9
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if budget.ber(budget.received_power_w(mid)) < ber else (lo, mid)
    return lo


@pytest.mark.parametrize("jitter_urad", [0.0, 3.0])
def test_measured_drops_match_packet_error_rate(jitter_urad):
    """100,000 packets through one link: the fraction lost to bit errors is the model's
    PER (expected over the pointing jitter) within 3 sigma."""
    ns, test = drivers()
    budget = LinkBudget(receiver="apd", pointing_bias_rad=2e-6, pointing_jitter_rad=jitter_urad * 1e-6,
                        rx_pointing_bias_rad=1e-6, rx_pointing_jitter_rad=1e-6, required_margin_db=-30.0)
    payload = 998
    wire_bytes = payload + 2
    distance = distance_for_ber(budget, 2e-5)  # PER ~ 0.15 for 1000-byte frames
    rng = np.random.default_rng(7)
    samples = 2_000_000
    err = np.hypot(budget.pointing_bias_rad + budget.pointing_jitter_rad * rng.standard_normal(samples),
                   budget.pointing_jitter_rad * rng.standard_normal(samples))
    # The receiver's angle of arrival jitters too (its own draw, independent of the transmitter's).
    rx_err = np.hypot(budget.rx_pointing_bias_rad + budget.rx_pointing_jitter_rad * rng.standard_normal(samples),
                      budget.rx_pointing_jitter_rad * rng.standard_normal(samples))
    per = float(np.mean(budget.packet_error_rate(budget.ber(budget.received_power_w(distance, err, rx_err)),
                                                 wire_bytes)))

    fabric = two_terminal_link([7e6, 0, 0], [7e6, distance, 0], link_budget=budget)
    test.Listen(fabric.port(1, 0))
    count = 100_000
    test.SendTrain(fabric.port(0, 0), 0.001, 1e-6, count, payload)
    arrivals = run_and_collect(ns, test, 1.0)
    dropped = fabric.port(1, 0).GetDropCount(ns.LaserNetDevice.DROP_BIT_ERRORS)
    ns.Simulator.Destroy()
    assert dropped + len(arrivals) == count
    sigma = math.sqrt(count * per * (1 - per))
    assert 0.05 < per < 0.8  # measurable: ~0.15 without jitter, ~0.6 with 3 µrad at the transmitter
    assert abs(dropped - count * per) <= 3 * sigma, (dropped, count * per, sigma)


def test_link_beyond_margin_drops_as_link_down():
    ns, test = drivers()
    budget = LinkBudget()
    fabric = two_terminal_link([7e6, 0, 0], [7e6, 1.5 * budget.max_range_m(), 0], link_budget=budget)
    test.Listen(fabric.port(1, 0))
    test.SendTrain(fabric.port(0, 0), 0.001, 1e-5, 10, 500)
    arrivals = run_and_collect(ns, test, 1.0)
    down = fabric.port(0, 0).GetDropCount(ns.LaserNetDevice.DROP_LINK_DOWN)
    ns.Simulator.Destroy()
    assert arrivals == [] and down == 10


@pytest.mark.parametrize("change,key", [
    ({"tx_power_w": -1.0}, "laser.tx_power_w"),
    ({"tx_aperture_mm": 0}, "laser.tx_aperture_mm"),
    ({"target_ber": 0.5}, "laser.target_ber"),
    ({"target_ber": 0}, "laser.target_ber"),
    ({"receiver": {"type": "photomultiplier"}}, "laser.receiver.type"),
])
def test_bad_laser_parameters_are_rejected_before_cpp(change, key):
    raw = default_scenario_dict()
    raw["laser"] = {**raw.get("laser", {}), **change}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, "bad.yaml")
    assert f"key '{key}'" in str(err.value)


def test_yaml_laser_section_maps_to_the_model():
    laser = Laser.model_validate({"tx_power_w": 0.5, "tx_aperture_mm": 60, "receiver": {"type": "pin"}})
    budget = LinkBudget.from_config(laser)
    assert budget.tx_power_w == 0.5 and budget.tx_aperture_m == pytest.approx(0.06) and budget.receiver == "pin"


def test_terminal_group_tracking_jitter_reaches_its_ports(tmp_path):
    """A tier's ISL terminals with large jitter lose packets to bit errors; the default
    jitter loses none on the same links."""
    from netsim.run.runner import run

    def scenario(jitter):
        raw = default_scenario_dict(duration_s=1.0, drain_s=0.3)
        raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "tracking_jitter_urad": jitter}}
        raw["traffic"] = [{"name": "f", "src": "london", "dst": "new_york", "rate_mbps": 20,
                           "packet_bytes": 1000, "start_s": 0.1001, "stop_s": 0.9}]
        raw["outputs"] = {"pcap_nodes": []}
        return scenario_from_dict(raw)

    calm = run(scenario(None), tmp_path / "calm").flows[0]
    shaky = run(scenario(12.0), tmp_path / "shaky").flows[0]
    assert calm["lost_bit_errors"] == 0
    assert shaky["lost_bit_errors"] > 0


def test_white_pointing_draw_bounds_its_error_and_draws_as_sample_pointing():
    """The laser channel settles most packets from a white jitter draw's Box-Muller radius
    alone: the bound bias + jitter x radius must never be below the radial error, and the
    draw must be SamplePointing's. Two terminals on the same stream, 20,000 draws: the
    error of each draw equals hypot(bias + jitter x, jitter y) of SamplePointing's (x, y)
    (Python's hypot), the bound is at or above it and within 1 % of it for some draws (a
    bound, not a loose cap), and both streams end in the same place. A correlated draw
    after white ones starts from the last white draw and is exact (its bound is itself)."""
    import ctypes

    ns, _ = drivers()
    shortcut, reference = ns.CreateObject[ns.LaserNetDevice](), ns.CreateObject[ns.LaserNetDevice]()
    shortcut.SetRandomStream(11)
    reference.SetRandomStream(11)
    bias, jitter = 2e-6, 3e-6
    x, y = ctypes.c_double(), ctypes.c_double()
    closest = 0.0
    for _ in range(20_000):
        draw = shortcut.DrawPointing(0.0, bias, jitter)
        reference.SamplePointing(0.0, x, y)
        error = math.hypot(bias + jitter * x.value, jitter * y.value)
        assert draw.Error() == pytest.approx(error, rel=1e-15)
        assert draw.MaxError() >= error
        closest = max(closest, error / draw.MaxError())
    assert closest > 0.99
    assert shortcut.NextUniform() == reference.NextUniform()
    # No jitter: no draw, the bias alone.
    still = shortcut.DrawPointing(0.0, bias, 0.0)
    assert still.Error() == bias == still.MaxError()
    assert shortcut.NextUniform() == reference.NextUniform()
    # Correlated jitter (all at t = 0, so the process stays where the white draw left it,
    # plus nothing): the same errors as SamplePointing's, exact.
    for tau in (0.0, 1e-3, 1e-3, 0.0, 1e-3):
        draw = shortcut.DrawPointing(tau, bias, jitter)
        reference.SamplePointing(tau, x, y)
        error = math.hypot(bias + jitter * x.value, jitter * y.value)
        assert draw.Error() == pytest.approx(error, rel=1e-15)
        if tau > 0:
            assert draw.MaxError() == draw.Error()
    assert shortcut.NextUniform() == reference.NextUniform()


@pytest.mark.parametrize("receiver", ["pin", "apd", "preamp", "coherent_qpsk"])
def test_error_free_power_loses_no_packet_at_any_draw(receiver):
    """IsErrorFree(P) lets the channel skip the exact power: at P and above, not even the
    luckiest draw (u = 0) loses a packet, and it holds from just above Q = 40 (BER ~1e-350)."""
    ns, _ = drivers()
    from netsim.core.fabric import optical_link_model

    model = optical_link_model(ns, LinkBudget(receiver=receiver))
    powers = np.geomspace(1e-12, 1e-2, 4000)
    free = np.array([bool(model.IsErrorFree(p)) for p in powers])
    assert free.any() and not free.all()
    first = int(np.argmax(free))
    assert free[first:].all()  # monotone in power
    for p in powers[first:first + 50]:
        assert not model.IsCorruptedAtPower(p, 1500, 0.0)
    q_first, q_before = model.GetQ(powers[first]), model.GetQ(powers[first - 1])
    assert q_before <= 40 + 1e-6 < q_first < 40.5
