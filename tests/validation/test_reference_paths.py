"""netsim's paths against an oracle written here from the definitions, on the bundled
reference set-up (topologies/kuiper-630.yaml: 1,156 TLE satellites, +Grid, stations
that may use any satellite within 1,260 km, routing per destination).

The oracle shares no code with netsim: python-sgp4 positions in TEME, turned to the
Earth-fixed frame by GMST (IAU 1982, written out below), stations on the WGS-84
ellipsoid, +Grid from the file's plane/slot order, networkx shortest paths over the
satellites and the two stations of a pair only (so no station relays), RTT = (forward
+ reverse path length) / c. docs/validation.md quotes the figures this test prints.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "topologies" / "kuiper-630.yaml"
C_MPS = 299_792_458.0
INSTANTS = 201  # 0 .. 20 s every 100 ms
MAX_RANGE_M = 1_260_000.0
GRAZING_M = 80_000.0
EARTH_RADIUS_M = 6_378_137.0  # the LOS check only; +Grid links at 630 km pass 80 km by far


def gmst82_rad(jd_ut1: float) -> float:
    """Greenwich mean sidereal time, IAU 1982 (Vallado, Fundamentals of Astrodynamics,
    4th ed., eq. 3-47): seconds of time from Julian centuries of UT1 since J2000."""
    t = (jd_ut1 - 2451545.0) / 36525.0
    seconds = 67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * t + 0.093104 * t**2 - 6.2e-6 * t**3
    return math.radians((seconds % 86400.0) / 240.0)


def wgs84_ecef_m(lat_deg: float, lon_deg: float, alt_m: float = 0.0) -> np.ndarray:
    """Geodetic to Earth-fixed (NIMA TR8350.2, eq. 4-14)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    n = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    return np.array([(n + alt_m) * math.cos(lat) * math.cos(lon), (n + alt_m) * math.cos(lat) * math.sin(lon),
                     (n * (1 - e2) + alt_m) * math.sin(lat)])


def read_tle_file(path: Path) -> tuple[tuple[int, int], list[tuple[str, str]]]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    planes, per_plane = (int(x) for x in lines[0].split())
    sets = [(lines[i + 1], lines[i + 2]) for i in range(1, len(lines), 3)]
    return (planes, per_plane), sets


class Oracle:
    def __init__(self):
        from sgp4.api import WGS72, Satrec, SatrecArray

        raw = yaml.safe_load(SCENARIO.read_text())
        (self.planes, self.per_plane), sets = read_tle_file(SCENARIO.parent / raw["constellation"]["tiers"][0]["tle"][0]["file"])
        self.names = [f"kuiper-{line1[2:7]}" for line1, _ in sets]
        self.array = SatrecArray([Satrec.twoline2rv(l1, l2, WGS72) for l1, l2 in sets])
        self.stations = {s["name"]: wgs84_ecef_m(s["lat_deg"], s["lon_deg"]) for s in raw["ground_stations"]}
        self.pairs = [(f["src"], f["dst"]) for f in raw["traffic"]]
        # +Grid in the file's order: plane-major, partner of the same slot in the next plane.
        p, k = np.divmod(np.arange(self.planes * self.per_plane), self.per_plane)
        self.isl = [(int(a), int(b)) for a, b in zip(p * self.per_plane + k, p * self.per_plane + (k + 1) % self.per_plane)]
        self.isl += [(int(a), int(b)) for a, b in zip(p * self.per_plane + k, (p + 1) % self.planes * self.per_plane + k)]

    def satellites_ecef_m(self, t_s: float) -> np.ndarray:
        # TLE epoch 2000-01-01 00:00 UTC = JD 2451544.5 (UT1 ~ UTC).
        jd, fr = np.array([2451544.5]), np.array([t_s / 86400.0])
        err, r_km, _ = self.array.sgp4(jd, fr)
        assert not err.any()
        teme = r_km[:, 0, :] * 1e3
        g = gmst82_rad(2451544.5 + t_s / 86400.0)
        return np.stack([math.cos(g) * teme[:, 0] + math.sin(g) * teme[:, 1],
                         -math.sin(g) * teme[:, 0] + math.cos(g) * teme[:, 1], teme[:, 2]], axis=1)

    def graph(self, sats: np.ndarray) -> nx.Graph:
        """Satellites and their +Grid links that keep line of sight above 80 km."""
        a, b = np.array(self.isl).T
        d = sats[b] - sats[a]
        s = np.clip(-np.einsum("ij,ij->i", sats[a], d) / np.einsum("ij,ij->i", d, d), 0, 1)
        clear = np.linalg.norm(sats[a] + s[:, None] * d, axis=1) > EARTH_RADIUS_M + GRAZING_M
        graph = nx.Graph()
        graph.add_weighted_edges_from(zip(a[clear].tolist(), b[clear].tolist(), np.linalg.norm(d, axis=1)[clear].tolist()))
        return graph

    def ground_edges(self, sats: np.ndarray, station: str) -> list[tuple[str, int, float]]:
        """Every satellite within 1,260 km of the station and above its horizon (the
        scenario's 0-degree mask; at 630 km the range limit binds first)."""
        here = self.stations[station]
        slant = np.linalg.norm(sats - here, axis=1)
        up = here / np.linalg.norm(here)
        usable = (slant <= MAX_RANGE_M) & ((sats - here) @ up >= 0)
        return [(station, int(i), float(slant[i])) for i in np.flatnonzero(usable)]

    def path(self, graph: nx.Graph, sats: np.ndarray, src: str, dst: str):
        """Shortest path over the satellites and these two stations only (no station relays)."""
        pair = graph.copy()
        pair.add_weighted_edges_from(self.ground_edges(sats, src) + self.ground_edges(sats, dst))
        if src not in pair or dst not in pair or not nx.has_path(pair, src, dst):
            return None, math.nan
        length, nodes = nx.single_source_dijkstra(pair, src, dst)
        return [n if isinstance(n, str) else self.names[n] for n in nodes], length


@pytest.fixture(scope="module")
def netsim_rtt(tmp_path_factory):
    from netsim.run.paths import compute_paths
    from netsim.scenario.load import load_scenario

    out = tmp_path_factory.mktemp("reference-paths")
    compute_paths(load_scenario(SCENARIO), out, 0.0, (INSTANTS - 1) * 0.1)
    return pd.read_csv(out / "rtt.csv")


def test_paths_and_rtts_equal_the_oracle_at_every_instant(netsim_rtt):
    oracle = Oracle()
    rows = netsim_rtt.set_index(["time_s", "src", "dst"])
    assert len(rows) == INSTANTS * len(oracle.pairs)
    errors_ms, same_path, reach_disagree, changes, previous = [], 0, 0, 0, {}
    for i in range(INSTANTS):
        t = round(i * 0.1, 9)
        sats = oracle.satellites_ecef_m(t)
        graph = oracle.graph(sats)
        for src, dst in oracle.pairs:
            row = rows.loc[(t, src, dst)]
            there, forward_m = oracle.path(graph, sats, src, dst)
            back, reverse_m = oracle.path(graph, sats, dst, src)
            changes += (src, dst) in previous and previous[(src, dst)] != there
            previous[(src, dst)] = there
            reachable = there is not None and back is not None
            reach_disagree += bool(row["reachable"]) != reachable
            if not reachable:
                continue
            same_path += row["path"] == ">".join(there)
            errors_ms.append(abs(row["rtt_ms"] - (forward_m + reverse_m) / C_MPS * 1e3))
    n = INSTANTS * len(oracle.pairs)
    print(f"\nreference paths: {n} pair-instants, paths equal {same_path}/{len(errors_ms)}, "
          f"RTT error max {max(errors_ms) * 1e6:.3f} ns, reachability disagreements {reach_disagree}, "
          f"oracle path changes {changes}")
    assert reach_disagree == 0
    assert same_path == len(errors_ms) == n  # every pair is reachable throughout in this set-up
    assert max(errors_ms) < 1e-3  # 1 µs
