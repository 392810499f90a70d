"""Laser link budget and bit-error model: the Python mirror of ns3::OpticalLinkModel.

Same formulas, same defaults, vectorised over distance; used for planning
(`netsim link-budget`), for deciding which links are usable, and tested against the
C++ core. Units: SI inside (m, W, rad, Hz); dB/dBm only in the printed budget.

    P_r = P_t eta_t G_t L_p (lambda / 4 pi d)^2 G_r eta_r     Friis free-space equation
    G_t = 8 / theta^2, theta = sqrt(8) lambda / (pi D_t) unless given    Gaussian beam
    G_r = (pi D_r / lambda)^2                                  aperture gain
    L_p = exp(-2 theta_e^2 / theta^2)                          pointing loss
    Q   = (I1 - I0) / (sigma1 + sigma0)                        Agrawal, Fiber-Optic
    BER = erfc(Q / sqrt 2) / 2                                 Communication Systems, 4.5
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
            target_ber=laser.target_ber, required_margin_db=laser.required_margin_db)

    # -- geometry and power ---------------------------------------------------------
    @property
    def divergence_rad(self) -> float:
        if self.tx_divergence_rad > 0:
            return self.tx_divergence_rad
        return np.sqrt(8.0) * self.wavelength_m / (np.pi * self.tx_aperture_m)

    def terms_db(self, distance_m: float, pointing_error_rad: float | None = None) -> list[tuple[str, float]]:
        """The budget as (term, dB or dBm) rows, ending with received power and margin."""
        theta = self.divergence_rad
        err = self.pointing_bias_rad if pointing_error_rad is None else pointing_error_rad
        rows = [
            ("transmit power (dBm)", 10 * np.log10(self.tx_power_w * 1e3)),
            ("transmit optics efficiency (dB)", 10 * np.log10(self.tx_efficiency)),
            ("transmit gain 8/theta^2 (dB)", 10 * np.log10(8 / theta**2)),
            ("pointing loss (dB)", 10 * np.log10(np.exp(-2 * err**2 / theta**2))),
            ("free-space loss (lambda/4 pi d)^2 (dB)", 20 * np.log10(self.wavelength_m / (4 * np.pi * distance_m))),
            ("receive gain (pi D/lambda)^2 (dB)", 20 * np.log10(np.pi * self.rx_aperture_m / self.wavelength_m)),
            ("receive optics efficiency (dB)", 10 * np.log10(self.rx_efficiency)),
        ]
        received = sum(v for _, v in rows)
        sensitivity = 10 * np.log10(self.sensitivity_w() * 1e3)
        return rows + [("received power (dBm)", received),
                       (f"sensitivity at BER {self.target_ber:g} (dBm)", sensitivity),
                       ("margin (dB)", received - sensitivity),
                       ("required margin (dB)", self.required_margin_db)]

    def received_power_w(self, distance_m, pointing_error_rad=None):
        err = self.pointing_bias_rad if pointing_error_rad is None else pointing_error_rad
        theta = self.divergence_rad
        tx_gain = 8.0 / theta**2
        rx_gain = (np.pi * self.rx_aperture_m / self.wavelength_m) ** 2
        free_space = (self.wavelength_m / (4 * np.pi * np.asarray(distance_m, dtype=float))) ** 2
        pointing = np.exp(-2 * np.asarray(err) ** 2 / theta**2)
        return self.tx_power_w * self.tx_efficiency * tx_gain * pointing * free_space * rx_gain * self.rx_efficiency

    # -- receiver ---------------------------------------------------------------------
    def q_factor(self, power_w):
        """Q of OOK with ideal extinction at average received power (W)."""
        p1 = 2 * np.asarray(power_w, dtype=float)
        bandwidth = self.bit_rate_bps / 2
        thermal2 = self.thermal_noise_a_rthz**2 * bandwidth
        r = self.responsivity_a_w
        var0 = np.full_like(p1, thermal2)
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
        return 10 * np.log10(self.received_power_w(distance_m) / self.sensitivity_w())

    def usable(self, distance_m):
        """True where the margin with the static pointing bias meets the requirement."""
        return self.received_power_w(distance_m) >= self.sensitivity_w() * 10 ** (self.required_margin_db / 10)

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
            "RequiredMargin": self.required_margin_db,
        }
