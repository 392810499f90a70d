"""Laser link budget and bit-error model: the Python mirror of ns3::OpticalLinkModel.

Same formulas, same defaults, vectorised over distance; used for planning
(`netsim link-budget`), for deciding which links are usable, and tested against the
C++ core. Units: SI inside (m, W, rad, Hz); dB/dBm only in the printed budget. All
powers are per channel: a lane's `channels` share the transmit power.

    P_r = (P_t/n) eta_t G_t L_pt (lambda / 4 pi d)^2 G_r L_pr eta_r T   Friis equation
    G_t = 8 / theta^2, theta = sqrt(8) lambda / (pi D_t) unless given    Gaussian beam
    G_r = (pi D_r / lambda)^2                                  aperture gain
    L_pt = exp(-2 theta_t^2 / theta^2)                         transmit pointing loss
    L_pr = exp(-G_r theta_r^2)                                 receive (angle-of-arrival)
                                                               loss, Polishuk & Arnon 2004
    T   = T_zenith ** airmass(elevation)                       ground links (Kasten & Young)
    Q   = (I1 - I0) / (sigma1 + sigma0)                        Agrawal, Fiber-Optic
    BER = erfc(Q / sqrt 2) / 2                                 Communication Systems, 4.5
    coherent: BER = erfc(sqrt(k eta N_p)) / 2, k = 2 homodyne BPSK, 1 intradyne QPSK
    PER = 1 - (1 - BER)^(8 n)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erfc

from netsim.scenario.model import Laser

PLANCK_JS = 6.62607015e-34
LIGHT_MPS = 299_792_458.0
ELECTRON_C = 1.602176634e-19


@dataclass(frozen=True)
class LinkBudget:
    """One terminal type; all quantities SI."""

    wavelength_m: float = 1550e-9
    tx_power_w: float = 1.0
    tx_aperture_m: float = 0.08
    rx_aperture_m: float = 0.08
    tx_divergence_rad: float = 0.0
    tx_efficiency: float = 0.8
    rx_efficiency: float = 0.8
    pointing_bias_rad: float = 1e-6
    pointing_jitter_rad: float = 1e-6
    receiver: str = "preamp"
    bit_rate_bps: float = 10e9
    responsivity_a_w: float = 0.9
    thermal_noise_a_rthz: float = 20e-12
    apd_gain: float = 10.0
    apd_ionisation_ratio: float = 0.7
    noise_figure_db: float = 4.5
    amplifier_gain_db: float = 30.0
    optical_bandwidth_hz: float = 20e9
    target_ber: float = 1e-12
    required_margin_db: float = 3.0
    rx_pointing_bias_rad: float = 1e-6
    rx_pointing_jitter_rad: float = 1e-6
    jitter_bandwidth_hz: float = 0.0
    channels: int = 1
    zenith_transmittance: float = 1.0  # 1: vacuum (between satellites)
    turbulence_moment: float = 0.0  # integral of Cn^2(h) h^(5/6) dh, m^(1/3); 0: none

    @staticmethod
    def from_config(laser: Laser) -> "LinkBudget":
        rx = laser.receiver
        return LinkBudget(
            wavelength_m=laser.wavelength_nm * 1e-9, tx_power_w=laser.tx_power_w,
            tx_aperture_m=laser.tx_aperture_mm * 1e-3, rx_aperture_m=laser.rx_aperture_mm * 1e-3,
            tx_divergence_rad=laser.tx_divergence_urad * 1e-6, tx_efficiency=laser.tx_efficiency,
            rx_efficiency=laser.rx_efficiency, pointing_bias_rad=laser.pointing_bias_urad * 1e-6,
            pointing_jitter_rad=laser.pointing_jitter_urad * 1e-6, receiver=rx.type,
            bit_rate_bps=laser.data_rate_gbps * 1e9, responsivity_a_w=rx.responsivity_a_per_w,
            thermal_noise_a_rthz=rx.thermal_noise_pa_per_sqrt_hz * 1e-12, apd_gain=rx.apd_gain,
            apd_ionisation_ratio=rx.apd_ionisation_ratio, noise_figure_db=rx.noise_figure_db,
            amplifier_gain_db=rx.amplifier_gain_db, optical_bandwidth_hz=rx.optical_bandwidth_ghz * 1e9,
            target_ber=laser.target_ber, required_margin_db=laser.required_margin_db,
            rx_pointing_bias_rad=(laser.pointing_bias_urad if laser.rx_pointing_bias_urad is None
                                  else laser.rx_pointing_bias_urad) * 1e-6,
            rx_pointing_jitter_rad=(laser.pointing_jitter_urad if laser.rx_pointing_jitter_urad is None
                                    else laser.rx_pointing_jitter_urad) * 1e-6,
            jitter_bandwidth_hz=laser.pointing_jitter_bandwidth_hz, channels=laser.channels)

    @property
    def coherent(self) -> bool:
        return self.receiver.startswith("coherent")

    @property
    def rx_gain(self) -> float:
        return (np.pi * self.rx_aperture_m / self.wavelength_m) ** 2

    @property
    def jitter_correlation_s(self) -> float:
        """Correlation time of the pointing jitter, 1 / (2 pi B); 0: white."""
        return 1.0 / (2 * np.pi * self.jitter_bandwidth_hz) if self.jitter_bandwidth_hz > 0 else 0.0

    # -- atmosphere (ground links) ----------------------------------------------------
    @property
    def has_atmosphere(self) -> bool:
        return self.zenith_transmittance < 1.0 or self.turbulence_moment > 0

    @staticmethod
    def air_mass(sin_elevation):
        """Relative air mass (Kasten & Young, Appl. Opt. 28(22), 4735, 1989)."""
        s = np.clip(np.asarray(sin_elevation, dtype=float), 0.0, 1.0)
        return 1.0 / (s + 0.50572 * (np.degrees(np.arcsin(s)) + 6.07995) ** -1.6364)

    def transmittance(self, sin_elevation):
        """Clear-sky transmittance of the slant path: T_zenith ** airmass."""
        if self.zenith_transmittance >= 1.0:
            return np.ones_like(np.asarray(sin_elevation, dtype=float))
        return self.zenith_transmittance ** self.air_mass(sin_elevation)

    def rytov_variance(self, sin_elevation):
        """Plane-wave Rytov variance of the slant path: 2.25 k^(7/6) mu sec(zenith)^(11/6)
        (Andrews & Phillips 2005, ch. 12)."""
        s = np.maximum(np.asarray(sin_elevation, dtype=float), 1e-3)
        k = 2 * np.pi / self.wavelength_m
        return 2.25 * k ** (7 / 6) * self.turbulence_moment * (1 / s) ** (11 / 6)

    def log_irradiance_sigma(self, sin_elevation):
        """Standard deviation of ln I (log-normal, weak turbulence: sigma_I^2 = sigma_R^2)."""
        return np.sqrt(np.log1p(self.rytov_variance(sin_elevation)))

    def fade_probability(self, margin_db, sin_elevation):
        """P(I < 10^(-margin/10)) for log-normal I of mean 1: the chance that a
        scintillation fade eats the margin."""
        from scipy.special import ndtr

        sigma = self.log_irradiance_sigma(sin_elevation)
        threshold = np.log(10 ** (-np.asarray(margin_db, dtype=float) / 10))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(sigma > 0, ndtr((threshold + sigma**2 / 2) / np.where(sigma > 0, sigma, 1)),
                            (threshold > 0).astype(float))

    # -- geometry and power ---------------------------------------------------------
    @property
    def divergence_rad(self) -> float:
        if self.tx_divergence_rad > 0:
            return self.tx_divergence_rad
        return np.sqrt(8.0) * self.wavelength_m / (np.pi * self.tx_aperture_m)

    def terms_db(self, distance_m: float, pointing_error_rad: float | None = None,
                 sin_elevation: float | None = None) -> list[tuple[str, float]]:
        """The budget of one channel as (term, dB or dBm) rows, ending with received power
        and margin; with sin_elevation, through the atmosphere (a ground link)."""
        theta = self.divergence_rad
        err = self.pointing_bias_rad if pointing_error_rad is None else pointing_error_rad
        rx_err = self.rx_pointing_bias_rad
        rows = [
            ("transmit power (dBm)", 10 * np.log10(self.tx_power_w * 1e3)),
            (f"share of {self.channels} channels (dB)", 0.0 - 10 * np.log10(self.channels)),
            ("transmit optics efficiency (dB)", 10 * np.log10(self.tx_efficiency)),
            ("transmit gain 8/theta^2 (dB)", 10 * np.log10(8 / theta**2)),
            ("transmit pointing loss (dB)", 10 * np.log10(np.exp(-2 * err**2 / theta**2))),
            ("free-space loss (lambda/4 pi d)^2 (dB)", 20 * np.log10(self.wavelength_m / (4 * np.pi * distance_m))),
            ("receive gain (pi D/lambda)^2 (dB)", 20 * np.log10(np.pi * self.rx_aperture_m / self.wavelength_m)),
            ("receive pointing loss exp(-G_r theta_r^2) (dB)", 10 * np.log10(np.exp(-self.rx_gain * rx_err**2))),
            ("receive optics efficiency (dB)", 10 * np.log10(self.rx_efficiency)),
        ]
        if sin_elevation is not None:
            rows.append(("clear-sky extinction (dB)", float(10 * np.log10(self.transmittance(sin_elevation)))))
        received = sum(v for _, v in rows)
        sensitivity = 10 * np.log10(self.sensitivity_w() * 1e3)
        return rows + [("received power (dBm)", received),
                       (f"sensitivity at BER {self.target_ber:g} (dBm)", sensitivity),
                       ("margin (dB)", received - sensitivity),
                       ("required margin (dB)", self.required_margin_db)]

    def received_power_w(self, distance_m, pointing_error_rad=None, rx_error_rad=None):
        """Received power of one channel (W) in vacuum: transmit pointing error (default
        the static bias) and the receiver's angle-of-arrival error (default its bias)."""
        err = self.pointing_bias_rad if pointing_error_rad is None else pointing_error_rad
        rx_err = self.rx_pointing_bias_rad if rx_error_rad is None else rx_error_rad
        theta = self.divergence_rad
        tx_gain = 8.0 / theta**2
        rx_gain = self.rx_gain
        free_space = (self.wavelength_m / (4 * np.pi * np.asarray(distance_m, dtype=float))) ** 2
        pointing = np.exp(-2 * np.asarray(err) ** 2 / theta**2)
        rx_pointing = np.exp(-rx_gain * np.asarray(rx_err) ** 2)
        return (self.tx_power_w / self.channels * self.tx_efficiency * tx_gain * pointing * free_space * rx_gain
                * rx_pointing * self.rx_efficiency)

    def photons_per_bit(self, power_w):
        return np.asarray(power_w, dtype=float) / (PLANCK_JS * LIGHT_MPS / self.wavelength_m * self.bit_rate_bps)

    # -- receiver ---------------------------------------------------------------------
    def q_factor(self, power_w):
        """Q of OOK with ideal extinction at average received power (W)."""
        p1 = 2 * np.asarray(power_w, dtype=float)
        bandwidth = self.bit_rate_bps / 2
        thermal2 = self.thermal_noise_a_rthz**2 * bandwidth
        r = self.responsivity_a_w
        var0 = np.full_like(p1, thermal2)
        if self.coherent:
            # Shot-noise-limited coherent detection: BER = erfc(sqrt(k eta N_p)) / 2, i.e.
            # Q = sqrt(2 k eta N_p); k = 2 homodyne BPSK, 1 intradyne QPSK (Agrawal 3rd ed.
            # Table 10.1; Kikuchi, J. Lightwave Technol. 34(1), 2016).
            photon = PLANCK_JS * LIGHT_MPS / self.wavelength_m
            eta = min(1.0, r * photon / ELECTRON_C)
            k = 2.0 if self.receiver == "coherent_bpsk" else 1.0
            return np.sqrt(2 * k * eta * (p1 / 2) / (photon * self.bit_rate_bps))
        if self.receiver == "pin":
            i1 = r * p1
            var1 = thermal2 + 2 * ELECTRON_C * i1 * bandwidth
        elif self.receiver == "apd":
            m, k = self.apd_gain, self.apd_ionisation_ratio
            excess = k * m + (1 - k) * (2 - 1 / m)  # McIntyre excess noise factor
            i1 = m * r * p1
            var1 = thermal2 + 2 * ELECTRON_C * m * m * excess * r * p1 * bandwidth
        else:  # optically pre-amplified: signal-ASE and ASE-ASE beat noise
            g = 10 ** (self.amplifier_gain_db / 10)
            nsp = 10 ** (self.noise_figure_db / 10) / 2
            ase = nsp * PLANCK_JS * LIGHT_MPS / self.wavelength_m * (g - 1)
            ase_ase = 2 * r * r * ase * ase * bandwidth * (2 * self.optical_bandwidth_hz - bandwidth)
            i1 = r * g * p1
            var1 = thermal2 + 4 * r * r * g * p1 * ase * bandwidth + ase_ase
            var0 = var0 + ase_ase
        return i1 / (np.sqrt(var1) + np.sqrt(var0))

    def ber(self, power_w):
        return 0.5 * erfc(self.q_factor(power_w) / np.sqrt(2))

    @staticmethod
    def packet_error_rate(ber, n_bytes):
        return -np.expm1(8.0 * n_bytes * np.log1p(-np.asarray(ber)))

    def sensitivity_w(self) -> float:
        """Average received power for the target BER, W (bisection, as the C++ does)."""
        lo, hi = 1e-18, 1.0
        for _ in range(200):
            if hi / lo <= 1 + 1e-12:
                break
            mid = np.sqrt(lo * hi)
            if self.ber(mid) > self.target_ber:
                lo = mid
            else:
                hi = mid
        return hi

    def margin_db(self, distance_m):
        """Margin of one channel (dB) with the static pointing biases, in vacuum."""
        return 10 * np.log10(self.received_power_w(distance_m) / self.sensitivity_w())

    def usable(self, distance_m, transmittance=1.0):
        """True where the margin with the static pointing bias meets the requirement."""
        return (self.received_power_w(distance_m) * transmittance
                >= self.sensitivity_w() * 10 ** (self.required_margin_db / 10))

    def lane_gbps(self) -> float:
        return self.channels * self.bit_rate_bps / 1e9

    def channel_ranges_m(self) -> list[tuple[int, float]]:
        """(k, range): with the lane's power on k channels, the longest distance at which
        all k keep the required margin (k = channels .. 1): R_1 / sqrt(k)."""
        one = LinkBudget(**{**self.__dict__, "channels": 1})
        r1 = one.max_range_m()
        return [(k, r1 / np.sqrt(k)) for k in range(self.channels, 0, -1)]

    def max_range_m(self, ber: float | None = None) -> float:
        """Longest distance with the required margin at a BER (default: the target)."""
        target = self if ber is None else LinkBudget(**{**self.__dict__, "target_ber": ber})
        needed = target.sensitivity_w() * 10 ** (self.required_margin_db / 10)
        # P_r falls as 1/d^2 exactly (no atmosphere in vacuum).
        return float(np.sqrt(self.received_power_w(1.0) / needed))

    def ns3_attributes(self) -> dict:
        """Attribute name -> value for ns3::OpticalLinkModel."""
        return {
            "Wavelength": self.wavelength_m, "TxPower": self.tx_power_w,
            "TxAperture": self.tx_aperture_m, "RxAperture": self.rx_aperture_m,
            "TxDivergence": self.tx_divergence_rad, "TxEfficiency": self.tx_efficiency,
            "RxEfficiency": self.rx_efficiency, "PointingBias": self.pointing_bias_rad,
            "PointingJitter": self.pointing_jitter_rad, "BitRate": self.bit_rate_bps,
            "Responsivity": self.responsivity_a_w, "ThermalNoise": self.thermal_noise_a_rthz,
            "ApdGain": self.apd_gain, "ApdIonisationRatio": self.apd_ionisation_ratio,
            "NoiseFigure": self.noise_figure_db, "AmplifierGain": self.amplifier_gain_db,
            "OpticalBandwidth": self.optical_bandwidth_hz, "TargetBer": self.target_ber,
            "RequiredMargin": self.required_margin_db, "RxPointingBias": self.rx_pointing_bias_rad,
            "RxPointingJitter": self.rx_pointing_jitter_rad, "JitterBandwidth": self.jitter_bandwidth_hz,
            "ZenithTransmittance": self.zenith_transmittance, "TurbulenceMoment": self.turbulence_moment,
            "Channels": self.channels,
        }


# Cost of one channel's transceiver by receiver class, USD: the product's comparison of
# "$10" non-coherent lasers with "$1,000" coherent modules (docs/photonics.md). They are
# the claim under test, not quotes: set laser.channel_cost_usd to your own figure.
CHANNEL_COST_USD = {"pin": 10.0, "apd": 10.0, "preamp": 10.0, "coherent_bpsk": 1000.0, "coherent_qpsk": 1000.0}


def terminal_cost_usd(laser: Laser) -> float:
    """Cost of one terminal: laser.terminal_cost_usd + channels x the channel cost."""
    channel = CHANNEL_COST_USD[laser.receiver.type] if laser.channel_cost_usd is None else laser.channel_cost_usd
    return laser.terminal_cost_usd + laser.channels * channel
