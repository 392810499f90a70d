"""Reference formulas for laser links, written from the textbooks for the tests and
independent of netsim.links.link_budget (which they check). SI units throughout.

Sources:
- Friis transmission equation with a Gaussian beam: P_r = P_t eta_t G_t L_p
  (lambda / 4 pi d)^2 G_r eta_r, G_t = 8 / theta^2 (Klein & Degnan, Appl. Opt. 13(9),
  1974), G_r = (pi D_r / lambda)^2, L_p = exp(-2 theta_e^2 / theta^2); a beam filling the
  transmit aperture has theta = sqrt(8) lambda / (pi D_t).
- Receive-side (angle-of-arrival) pointing loss L_pr = exp(-G_r theta_r^2), G_r =
  (pi D_r / lambda)^2 (Polishuk & Arnon, "Optimization of a laser satellite communication
  system with an optical preamplifier", JOSA A 21(7), 1307, 2004).
- Receiver sensitivity, Agrawal, "Fiber-Optic Communication Systems", 4th ed. (Wiley
  2010), §4.5 ("Receiver Sensitivity"): BER = erfc(Q / sqrt 2) / 2, and for OOK with
  ideal extinction (I0 = 0, P1 = 2 P_avg) the closed forms
      p-i-n:  P_rec = (Q / R) (sigma_T + q Q df)
      APD:    P_rec = (Q / R) (sigma_T / M + q F_A Q df),  F_A = k M + (1 - k)(2 - 1/M)
  with sigma_T^2 = (4 k_B T / R_L) F_n df (§4.4.1) and df = B / 2.
- Optically pre-amplified receiver, Agrawal §7.5 after Olsson, J. Lightwave Technol.
  7(7), 1989: sigma_s-sp^2 = 4 R^2 G P1 S df, sigma_sp-sp^2 = 2 R^2 S^2 df (2 dnu - df)
  (both polarisations of ASE), S = n_sp h nu (G - 1), n_sp = NF / 2. With I1 = R G P1 and
  sigma_0^2 = sigma_T^2 + sigma_sp-sp^2, Q = I1 / (sigma_1 + sigma_0) solves to
      I1 = 2 Q sigma_0 + 4 Q^2 R S df,   P_rec = I1 / (2 R G).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc, erfcinv

Q_E = 1.602176634e-19  # C (SI 2019, exact)
H = 6.62607015e-34  # J s (exact)
K_B = 1.380649e-23  # J/K (exact)
C = 299_792_458.0  # m/s (exact)


def q_for_ber(ber: float) -> float:
    """Q with BER = erfc(Q / sqrt 2) / 2 (Agrawal eq. 4.5.10 inverted)."""
    return math.sqrt(2) * float(erfcinv(2 * ber))


def ber_for_q(q):
    return 0.5 * erfc(np.asarray(q) / math.sqrt(2))


def thermal_noise_a_rthz(temperature_k: float, load_ohm: float, noise_figure: float) -> float:
    """Input-referred thermal noise current density sqrt(4 k T F_n / R_L), A/sqrt(Hz)."""
    return math.sqrt(4 * K_B * temperature_k * noise_figure / load_ohm)


def received_power_w(p_tx_w, eta_tx, d_tx_m, d_rx_m, eta_rx, wavelength_m, distance_m, pointing_rad=0.0):
    theta = math.sqrt(8) * wavelength_m / (math.pi * d_tx_m)
    g_tx = 8 / theta**2
    g_rx = (math.pi * d_rx_m / wavelength_m) ** 2
    free_space = (wavelength_m / (4 * math.pi * distance_m)) ** 2
    return p_tx_w * eta_tx * g_tx * np.exp(-2 * np.asarray(pointing_rad) ** 2 / theta**2) * free_space * g_rx * eta_rx


def receive_pointing_loss(d_rx_m, wavelength_m, error_rad):
    """exp(-G_r theta_r^2) with G_r = (pi D_r / lambda)^2 (Polishuk & Arnon 2004)."""
    return np.exp(-((math.pi * d_rx_m / wavelength_m) ** 2) * np.asarray(error_rad) ** 2)


def pin_sensitivity_w(q, responsivity, sigma_t, df):
    return q / responsivity * (sigma_t + Q_E * q * df)


def apd_sensitivity_w(q, responsivity, sigma_t, df, gain, k):
    f_a = k * gain + (1 - k) * (2 - 1 / gain)
    return q / responsivity * (sigma_t / gain + Q_E * f_a * q * df)


def preamp_noise(responsivity, sigma_t, df, gain, noise_figure, optical_bw_hz, wavelength_m):
    """(S, sigma_0) of the pre-amplified receiver: ASE density per polarisation W/Hz,
    noise of a "0" A."""
    s = noise_figure / 2 * H * C / wavelength_m * (gain - 1)
    sp_sp = 2 * responsivity**2 * s**2 * df * (2 * optical_bw_hz - df)
    return s, math.sqrt(sigma_t**2 + sp_sp)


def preamp_sensitivity_w(q, responsivity, sigma_t, df, gain, noise_figure, optical_bw_hz, wavelength_m):
    s, sigma_0 = preamp_noise(responsivity, sigma_t, df, gain, noise_figure, optical_bw_hz, wavelength_m)
    i1 = 2 * q * sigma_0 + 4 * q * q * responsivity * s * df
    return i1 / (2 * responsivity * gain)


def q_of_power(receiver: str, p_avg_w, responsivity, sigma_t, df, *, gain=1.0, k=0.0, noise_figure=1.0,
               optical_bw_hz=0.0, wavelength_m=1550e-9):
    """Q at average received power (the forward direction of the same formulas)."""
    p1 = 2 * np.asarray(p_avg_w)
    if receiver == "pin":
        i1 = responsivity * p1
        return i1 / (np.sqrt(sigma_t**2 + 2 * Q_E * i1 * df) + sigma_t)
    if receiver == "apd":
        f_a = k * gain + (1 - k) * (2 - 1 / gain)
        i1 = gain * responsivity * p1
        return i1 / (np.sqrt(sigma_t**2 + 2 * Q_E * gain * f_a * i1 * df) + sigma_t)
    s, sigma_0 = preamp_noise(responsivity, sigma_t, df, gain, noise_figure, optical_bw_hz, wavelength_m)
    i1 = responsivity * gain * p1
    return i1 / (np.sqrt(sigma_0**2 + 4 * responsivity * s * df * i1) + sigma_0)


def mean_packet_error_rate(per_of_error, bias_rad: float, jitter_rad: float, nodes: int = 96,
                           rx_bias_rad: float | None = None, rx_jitter_rad: float | None = None) -> float:
    """E[PER] over a pointing error |bias + jitter (X, Y)|, X and Y standard normal (a Rice
    distributed radial error), by Gauss-Hermite quadrature on both axes. With rx_bias_rad,
    also over the receiver's independent angle-of-arrival error (per_of_error(tx, rx))."""
    if rx_bias_rad is None:
        x, w = np.polynomial.hermite_e.hermegauss(nodes)  # weight exp(-x^2 / 2)
        w = w / w.sum()
        ex, ey = np.meshgrid(bias_rad + jitter_rad * x, jitter_rad * x, indexing="ij")
        return float(np.einsum("i,j,ij->", w, w, per_of_error(np.hypot(ex, ey))))
    x, w = np.polynomial.hermite_e.hermegauss(48)
    w = w / w.sum()

    def radii(bias, jitter):
        ex, ey = np.meshgrid(bias + jitter * x, jitter * x, indexing="ij")
        return np.hypot(ex, ey).ravel(), np.outer(w, w).ravel()

    tx, wt = radii(bias_rad, jitter_rad)
    rx, wr = radii(rx_bias_rad, rx_jitter_rad)
    return float(wt @ per_of_error(tx[:, None], rx[None, :]) @ wr)


def packet_error_rate(ber, n_bytes: int):
    """1 - (1 - BER)^(8 n): independent bit errors."""
    return -np.expm1(8 * n_bytes * np.log1p(-np.asarray(ber)))


def db(x: float) -> float:
    return 10 * math.log10(x)


def dbm(p_w: float) -> float:
    return 10 * math.log10(p_w * 1e3)
