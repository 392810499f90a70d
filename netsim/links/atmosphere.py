"""The atmosphere of optical ground links: clear-sky extinction, turbulence (scintillation)
and clouds (docs/photonics.md).

- Extinction: T = T_zenith ** airmass(elevation), Kasten & Young's air mass (in
  netsim.links.link_budget and ns3::OpticalLinkModel, per packet at its elevation).
- Turbulence: the Hufnagel-Valley Cn^2(h) profile (HV 5/7 with its defaults) integrated
  once here into mu = integral of Cn^2(h) h^(5/6) dh; the core turns mu into the
  plane-wave Rytov variance of each packet's slant path and draws a log-normal fade.
- Clouds: per station (or per station terminal) a two-state Markov process, clear or
  cloudy, with stationary cloudy fraction p and correlation time tau (mean cloudy spell
  tau / (1 - p), mean clear spell tau / p), or the cloudy intervals of a file. The
  intervals are drawn once per run from the scenario seed and pushed to the core, which
  loses every packet sent through a station terminal while its sky is cloudy.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np

from netsim.links.link_budget import LinkBudget
from netsim.scenario.model import Atmosphere, Scenario


def hufnagel_valley_cn2(h_m, rms_wind_mps: float = 21.0, ground_cn2: float = 1.7e-14):
    """Cn^2(h), m^(-2/3): 0.00594 (v/27)^2 (1e-5 h)^10 e^(-h/1000) + 2.7e-16 e^(-h/1500)
    + A e^(-h/100) (Hufnagel-Valley; Andrews & Phillips, Laser Beam Propagation through
    Random Media, 2nd ed., 2005, eq. 12.1; HV 5/7: v = 21 m/s, A = 1.7e-14)."""
    h = np.asarray(h_m, dtype=float)
    return (0.00594 * (rms_wind_mps / 27) ** 2 * (1e-5 * h) ** 10 * np.exp(-h / 1000)
            + 2.7e-16 * np.exp(-h / 1500) + ground_cn2 * np.exp(-h / 100))


@cache
def turbulence_moment(rms_wind_mps: float = 21.0, ground_cn2: float = 1.7e-14) -> float:
    """mu = integral from the ground to 30 km of Cn^2(h) h^(5/6) dh, m^(1/3)."""
    from scipy.integrate import quad

    total = 0.0
    edges = [0.0, 100.0, 1000.0, 5000.0, 10000.0, 20000.0, 30000.0]
    for a, b in zip(edges, edges[1:]):
        total += quad(lambda h: float(hufnagel_valley_cn2(h, rms_wind_mps, ground_cn2)) * h ** (5 / 6), a, b,
                      limit=200)[0]
    return total


def ground_budget(budget: LinkBudget, atmosphere: Atmosphere) -> LinkBudget:
    """The budget of an optical ground terminal: the ISL budget plus the atmosphere."""
    if atmosphere.model == "vacuum":
        return budget
    moment = (turbulence_moment(atmosphere.rms_wind_mps, atmosphere.ground_cn2_m_2_3)
              if atmosphere.turbulence == "hufnagel_valley" else 0.0)
    return dataclasses.replace(budget, zenith_transmittance=atmosphere.zenith_transmittance,
                               turbulence_moment=moment)


def markov_intervals(probability: float, correlation_s: float, end_s: float, rng: np.random.Generator) -> np.ndarray:
    """Cloudy intervals (n, 2) over [0, end_s) of a clear/cloudy Markov process with
    stationary cloudy fraction `probability` and correlation time `correlation_s`: the
    indicator's autocovariance is p (1 - p) exp(-|dt| / tau); cloudy spells last
    tau / (1 - p) on average, clear ones tau / p (exponential)."""
    if probability <= 0:
        return np.zeros((0, 2))
    if probability >= 1:
        return np.array([[0.0, np.inf]])
    mean_cloudy = correlation_s / (1 - probability)
    mean_clear = correlation_s / probability
    cloudy = rng.random() < probability
    t = 0.0
    out = []
    while t < end_s:
        length = rng.exponential(mean_cloudy if cloudy else mean_clear)
        if cloudy:
            out.append((t, t + length))
        t += length
        cloudy = not cloudy
    return np.array(out, dtype=float).reshape(-1, 2)


class CloudCover:
    """Cloudy intervals of every sky: per station (scope station) or per station port
    (scope terminal); drawn once from the scenario seed, or read from station files."""

    def __init__(self, scenario: Scenario, station_ports: list[int], end_s: float):
        from netsim.scenario.clouds_file import read_cloud_file

        clouds = scenario.ground_links.clouds
        self.scope = clouds.scope
        self.end_s = end_s
        rng = np.random.default_rng([scenario.seed, 0xC10D])
        self.intervals: dict[tuple[int, int], np.ndarray] = {}
        for g, station in enumerate(scenario.ground_stations):
            if station.cloud_file is not None:
                table = np.asarray(read_cloud_file(station.cloud_file, f"ground_stations[{g}].cloud_file"), float)
                for port in range(station_ports[g]):
                    self.intervals[g, port] = table.reshape(-1, 2)
                continue
            p = clouds.probability if station.cloud_probability is None else station.cloud_probability
            tau = clouds.correlation_s if station.cloud_correlation_s is None else station.cloud_correlation_s
            skies = 1 if self.scope == "station" else station_ports[g]
            drawn = [markov_intervals(p, tau, end_s, rng) for _ in range(skies)]
            for port in range(station_ports[g]):
                self.intervals[g, port] = drawn[0 if self.scope == "station" else port]

    @property
    def any(self) -> bool:
        return any(len(v) for v in self.intervals.values())

    def blocked(self, station: np.ndarray, station_port: np.ndarray, t_s: float) -> np.ndarray:
        """Per ground link (station, station port): cloudy at t_s."""
        out = np.zeros(len(station), dtype=bool)
        for i, (g, p) in enumerate(zip(station.tolist(), station_port.tolist())):
            iv = self.intervals.get((g, p))
            if iv is not None and len(iv):
                out[i] = bool(np.any((iv[:, 0] <= t_s) & (t_s < iv[:, 1])))
        return out

    def cloudy_fraction(self, g: int, port: int = 0) -> float:
        """Fraction of [0, end_s) this sky is cloudy."""
        iv = self.intervals.get((g, port), np.zeros((0, 2)))
        return float(np.sum(np.clip(iv[:, 1], 0, self.end_s) - np.clip(iv[:, 0], 0, self.end_s)) / self.end_s)
