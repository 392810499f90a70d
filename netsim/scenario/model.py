"""The scenario model: the sections of a scenario file as validated, immutable objects.

Units are in the key names (km, deg, s, gbps, mbps, bytes). Every error names the file,
the key as a dotted path and what is allowed; see ScenarioError.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator



class _Section(BaseModel):
    # strict: "550" is not a number; unknown keys are typos, not extensions; inf and nan
    # are no values (every number has a finite, documented range: README "Limits").
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# Names are data (node names, capture interfaces, tables), never paths.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_NAME_RULE = "a name has 1-64 characters from A-Z a-z 0-9 _ . - and does not start with . or -"
# Free text (scenario and flow names): printable, no control characters, at most this long.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT = 200
# Largest counts and times a scenario may give (further limits on combined sizes:
# netsim.scenario.limits).
MAX_SECONDS = 1e7            # ~116 days of simulated time
MAX_COUNT = 1_000_000        # planes, slots per plane, burst packets ...
MAX_RATE_MBPS = 1e6          # a flow's rate: 1 Tbit/s


# A duration in seconds that may be zero.
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]


def plain_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(_NAME_RULE)
    return value


def plain_text(value: str) -> str:
    if len(value) > MAX_TEXT or _CONTROL.search(value) or not value.strip():
        raise ValueError(f"must be 1-{MAX_TEXT} printable characters, no control characters")
    return value


class Shell(_Section):
    """One Walker shell: `planes` x `sats_per_plane` satellites on circular orbits."""

    name: str | None = None

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        return value if value is None else plain_name(value)
    # Orbit size: give exactly one of altitude_km or mean_motion_rev_per_day.
    altitude_km: float | None = Field(default=None, gt=0, le=100_000)
    # 17 rev/day is an orbit ~10 km up; 0.1 rev/day is beyond the Moon.
    mean_motion_rev_per_day: float | None = Field(default=None, gt=0.1, le=17.0)
    # UTC time at which the Walker pattern holds; default: the scenario epoch.
    epoch: str | None = None
    inclination_deg: float = Field(ge=0, le=180)
    planes: int = Field(ge=1, le=MAX_COUNT)
    sats_per_plane: int = Field(ge=1, le=MAX_COUNT)
    phasing: int = Field(default=0, ge=0, le=MAX_COUNT)
    pattern: Literal["delta", "star"] = "delta"
    raan_spread_deg: float | None = Field(default=None, gt=0, le=360)

    @property
    def total(self) -> int:
        return self.planes * self.sats_per_plane

    @property
    def raan_spread(self) -> float:
        """Spread of the ascending nodes, deg: 360 for Walker delta, 180 for star."""
        if self.raan_spread_deg is not None:
            return self.raan_spread_deg
        return 360.0 if self.pattern == "delta" else 180.0


# Ports are numbered in one byte and 255 means "no route": at most this many per node.
MAX_PORTS = 250


class TleSource(_Section):
    """Satellites from a TLE file (two- or three-line sets), propagated with SGP4."""

    name: str
    file: str = Field(min_length=1, max_length=4096)  # relative paths are relative to the scenario file
    max_satellites: int | None = Field(default=None, ge=1, le=10 * MAX_COUNT)
    # The file's order as planes of slots (plane by plane), for +Grid ISLs; a file that
    # starts with a "PLANES SLOTS" line declares it itself.
    planes: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    sats_per_plane: int | None = Field(default=None, ge=1, le=MAX_COUNT)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return plain_name(value)


class Distribution(_Section):
    """A random duration, s: uniform(low, high), exponential(mean) or normal(mean, std) >= 0."""

    distribution: Literal["uniform", "exponential", "normal"]
    low: float | None = Field(default=None, ge=0, le=MAX_SECONDS)
    high: float | None = Field(default=None, ge=0, le=MAX_SECONDS)
    mean: float | None = Field(default=None, ge=0, le=MAX_SECONDS)
    std: float | None = Field(default=None, ge=0, le=MAX_SECONDS)


class TerminalGroup(_Section):
    """Laser terminals of one role on every satellite of a tier (docs/terminals.md)."""

    count: int = Field(ge=0, le=32)
    # Half-angle of the cone around each terminal's boresight it can point into.
    field_of_regard_deg: float = Field(default=90.0, gt=0, le=180)
    max_slew_rate_deg_s: float = Field(default=5.0, gt=0, le=1e9)
    # Dark time to acquire a new partner (fixed or a distribution); seconds to ~100 s
    # in the literature.
    acquisition_s: Seconds | Distribution = 0.0
    # plus_grid: fixed +Grid partners; list: fixed links from links_file; nearest,
    # least_loaded: links assigned anew at each update (docs/terminals.md).
    policy: Literal["plus_grid", "list", "nearest", "least_loaded"] = "nearest"
    # policy list: a file of links, one pair of satellite names (or 0-based indices in the
    # tier) per line; relative to the scenario file.
    links_file: str | None = Field(default=None, min_length=1, max_length=4096)
    # plus_grid: plane p slot k links to plane p+1 slot k + cross_plane_offset; across
    # the seam plane P-1 slot k links to plane 0 slot k + seam_offset (default: the
    # Walker phasing F + cross_plane_offset for delta shells, cross_plane_offset for TLE sets).
    cross_plane_offset: int = Field(default=0, ge=-100_000, le=100_000)
    seam_offset: int | None = Field(default=None, ge=-100_000, le=100_000)
    # Mounting in the body frame (x along track, y = z x x, z nadir): "ring" (count
    # horizontal terminals), one name for all ("zenith", "nadir", "fore", "aft", "right",
    # "left", "az<deg>") or one name per terminal. Default: isl ring, up zenith, down nadir.
    boresights: str | list[str] | None = None
    # Tracking jitter of these terminals, µrad rms per axis (default: laser.pointing_jitter_urad).
    tracking_jitter_urad: float | None = Field(default=None, ge=0, le=1e6)


class Terminals(_Section):
    """isl: inside the tier; up/down: zenith/nadir terminals toward the tiers above/below.
    A group given without a policy takes its role's: isl plus_grid, up/down nearest."""

    @model_validator(mode="before")
    @classmethod
    def _role_policies(cls, raw):
        if isinstance(raw, dict) and isinstance(raw.get("isl"), dict) and "policy" not in raw["isl"]:
            raw = {**raw, "isl": {**raw["isl"], "policy": "plus_grid"}}
        return raw

    isl: TerminalGroup = TerminalGroup(count=4, policy="plus_grid")
    up: TerminalGroup = TerminalGroup(count=0, field_of_regard_deg=60.0, acquisition_s=10.0)
    down: TerminalGroup = TerminalGroup(count=0, field_of_regard_deg=60.0, acquisition_s=10.0)


class Tier(_Section):
    name: str

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return plain_name(value)
    # Walker shells and/or TLE files; a tier needs at least one of them.
    shells: list[Shell] = Field(default_factory=list)
    tle: list[TleSource] = Field(default_factory=list)
    terminals: Terminals = Terminals()
    # Compute of each satellite, TOPS (1e12 operations per second; 1e-6: a million per
    # second); workloads need it on the tiers they compute in (docs/workloads.md).
    compute_tops: float | None = Field(default=None, ge=1e-6, le=1e9)


class Constellation(_Section):
    tiers: list[Tier] = Field(min_length=1)
    # two_body: Keplerian circles; j2: plus the secular J2 drift of node and phase.
    propagation: Literal["two_body", "j2"] = "two_body"
    # Links whose straight line dips below this altitude are blocked (atmosphere).
    grazing_altitude_km: float = Field(default=80.0, ge=0, le=1000)


_STATION_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


class GroundStation(_Section):
    # Names are data (capture interfaces, tables), never paths: letters, digits, _ . -
    name: str

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _STATION_NAME.fullmatch(value):
            raise ValueError("a station name has 1-64 characters from A-Z a-z 0-9 _ . - and does not "
                             "start with . or -")
        return value
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_km: float = Field(default=0.0, ge=-0.5, le=10)
    # Inhabitants, for the gravity traffic generator (bundled sets fill it); None: unknown.
    population: int | None = Field(default=None, ge=0, le=10**11)
    # This station's own ground-link limits; not given: those of ground_links.
    terminals: int | None = Field(default=None, ge=1, le=MAX_PORTS)
    elevation_mask_deg: float | None = Field(default=None, ge=0, lt=90)
    max_range_km: float | None = Field(default=None, gt=0, le=100_000)
    # This station's cloud cover (optical ground links; docs/photonics.md): the fraction
    # of time its sky is cloudy and how long a spell lasts, or a file of cloudy
    # intervals (start_s,end_s per line, relative to the scenario file). Not given:
    # ground_links.clouds.
    cloud_probability: float | None = Field(default=None, ge=0, le=1)
    cloud_correlation_s: float | None = Field(default=None, ge=1, le=MAX_SECONDS)
    cloud_file: str | None = Field(default=None, min_length=1, max_length=4096)


class Atmosphere(_Section):
    """The atmosphere an optical ground link crosses (docs/photonics.md)."""

    # clear_sky: extinction and turbulence below; vacuum: none (as between satellites).
    model: Literal["clear_sky", "vacuum"] = "clear_sky"
    # Clear-sky transmittance toward the zenith at the wavelength; the slant path's is
    # zenith_transmittance ** airmass(elevation) (Kasten & Young 1989).
    zenith_transmittance: float = Field(default=0.9, gt=0, le=1)
    # hufnagel_valley: Cn^2(h) of the Hufnagel-Valley model (HV 5/7 with the defaults)
    # -> scintillation index -> log-normal fades; none: no scintillation.
    turbulence: Literal["hufnagel_valley", "none"] = "hufnagel_valley"
    rms_wind_mps: float = Field(default=21.0, ge=0, le=200)
    ground_cn2_m_2_3: float = Field(default=1.7e-14, ge=0, le=1e-10)


class Clouds(_Section):
    """Cloud cover over the ground stations: a two-state (clear/cloudy) Markov process
    per station (or per station terminal) with stationary cloudy fraction `probability`
    and correlation time `correlation_s`; a cloudy sky blocks the optical ground links."""

    probability: float = Field(default=0.0, ge=0, le=1)
    # Clouds change over minutes; 1 s is the shortest spell time netsim accepts.
    correlation_s: float = Field(default=1800.0, ge=1, le=MAX_SECONDS)
    # station: one sky per station (its terminals see the same clouds); terminal: each
    # station terminal (or link slot) looks through its own patch of sky, so a station
    # with several terminals is dark only when all are clouded (site diversity).
    scope: Literal["station", "terminal"] = "station"


class GroundLinks(_Section):
    """How ground stations reach the serving tier (docs/ground-segment.md)."""

    # assigned: each station terminal links to one satellite, chosen by `policy`, and
    # re-points (slews, acquires) at handovers; any_visible: a station uses every
    # satellite within its limits at once (up to max_links), no terminals, no acquisition.
    mode: Literal["assigned", "any_visible"] = "assigned"
    # assigned: laser terminals per station (each links to a different satellite).
    terminals: int = Field(default=1, ge=1, le=MAX_PORTS)
    # any_visible: at most this many links per station at once (the nearest).
    max_links: int = Field(default=64, ge=1, le=MAX_PORTS)
    # A satellite is usable above this elevation and within this slant range (none: any).
    elevation_mask_deg: float = Field(default=25.0, ge=0, lt=90)
    max_range_km: float | None = Field(default=None, gt=0, le=100_000)
    # assigned: ground terminals per satellite of the serving tier.
    terminals_per_satellite: int = Field(default=2, ge=1, le=16)
    # Tier whose satellites serve the ground; the first tier when not given.
    tier: str | None = None
    # nearest: closest visible satellite; longest_visibility: the one that stays above
    # the mask longest; lowest_delay: the one with the shortest route to the other stations.
    policy: Literal["nearest", "longest_visibility", "lowest_delay"] = "nearest"
    # Hysteresis: leave a visible satellite only for one at least this much better
    # (fraction of distance or delay); a lost satellite is always replaced.
    switch_margin: float = Field(default=0.2, ge=0, le=1e9)  # 1e9: never leave a visible satellite
    acquisition_s: Seconds | Distribution = 2.0
    # Re-pointing speed of station and satellite ground terminals.
    max_slew_rate_deg_s: float = Field(default=10.0, gt=0, le=1e9)
    # Half-angle of the satellite's nadir-pointing ground terminals' field of regard.
    satellite_field_of_regard_deg: float = Field(default=70.0, gt=0, le=90)
    # optical: the laser budget applies; rf: an ideal link at rf_data_rate_gbps.
    kind: Literal["optical", "rf"] = "optical"
    rf_data_rate_gbps: float = Field(default=2.0, ge=1e-6, le=1000)
    # optical: extinction and turbulence of the atmosphere, and clouds (docs/photonics.md).
    atmosphere: Atmosphere = Atmosphere()
    clouds: Clouds = Clouds()


class Receiver(_Section):
    """Photodetector of a laser terminal and its noise (see docs/physics.md)."""

    # IM/DD: pin | apd | preamp; coherent: coherent_bpsk (homodyne) | coherent_qpsk (intradyne).
    type: Literal["pin", "apd", "preamp", "coherent_bpsk", "coherent_qpsk"] = "preamp"
    responsivity_a_per_w: float = Field(default=0.9, ge=1e-3, le=2)
    thermal_noise_pa_per_sqrt_hz: float = Field(default=20.0, ge=0, le=1e6)
    apd_gain: float = Field(default=10.0, ge=1, le=1e4)
    apd_ionisation_ratio: float = Field(default=0.7, ge=0, le=1)
    noise_figure_db: float = Field(default=4.5, ge=3, le=100)
    amplifier_gain_db: float = Field(default=30.0, ge=0, le=100)
    optical_bandwidth_ghz: float = Field(default=20.0, ge=1e-3, le=1e5)


class Laser(_Section):
    """Laser terminals: line rate, queue, and the optical link budget (docs/physics.md)."""

    # 1 kbit/s .. 1 Tbit/s (ns-3 counts rates in whole bit/s).
    data_rate_gbps: float = Field(default=10.0, ge=1e-6, le=1000)
    queue_packets: int = Field(default=1000, ge=1, le=MAX_COUNT)
    # false: ideal links (no bit errors, no range limit), the skeleton's behaviour.
    physics: bool = True
    wavelength_nm: float = Field(default=1550.0, ge=100, le=10_000)
    tx_power_w: float = Field(default=1.0, ge=1e-9, le=1e4)
    tx_aperture_mm: float = Field(default=80.0, ge=0.1, le=10_000)
    rx_aperture_mm: float = Field(default=80.0, ge=0.1, le=10_000)
    # 0: the diffraction limit of the transmit aperture.
    tx_divergence_urad: float = Field(default=0.0, ge=0, le=1e6)
    tx_efficiency: float = Field(default=0.8, ge=1e-6, le=1)
    rx_efficiency: float = Field(default=0.8, ge=1e-6, le=1)
    pointing_bias_urad: float = Field(default=1.0, ge=0, le=1e6)
    pointing_jitter_urad: float = Field(default=1.0, ge=0, le=1e6)
    # The receiving terminal's angle-of-arrival error (not given: the transmit values).
    rx_pointing_bias_urad: float | None = Field(default=None, ge=0, le=1e6)
    rx_pointing_jitter_urad: float | None = Field(default=None, ge=0, le=1e6)
    # Bandwidth of the pointing jitter: an Ornstein-Uhlenbeck process per terminal with
    # correlation time 1 / (2 pi B); 0: white (an independent draw per packet).
    pointing_jitter_bandwidth_hz: float = Field(default=0.0, ge=0, le=1e9)
    # Channels per lane: parallel channels at data_rate_gbps that share tx_power_w; a
    # flow keeps to one (hash of its 5-tuple).
    channels: int = Field(default=1, ge=1, le=4096)
    receiver: Receiver = Receiver()
    target_ber: float = Field(default=1e-12, ge=1e-30, lt=0.5)
    required_margin_db: float = Field(default=3.0, ge=-100, le=100)
    # Cost of one terminal = terminal_cost_usd + channels x channel_cost_usd (not given:
    # the receiver class's figure, docs/photonics.md).
    terminal_cost_usd: float = Field(default=0.0, ge=0, le=1e9)
    channel_cost_usd: float | None = Field(default=None, ge=0, le=1e9)


class Routing(_Section):
    # 1 µs .. 1 day; the number of updates is limited too (netsim.scenario.limits).
    update_interval_s: float = Field(default=0.1, ge=1e-6, le=86_400)
    metric: Literal["delay", "hops"] = "delay"
    # Tiers whose inter-satellite links routes may use (default: all), e.g. [vleo].
    tiers: list[str] | None = None
    # Loop guard: satellite hops a packet may take (the fabric is one IPv4 hop; paths
    # across an 800,000-satellite shell run to several hundred hops).
    max_hops: int = Field(default=4096, ge=1, le=65535)


class UdpCbrFlow(_Section):
    name: str

    @field_validator("name")
    @classmethod
    def _text(cls, value: str) -> str:
        return plain_text(value)
    kind: Literal["udp_cbr"] = "udp_cbr"
    src: str
    dst: str
    rate_mbps: float = Field(gt=0, le=MAX_RATE_MBPS)
    # 12 bytes hold the sequence number and send timestamp; 1472 fills a 1500-byte MTU.
    packet_bytes: int = Field(default=1000, ge=12, le=1472)
    start_s: float = Field(default=0.0, ge=0, le=MAX_SECONDS)
    stop_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)


class _Flow(_Section):
    """Fields every traffic kind shares (docs/traffic.md). Endpoints are node names:
    ground stations or satellites (SHELL-PLANE-INDEX)."""

    name: str | None = None  # default: KIND:SRC>DST

    @field_validator("name")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return value if value is None else plain_text(value)
    src: str
    dst: str
    start_s: float = Field(default=0.0, ge=0, le=MAX_SECONDS)
    stop_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)  # default: duration_s


class UdpOnOffFlow(_Flow):
    """UDP on/off: rate_mbps while on, silent while off; SeqTs payloads like udp_cbr."""

    kind: Literal["udp_onoff"]
    rate_mbps: float = Field(gt=0, le=MAX_RATE_MBPS)
    packet_bytes: int = Field(default=1000, ge=12, le=1472)
    on_s: float = Field(default=1.0, ge=1e-6, le=MAX_SECONDS)
    off_s: float = Field(default=1.0, ge=0, le=MAX_SECONDS)
    distribution: Literal["constant", "exponential"] = "constant"  # of on_s and off_s


class UdpBurstFlow(_Flow):
    """Every period_s a burst of burst_packets packets, at rate_mbps inside the burst
    (not given: back to back, the laser queue spaces them at the line rate)."""

    kind: Literal["udp_burst"]
    burst_packets: int = Field(ge=1, le=MAX_COUNT)
    period_s: float = Field(ge=1e-6, le=MAX_SECONDS)
    rate_mbps: float | None = Field(default=None, gt=0, le=MAX_RATE_MBPS)
    packet_bytes: int = Field(default=1000, ge=12, le=1472)


TCP_CONGESTION_CONTROLS = {
    "new_reno": "ns3::TcpNewReno", "cubic": "ns3::TcpCubic", "bbr": "ns3::TcpBbr", "vegas": "ns3::TcpVegas",
    "westwood_plus": "ns3::TcpWestwoodPlus", "hybla": "ns3::TcpHybla", "htcp": "ns3::TcpHtcp",
    "highspeed": "ns3::TcpHighSpeed", "scalable": "ns3::TcpScalable", "veno": "ns3::TcpVeno",
    "bic": "ns3::TcpBic", "yeah": "ns3::TcpYeah", "illinois": "ns3::TcpIllinois", "lp": "ns3::TcpLp",
    "dctcp": "ns3::TcpDctcp", "linux_reno": "ns3::TcpLinuxReno",
}


class TcpBulkFlow(_Flow):
    """A TCP bulk transfer of `bytes` (0: as much as possible until stop_s)."""

    kind: Literal["tcp_bulk"]
    bytes: int = Field(default=0, ge=0, le=2**50)
    congestion_control: Literal[tuple(TCP_CONGESTION_CONTROLS)] = "new_reno"  # type: ignore[valid-type]
    # 1448 = 1500-byte MTU - IPv4 - TCP - timestamp option.
    segment_bytes: int = Field(default=1448, ge=64, le=1448)
    # Send buffer of the source; the sinks' receive buffer is the largest of the flows'.
    buffer_bytes: int = Field(default=4 * 1024 * 1024, ge=4096, le=2**30)


class PingFlow(_Flow):
    """ICMP echo probes (ns-3 Ping) every interval_s; RTT per probe in ping_probes.csv."""

    kind: Literal["ping"]
    interval_s: float = Field(default=0.1, ge=1e-6, le=MAX_SECONDS)
    packet_bytes: int = Field(default=56, ge=16, le=1472)  # ICMP payload
    count: int = Field(default=0, ge=0, le=10**9)  # 0: until stop_s


class FlowGenerator(_Section):
    """Many flows at once; every key not listed here is a key of the generated flows
    (kind, rate_mbps, start_s, ...). Expanded at load time (netsim.run.traffic)."""

    generate: Literal["all_pairs", "random_pairs", "gravity"]
    name: str | None = None  # prefix of the flow names (default gen<k>)
    # Endpoint selectors: `among` for both ends, or src and dst separately. A selector is
    # ground_stations | satellites | a node name | {tier: T} | {shell: S} | a list of these.
    among: Any = None
    src: Any = None
    dst: Any = None
    count: int | None = Field(default=None, ge=1, le=MAX_COUNT)  # random_pairs; gravity: heaviest pairs kept
    seed: int | None = Field(default=None, ge=0, lt=2**63)  # random_pairs (default: the scenario seed)
    total_rate_mbps: float | None = Field(default=None, gt=0, le=MAX_RATE_MBPS)  # gravity, rate kinds
    total_bytes: int | None = Field(default=None, ge=1, le=2**50)  # gravity, tcp_bulk
    populations: dict[str, Annotated[float, Field(ge=0, le=1e11)]] = Field(default_factory=dict)  # gravity (default 1)


TRAFFIC_KINDS = {"udp_cbr": UdpCbrFlow, "udp_onoff": UdpOnOffFlow, "udp_burst": UdpBurstFlow,
                 "tcp_bulk": TcpBulkFlow, "ping": PingFlow}


class BackgroundDemands(_Section):
    """One part of the background traffic matrix (docs/workloads.md, "Background load"):
    demands carried as fluid rates, not packets. The total rate is split over the demands
    (gravity: by population products; the others: equally)."""

    # gravity, uniform: between ground stations; ground_to_tier: stations and random
    # satellites of `tier`; tier_to_tier: random satellites of src_tier to `destinations`
    # satellites of dst_tier (e.g. LEO -> MEO storage); file: a CSV of src,dst,rate_gbps.
    generate: Literal["gravity", "uniform", "ground_to_tier", "tier_to_tier", "file"]
    name: Annotated[str, AfterValidator(plain_name)] | None = None  # default bg<k>
    # Exactly one of them (not for file, whose rows carry their rates).
    total_gbps: float | None = Field(default=None, gt=0, le=1e9)
    total_tbps: float | None = Field(default=None, gt=0, le=1e6)
    # Demands to draw (uniform, ground_to_tier, tier_to_tier); gravity: heaviest pairs
    # kept (default all pairs).
    count: int | None = Field(default=None, ge=1, le=10 * MAX_COUNT)
    tier: str | None = None  # ground_to_tier
    # ground_to_tier: up (station -> satellite), down (satellite -> station) or both.
    direction: Literal["up", "down", "both"] = "both"
    src_tier: str | None = None  # tier_to_tier
    dst_tier: str | None = None
    destinations: int = Field(default=16, ge=1, le=10_000)  # tier_to_tier: satellites demands go to
    file: str | None = Field(default=None, min_length=1, max_length=4096)  # relative to the scenario file
    seed: int | None = Field(default=None, ge=0, lt=2**63)  # default: the scenario seed

    @property
    def total_rate_gbps(self) -> float | None:
        return self.total_gbps if self.total_tbps is None else self.total_tbps * 1e3


class Background(_Section):
    """Background load beside the packet-level flows: demands allocated max-min fair on
    the routed paths each routing interval; with couple, each laser port's rate seen by
    packets is reduced by the background it carries (docs/workloads.md)."""

    matrix: list[BackgroundDemands] = Field(min_length=1, max_length=64)
    couple: bool = True
    # The packet flows (udp rates, tcp elastic) take part in the allocation, so the
    # background leaves them their max-min share; false: the background goes first.
    reserve_foreground: bool = True
    # A port the background fills still serves packets at this share of its rate.
    min_packet_share: float = Field(default=0.01, gt=0, le=1)
    # load_links.csv: the most loaded ports per interval; load_demands.csv: paths of the
    # first record_paths demands (every demand's rate and hops are written).
    link_rows: int = Field(default=10_000, ge=0, le=10 * MAX_COUNT)
    record_paths: int = Field(default=100, ge=0, le=10 * MAX_COUNT)


class PcapSelector(_Section):
    """Laser ports that write pcap files: of these nodes, tiers and ground stations
    (union), restricted to a link kind."""

    nodes: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    ground_stations: bool | list[str] = False  # true: all
    link: Literal["all", "isl", "ground"] = "all"


class Outputs(_Section):
    # Nodes (ground station or satellite names) whose laser ports write pcap files.
    pcap_nodes: list[str] = Field(default_factory=list)
    # More pcap selections (docs/traffic.md); none by default.
    pcap: list[PcapSelector] = Field(default_factory=list)
    # Refuse runs that would write more pcap files than this (a guard at scale).
    pcap_max_files: int = Field(default=256, ge=0, le=100_000)
    # Bytes kept of each captured frame (the original length is recorded too); at least
    # PPP + IPv4 + TCP headers + 12 bytes, so every field netsim analyze reads is kept.
    pcap_snaplen_bytes: int = 65535

    @field_validator("pcap_snaplen_bytes")
    @classmethod
    def _snaplen(cls, value: int) -> int:
        if not 54 <= value <= 262144:
            raise ValueError("must be 54..262144 bytes: at least PPP 2 + IPv4 20 + TCP 20 + 12 bytes "
                             "(a UDP payload's SeqTs header, TCP timestamps) so captures stay analysable")
        return value
    # links.csv: per laser port bytes sent, utilisation and drops by cause.
    link_stats: bool = True
    # flowmon.xml / flowmon.csv: ns-3 FlowMonitor on the traffic's endpoints.
    flow_monitor: bool = False


class Limits(_Section):
    """Guards on the combined sizes of a scenario, sized for a machine with 24 GB and 2
    cores (the seed fabric's 1.218 M satellites fit); raise them for a bigger one. A
    scenario over a limit is refused before anything runs (netsim.scenario.limits)."""

    # Satellites of all tiers (each costs ~5 KB at run time).
    max_satellites: int = Field(default=2_000_000, ge=1, le=10**9)
    # Forwarding-table cells: nodes x destinations (ground stations and satellite endpoints).
    max_routing_entries: int = Field(default=500_000_000, ge=1, le=10**12)
    # Routing updates: (duration_s + drain_s) / update_interval_s (netsim paths: its span).
    max_updates: int = Field(default=1_000_000, ge=1, le=10**10)
    # Packets the traffic offers over the run, all flows together.
    max_packets: int = Field(default=100_000_000, ge=1, le=10**13)
    # netsim paths: rows of rtt.csv (pairs x updates).
    max_path_rows: int = Field(default=20_000_000, ge=1, le=10**11)
    # Background demands (background.matrix), all parts together.
    max_background_demands: int = Field(default=2_000_000, ge=1, le=10**9)


class Scenario(_Section):
    name: str
    seed: int = Field(default=1, ge=0, lt=2**31)
    duration_s: float = Field(gt=0, le=MAX_SECONDS)
    # After duration_s traffic stops and the network runs this much longer, so packets
    # still in flight arrive instead of counting as lost.
    drain_s: float = Field(default=1.0, ge=0, le=MAX_SECONDS)
    epoch: str = "2026-01-01T00:00:00"
    constellation: Constellation
    ground_stations: list[GroundStation] = Field(default_factory=list)
    ground_links: GroundLinks = GroundLinks()
    laser: Laser = Laser()
    routing: Routing = Routing()
    # Flows (udp_cbr, udp_onoff, udp_burst, tcp_bulk, ping) and flow generators, as
    # mappings; load_scenario expands them into flow models (netsim.scenario.traffic).
    traffic: list[Any] = Field(default_factory=list)
    # Inference, training jobs and checkpoints (docs/workloads.md); load_scenario checks
    # and expands them into a netsim.scenario.workloads.Workloads model.
    workloads: Any = None
    # Fluid background traffic beside the packets (docs/workloads.md); none by default.
    background: Background | None = None
    outputs: Outputs = Outputs()
    limits: Limits = Limits()

    @field_validator("name")
    @classmethod
    def _text(cls, value: str) -> str:
        return plain_text(value)

    @field_validator("epoch")
    @classmethod
    def _iso_epoch(cls, value: str) -> str:
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 UTC time such as 2026-01-01T00:00:00") from None
        return value

    @property
    def shells(self) -> list[tuple[str, Shell]]:
        """(tier name, shell) for every Walker shell, in file order."""
        return [(tier.name, shell) for tier in self.constellation.tiers for shell in tier.shells]

    @property
    def blocks(self) -> list[tuple[str, Shell | TleSource]]:
        """(tier name, Walker shell or TLE set) in node order: per tier, its shells then
        its TLE sets."""
        return [(tier.name, block) for tier in self.constellation.tiers for block in (*tier.shells, *tier.tle)]

    @property
    def satellite_count(self) -> int:
        return sum(shell.total for _, shell in self.shells)

    @property
    def serving_tier(self) -> str:
        return self.ground_links.tier or self.constellation.tiers[0].name


def is_walker_satellite_name(node: str, scenario: Scenario) -> bool:
    """SHELL-PLANE-INDEX of an existing Walker satellite (without listing them all)."""
    shell_name, _, rest = node.rpartition("-")
    shell_name, _, plane = shell_name.rpartition("-")
    for _, shell in scenario.shells:
        if shell.name == shell_name and plane.isdigit() and rest.isdigit():
            return int(plane) < shell.planes and int(rest) < shell.sats_per_plane
    return False


