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
from pathlib import Path

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
        "channels": 8, "receiver": {"type": "coherent_bpsk"}}),
    # A 1,000 km downlink at 30 deg elevation through a clear sky of zenith transmittance 0.9.
    "ground-30deg": dict(distance_km=1000.0, elevation_deg=30.0, laser={
        "wavelength_nm": 1550.0, "tx_power_w": 0.5, "tx_aperture_mm": 80.0, "rx_aperture_mm": 80.0,
        "tx_efficiency": 0.8, "rx_efficiency": 0.8, "pointing_bias_urad": 1.0, "rx_pointing_bias_urad": 1.0,
        "receiver": {"type": "apd"}}),
}


DOCS_PHYSICS = (Path(__file__).resolve().parents[1] / "docs" / "physics.md").read_text()


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
    p *= ref.receive_pointing_loss(laser["rx_aperture_mm"] * 1e-3, wavelength, laser["rx_pointing_bias_urad"] * 1e-6)
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


def hand_case_flags(case: dict) -> list[str]:
    """The `netsim link-budget` flags of a case, as docs/physics.md prints them (the
    default atmosphere: zenith transmittance 0.9, HV 5/7)."""
    args = ["--distance-km", f"{case['distance_km']:g}"]
    for key, value in case["laser"].items():
        if key == "receiver":
            args += ["--receiver", value["type"]]
        else:
            args += ["--" + key.replace("_", "-"), f"{value:g}"]
    if case["elevation_deg"] is not None:
        args += ["--elevation-deg", f"{case['elevation_deg']:g}"]
    return args


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_link_budget_matches_the_hand_worked_case(name):
    case = HAND_CASES[name]
    out = cli(*hand_case_flags(case))
    assert "netsim link-budget " + " ".join(hand_case_flags(case)) in DOCS_PHYSICS, "docs/physics.md shows the case"
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
    raw["ground_stations"][0]["cloud_file"] = str(tmp_path)
    with pytest.raises(ScenarioError, match=r"ground_stations\[0\].cloud_file.*not a regular file"):
        scenario_from_dict(raw)
    (tmp_path / "many.csv").write_text("".join(f"{i}, {i + 0.5}\n" for i in range(100_001)))
    raw["ground_stations"][0]["cloud_file"] = str(tmp_path / "many.csv")
    with pytest.raises(ScenarioError, match=r"ground_stations\[0\].cloud_file.*more than 100,000 cloudy intervals"):
        scenario_from_dict(raw)


def test_cloud_cover_that_would_flicker_too_often_is_refused():
    """p (1 - p) T / tau spells per sky: 0.25 x 1e7 s / 1 s = 2.5 M > 100,000."""
    from netsim.errors import ScenarioError
    from netsim.scenario.load import scenario_from_dict

    raw = default_scenario_dict(duration_s=1e7)
    raw["ground_links"]["clouds"] = {"probability": 0.5, "correlation_s": 1.0}
    with pytest.raises(ScenarioError, match=r"ground_links.clouds.correlation_s.*2,500,000 cloudy spells"):
        scenario_from_dict(raw)
    raw["ground_links"]["clouds"] = {}
    raw["ground_stations"][1].update(cloud_probability=0.5, cloud_correlation_s=10.0)
    with pytest.raises(ScenarioError, match=r"ground_stations\[1\].cloud_correlation_s"):
        scenario_from_dict(raw)


@pytest.mark.parametrize("args,flag", [(["--channels", "0"], "--channels"), (["--elevation-deg", "-5"], "--elevation-deg"),
                                       (["--elevation-deg", "nan"], "--elevation-deg"),
                                       (["--rx-pointing-bias-urad", "inf"], "--rx-pointing-bias-urad")])
def test_bad_link_budget_options_exit_2_with_one_line(capsys, args, flag):
    from netsim.cli.main import main

    assert main(["link-budget", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"netsim: error: {flag}"), err


# ---------------------------------------------------------------- the core: lanes, fades, clouds

@pytest.fixture(scope="module")
def lane_driver():
    """C++ helpers: send IPv4/UDP datagrams of one flow on a schedule, count the bytes a
    device receives after a time, sample a terminal's pointing process on a grid."""
    from core_support import drivers

    ns, _ = drivers()
    ns.cppyy.cppdef("""
    namespace netsim_lane_test {
    uint64_t rxFrames = 0;
    double countFromS = 0;
    double countToS = 0;
    bool Count(ns3::Ptr<ns3::NetDevice>, ns3::Ptr<const ns3::Packet>, uint16_t, const ns3::Address&) {
        const double now = ns3::Simulator::Now().GetSeconds();
        rxFrames += now >= countFromS && now < countToS;
        return true; }
    void Listen(ns3::Ptr<ns3::LaserNetDevice> d, double fromS, double toS) {
        rxFrames = 0; countFromS = fromS; countToS = toS; d->SetReceiveCallback(ns3::MakeCallback(&Count)); }
    void SendFlow(ns3::Ptr<ns3::LaserNetDevice> d, uint16_t srcPort, double start, double interval,
                  uint32_t count, uint32_t payload, bool framed) {
        for (uint32_t i = 0; i < count; ++i) {
            ns3::Simulator::Schedule(ns3::Seconds(start + i * interval), [d, srcPort, payload, framed]() {
                ns3::Ptr<ns3::Packet> p = ns3::Create<ns3::Packet>(payload);
                ns3::UdpHeader udp; udp.SetSourcePort(srcPort); udp.SetDestinationPort(9);
                p->AddHeader(udp);
                ns3::Ipv4Header ip; ip.SetSource(ns3::Ipv4Address("10.0.0.1"));
                ip.SetDestination(ns3::Ipv4Address("10.0.0.2")); ip.SetProtocol(17);
                ip.SetPayloadSize(p->GetSize()); ip.SetTtl(64);
                p->AddHeader(ip);
                if (!framed) { d->Send(p, d->GetBroadcast(), 0x0800); return; }
                ns3::PppHeader ppp; ppp.SetProtocol(0x0021);  // as a transit hop passes it on
                p->AddHeader(ppp);
                d->SendFrame(p); });
        } }
    std::vector<double> xs;
    void SamplePointing(ns3::Ptr<ns3::LaserNetDevice> d, double tau, double interval, uint32_t count) {
        xs.clear();
        for (uint32_t i = 0; i < count; ++i) {
            ns3::Simulator::Schedule(ns3::Seconds(i * interval), [d, tau]() {
                double x, y; d->SamplePointing(tau, x, y); xs.push_back(x); xs.push_back(y); });
        } }
    }""")
    return ns, ns.cppyy.gbl.netsim_lane_test


def lane_throughput_bps(lane_driver, channels: int, flows: int, framed: bool = False) -> float:
    """Bits per second (frames on the wire) one link of `channels` delivers from 3 to
    8 ms (arrival times less the light time) while `flows` UDP flows each offer twice a channel's rate; the flows' source
    ports are chosen so that they take different channels of the lane."""
    from core_support import two_terminal_link

    ns, drv = lane_driver
    ports, taken = [], set()
    for port in range(1000, 60000):  # the first ports whose flows hash to new channels
        lane = ns.LaserNetDevice.LaneOfFlow(0x0A000001, 0x0A000002, 17, port, 9, channels)
        if lane not in taken or len(taken) == channels:
            ports.append(port)
            taken.add(lane)
        if len(ports) == flows:
            break
    fabric = two_terminal_link([7e6, 0, 0], [7e6, 1e6, 0], queue_packets=50)
    for node in (0, 1):
        fabric.port(node, 0).SetAttribute("DataRate", ns.DataRateValue(ns.DataRate("1Gbps")))
        fabric.port(node, 0).SetAttribute("Channels", ns.UintegerValue(channels))
    delay = 1e6 / 299_792_458.0  # 1,000 km
    drv.Listen(fabric.port(1, 0), 0.003 + delay, 0.008 + delay)
    payload, wire_bytes = 1000, 1030  # + UDP 8 + IPv4 20 + PPP 2: 8.24 µs at 1 Gbps
    for port in ports:  # offered until 8.24 ms
        drv.SendFlow(fabric.port(0, 0), port, 0.0, 4.12e-6, 2000, payload, framed)
    ns.Simulator.Stop(ns.Seconds(0.02))
    ns.Simulator.Run()
    ns.Simulator.Destroy()
    return drv.rxFrames * wire_bytes * 8 / 0.005


def test_a_lane_of_n_channels_carries_n_flows_at_n_times_one_channel(lane_driver):
    """1 Gbps channels: one channel carries 1 Gbps whatever the flows; a lane of n carries
    n Gbps for n flows on different channels and 1 Gbps for one flow (it never spreads)."""
    single = lane_throughput_bps(lane_driver, channels=1, flows=1)
    assert single == pytest.approx(1e9, rel=0.01)
    assert lane_throughput_bps(lane_driver, channels=1, flows=4) == pytest.approx(1e9, rel=0.01)
    for n in (2, 5):
        lane, one_flow = (lane_throughput_bps(lane_driver, channels=n, flows=k) for k in (n, 1))
        print(f"1 channel {single / 1e9:.4f} Gbps; lane of {n}: {n} flows {lane / 1e9:.4f} Gbps, "
              f"1 flow {one_flow / 1e9:.4f} Gbps")
        assert lane == pytest.approx(n * single, rel=0.01)
        assert one_flow == pytest.approx(single, rel=0.01)


def test_frames_passed_on_in_transit_take_their_flows_channels(lane_driver):
    """A transit hop sends the frame it received (SendFrame, PPP header on): the channel
    is read past the header, so n flows still fill a lane of n, exactly as Send."""
    for n in (2, 5):
        framed = lane_throughput_bps(lane_driver, channels=n, flows=n, framed=True)
        assert framed == lane_throughput_bps(lane_driver, channels=n, flows=n)
        assert framed == pytest.approx(n * 1e9, rel=0.01)


def test_flows_spread_evenly_over_the_channels_of_a_lane(lane_driver):
    ns, _ = lane_driver
    rng = np.random.default_rng(3)
    n = 8
    lanes = [ns.LaserNetDevice.LaneOfFlow(int(a), int(b), 17, int(s), int(d), n)
             for a, b, s, d in zip(rng.integers(0, 2**32, 8000), rng.integers(0, 2**32, 8000),
                                   rng.integers(1024, 65536, 8000), rng.integers(1, 1024, 8000))]
    counts = np.bincount(lanes, minlength=n)
    # Multinomial, 1,000 expected per channel: 5 sigma ~ 150.
    assert counts.min() > 850 and counts.max() < 1150, counts


def test_pointing_fades_have_the_correlation_time_of_their_bandwidth(lane_driver):
    """The terminal's pointing jitter with bandwidth B is an Ornstein-Uhlenbeck process of
    correlation time tau = 1 / (2 pi B): sampled every 0.1 tau, its autocorrelation at
    lag k is exp(-0.1 k), so the time where it falls to 1/e is tau (within 10 %)."""
    from core_support import two_terminal_link

    ns, drv = lane_driver
    bandwidth_hz = 100.0
    tau = 1 / (2 * math.pi * bandwidth_hz)
    fabric = two_terminal_link([7e6, 0, 0], [7e6, 1e6, 0])
    drv.SamplePointing(fabric.port(0, 0), tau, tau / 10, 100_000)
    ns.Simulator.Run()
    ns.Simulator.Destroy()
    xy = np.asarray(list(drv.xs)).reshape(-1, 2)
    assert np.std(xy) == pytest.approx(1.0, abs=0.03)  # per-axis rms of the jitter (units of it)
    acf = [np.mean([np.corrcoef(xy[:-k, a], xy[k:, a])[0, 1] for a in (0, 1)]) for k in range(1, 31)]
    lags = np.arange(1, 31) * tau / 10
    # The lag where the autocorrelation crosses 1/e, interpolated on the log scale.
    k = int(np.argmax(np.asarray(acf) < math.exp(-1)))
    t0, t1, r0, r1 = lags[k - 1], lags[k], math.log(acf[k - 1]), math.log(acf[k])
    crossing = t0 + (-1 - r0) * (t1 - t0) / (r1 - r0)
    print(f"1/e time of the autocorrelation {crossing * 1e3:.4f} ms, tau {tau * 1e3:.4f} ms")
    assert crossing == pytest.approx(tau, rel=0.10)
    assert acf[0] == pytest.approx(math.exp(-0.1), abs=0.01)


def expected_burst_packets(per_of_error, sigma_rad: float, a: float) -> tuple[float, float]:
    """(loss probability, mean loss-burst length in packets) of packets sent every dt
    through a terminal whose 2-axis pointing error X (no bias, rms sigma per axis) is an
    AR(1) process X_k = a X_(k-1) + sqrt(1 - a^2) Z: a run of losses has mean length
    P(loss) / P(no loss, then loss). By isotropy X_(k-1) = (rho, 0), rho Rayleigh;
    Z by Gauss-Hermite quadrature."""
    rho = np.linspace(0.0, 7.0, 1401) * sigma_rad
    density = rho / sigma_rad**2 * np.exp(-rho**2 / (2 * sigma_rad**2))
    z, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    s = math.sqrt(1 - a * a)
    per_now = per_of_error(rho)
    p_loss = float(np.trapz(per_now * density, rho))
    zx, zy = np.meshgrid(z, z, indexing="ij")
    nxt = np.hypot(a * rho[:, None, None] + s * sigma_rad * zx[None], s * sigma_rad * zy[None])
    per_next = np.einsum("rij,i,j->r", per_of_error(nxt), w, w)
    p_onset = float(np.trapz((1 - per_now) * per_next * density, rho))
    return p_loss, p_loss / p_onset


def test_correlated_fades_drop_bursts_of_the_expected_length(lane_driver):
    """An APD link at the distance where a 5 µrad-rms pointing jitter (bandwidth 100 Hz,
    tau = 1.59 ms) loses ~20 % of 1,000-byte frames, one frame every 0.1 ms: the lost
    frames come in runs whose mean length and the loss rate match the Rice/AR(1) oracle
    above within 10 % (mean ~3.5 frames; white jitter would give runs of ~1.3)."""
    from core_support import burst_lengths, train_losses

    bandwidth_hz, sigma, dt = 100.0, 5e-6, 1e-4
    tau = 1 / (2 * math.pi * bandwidth_hz)
    budget = LinkBudget(receiver="apd", pointing_bias_rad=0.0, pointing_jitter_rad=sigma, rx_pointing_bias_rad=0.0,
                        rx_pointing_jitter_rad=0.0, jitter_bandwidth_hz=bandwidth_hz, required_margin_db=-30.0)
    payload, wire_bytes = 998, 1000
    df = 10e9 / 2
    sigma_t = 20e-12 * math.sqrt(df)  # the APD defaults: 20 pA/sqrt(Hz), 0.9 A/W, M = 10, k = 0.7

    def per_at(distance):
        def per(error_rad):
            power = ref.received_power_w(1.0, 0.8, 0.08, 0.08, 0.8, 1550e-9, distance, error_rad)
            q = ref.q_of_power("apd", power, 0.9, sigma_t, df, gain=10.0, k=0.7)
            return ref.packet_error_rate(ref.ber_for_q(q), wire_bytes)
        return per

    lo, hi = 1e5, 1e8  # the distance where a 1.8 sigma error loses half the frames
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if per_at(mid)(np.array(1.8 * sigma)) < 0.5 else (lo, mid)
    distance = lo
    a = math.exp(-dt / tau)
    p_loss, burst = expected_burst_packets(per_at(distance), sigma, a)
    white_burst = 1 / (1 - p_loss)
    assert 0.1 < p_loss < 0.3 and burst > 2.5 * white_burst

    lost = train_losses(distance, budget, dt, 300_000)  # 30 s: ~19,000 correlation times
    bursts = burst_lengths(lost)
    onsets = len(bursts)
    print(f"loss {lost.mean():.4f} (expected {p_loss:.4f}), mean burst {lost.sum() / onsets:.3f} frames "
          f"(expected {burst:.3f}), {onsets} bursts")
    assert lost.mean() == pytest.approx(p_loss, rel=0.10)
    assert bursts.mean() == pytest.approx(burst, rel=0.10), (bursts.mean(), burst)


def test_clouds_make_the_link_dark_for_exactly_the_blocked_intervals():
    """Blocked intervals at either end of an ideal link: a frame sent every 10 µs is lost
    if and only if its send time falls in [start, end) of one of them."""
    from core_support import train_losses

    ends = {0: [(0.0102505, 0.0203405), (0.0300005, 0.0301005), (0.05, 0.0500105)], 1: [(0.0601005, 0.0712345)]}

    def block(fabric):
        for node, intervals in ends.items():
            fabric.set_blocked(node, 0, [a for a, _ in intervals], [b for _, b in intervals])

    count, start, dt = 9000, 0.001, 1e-5
    lost = train_losses(1e6, None, dt, count, payload=500, start_s=start, prepare=block)
    sent_ns = np.rint((start + np.arange(count) * dt) * 1e9).astype(np.int64)
    blocked = np.zeros(count, dtype=bool)
    for a, b in ends[0] + ends[1]:
        blocked |= (sent_ns >= round(a * 1e9)) & (sent_ns < round(b * 1e9))
    assert blocked.sum() == 1009 + 10 + 2 + 1113  # counted by hand from the interval ends
    assert np.array_equal(lost, blocked)
