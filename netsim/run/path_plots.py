"""`netsim paths --plot`: figures for papers from a folder's rtt.csv (PNG, matplotlib's Agg
backend): the RTT of every pair over time, and a map of the paths in Earth-fixed
coordinates with coastlines (Natural Earth 1:110m, netsim/data).

Positions come from the orbits alone (no routing): a path's nodes are placed where they
were at the first update that used that path. Hops are drawn as great-circle arcs between
sub-satellite points; a map shows where a path runs, not the altitude it runs at.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from netsim.data.coastlines import coastlines
from netsim.scenario.model import Scenario
from netsim.space.earth_fixed import geodetic, rotation_at_epoch_rad, to_earth_fixed
from netsim.space.orbits import constellation_ephemeris
from netsim.space.sites import ground_sites

RTT_PNG, MAP_PNG = "rtt.png", "paths_map.png"
MAX_LEGEND = 12  # pairs named in a legend; the others are drawn unnamed
ARC_POINTS = 12  # points per hop along the great circle


def plot_paths(scenario: Scenario, folder: Path, dpi: int = 150) -> list[Path]:
    """Write folder/rtt.png and folder/paths_map.png from folder/rtt.csv; return them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    with (folder / "rtt.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    pairs = list(dict.fromkeys((r["src"], r["dst"]) for r in rows))
    colours = plt.get_cmap("tab10").colors
    written = []

    fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
    for k, pair in enumerate(pairs):
        mine = [r for r in rows if (r["src"], r["dst"]) == pair]
        t = np.array([float(r["time_s"]) for r in mine])
        rtt = np.array([float(r["rtt_ms"]) if r["reachable"] == "True" else np.nan for r in mine])
        ax.step(t, rtt, where="post", color=colours[k % len(colours)], lw=1.4,
                label=f"{pair[0]} → {pair[1]}" if k < MAX_LEGEND else None)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("round-trip time (ms)")
    ax.set_title(f"{scenario.name}: RTT per pair at each routing update (gaps: unreachable)", fontsize=10)
    ax.grid(alpha=0.3)
    if pairs:
        ax.legend(fontsize=8, loc="best")
    written.append(_save(fig, folder / RTT_PNG, dpi))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 5.4), layout="constrained")
    for line in coastlines():
        for lon, lat in _split_at_antimeridian(line[:, 0], line[:, 1]):
            ax.plot(lon, lat, color="#6b7b8c", lw=0.5)
    lonlat, stations = _path_positions(scenario, rows, pairs)
    for k, pair in enumerate(pairs):
        colour = colours[k % len(colours)]
        for j, (lon, lat) in enumerate(lonlat.get(pair, [])):
            # The first path of a pair bold, later ones (after handovers, path changes) thin.
            for seg_lon, seg_lat in _split_at_antimeridian(*_arcs(lon, lat)):
                ax.plot(seg_lon, seg_lat, color=colour, lw=2.0 if j == 0 else 0.8, alpha=1.0 if j == 0 else 0.5,
                        label=f"{pair[0]} → {pair[1]}" if j == 0 and k < MAX_LEGEND else None)
            ax.plot(lon[1:-1], lat[1:-1], "o", color=colour, ms=2.5 if j == 0 else 1.5)
    for name, (lat, lon) in stations.items():
        ax.plot(lon, lat, "s", color="#111111", ms=4)
        ax.annotate(name, (lon, lat), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xticks(range(-180, 181, 60))
    ax.set_yticks(range(-90, 91, 30))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.grid(alpha=0.25)
    span = (f"t = {float(rows[0]['time_s']):g}..{float(rows[-1]['time_s']):g} s" if rows else "no updates")
    ax.set_title(f"{scenario.name}: paths of {len(pairs)} pairs, {span}, Earth-fixed (bold: first path of a pair)",
                 fontsize=10)
    if pairs:
        ax.legend(fontsize=7, loc="lower left")
    written.append(_save(fig, folder / MAP_PNG, dpi))
    plt.close(fig)
    return written


def _save(fig, path: Path, dpi: int) -> Path:
    from netsim.files import new_path

    with new_path(path, keep_suffix=True) as tmp:
        fig.savefig(tmp, dpi=dpi)
    return path


def _path_positions(scenario: Scenario, rows: list[dict], pairs) -> tuple[dict, dict]:
    """Per pair, the distinct paths in order of first use, as (lon, lat) arrays of their
    nodes at that first use; and every station of the pairs as name -> (lat, lon)."""
    orbits = constellation_ephemeris(scenario)
    stations = {g.name: g for g in scenario.ground_stations}
    sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
    rotation = rotation_at_epoch_rad(scenario.epoch)
    used = {name for r in rows if r["reachable"] == "True" for name in r["path"].split(">")}
    index = {name: i for i, name in enumerate(orbits.names) if name in used}
    site_index = {name: i for i, name in enumerate(sites.names)}
    first_use: dict[tuple, dict[str, float]] = {}
    for r in rows:
        if r["reachable"] == "True":
            first_use.setdefault((r["src"], r["dst"]), {}).setdefault(r["path"], float(r["time_s"]))
    out: dict[tuple, list] = {}
    for pair in pairs:
        for path, t_s in first_use.get(pair, {}).items():
            names = path.split(">")
            sat_pos, _ = orbits.at(t_s)
            site_pos, _ = sites.at(t_s)
            pos = np.array([site_pos[site_index[n]] if n in site_index else sat_pos[index[n]] for n in names])
            lat, lon, _ = geodetic(to_earth_fixed(pos, t_s, rotation))
            out.setdefault(pair, []).append((lon, lat))
    names = {n for pair in pairs for n in pair}
    return out, {n: (stations[n].lat_deg, stations[n].lon_deg) for n in names if n in stations}


def _arcs(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Great-circle arcs through consecutive points (degrees), ARC_POINTS per hop."""
    la, lo = np.radians(lat), np.radians(lon)
    v = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
    points = [v[:1]]
    s = np.linspace(0, 1, ARC_POINTS + 1)[1:, None]
    for a, b in zip(v[:-1], v[1:]):
        w = a + s * (b - a)  # normalised chord: on the great circle, close enough to uniform
        points.append(w / np.linalg.norm(w, axis=1, keepdims=True))
    p = np.concatenate(points)
    return np.degrees(np.arctan2(p[:, 1], p[:, 0])), np.degrees(np.arcsin(np.clip(p[:, 2], -1, 1)))


def _split_at_antimeridian(lon: np.ndarray, lat: np.ndarray):
    """Pieces of a polyline that do not jump across longitude ±180."""
    breaks = np.flatnonzero(np.abs(np.diff(lon)) > 180) + 1
    return zip(np.split(lon, breaks), np.split(lat, breaks))
