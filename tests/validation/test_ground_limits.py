"""Each ground-link mode keeps its limits at every instant: terminals per station and per
satellite, elevation mask, slant range and the satellite's field of regard, checked with
geometry written here (local vertical of the WGS-84 normal, angles from dot products);
and routing picks, per destination, the uplink a shortest path takes."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from conftest import default_scenario_dict
from netsim.routing.paths import follow_path, path_delay_s
from netsim.run.network_state import NetworkStates
from netsim.scenario.load import scenario_from_dict

C_MPS = 299_792_458.0


def elevation_deg(station: np.ndarray, lat_deg: float, lon_deg: float, sat: np.ndarray, rotation: float) -> float:
    """Elevation of sat above the station's horizon; the WGS-84 normal turned with the Earth."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg) + rotation
    up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    look = sat - station
    return math.degrees(math.asin(np.dot(look, up) / np.linalg.norm(look)))


def off_nadir_deg(sat: np.ndarray, station: np.ndarray) -> float:
    to_station = station - sat
    return math.degrees(math.acos(np.dot(to_station, -sat) / (np.linalg.norm(to_station) * np.linalg.norm(sat))))


def stations_raw():
    return [{"name": "london", "lat_deg": 51.5074, "lon_deg": -0.1278, "terminals": 3},
            {"name": "paris", "lat_deg": 48.8566, "lon_deg": 2.3522, "elevation_mask_deg": 30, "max_range_km": 1500},
            {"name": "new_york", "lat_deg": 40.7128, "lon_deg": -74.0060},
            {"name": "singapore", "lat_deg": 1.3521, "lon_deg": 103.8198, "max_range_km": 1200}]


def check_limits(states: NetworkStates, times, mode: str, mask_deg: float, max_links: int, terminals: int,
                 sat_terminals: int, field_of_regard_deg: float):
    n_sat = states.n_satellites
    stations = states.scenario.ground_stations
    for t in times:
        snap = states.at(float(t))
        rotation = states.sites.rotation_at_epoch_rad + 7.292115e-5 * t
        links = snap.ground
        for g, station in enumerate(stations):
            mine = links.satellite[links.station == g]
            here = snap.pos_m[n_sat + g]
            mask = station.elevation_mask_deg if station.elevation_mask_deg is not None else mask_deg
            reach = (station.max_range_km or math.inf) * 1e3
            assert len(set(mine.tolist())) == len(mine)
            in_view = [s for s in range(n_sat) if elevation_deg(here, station.lat_deg, station.lon_deg, snap.pos_m[s],
                                                                 rotation) >= mask
                       and np.linalg.norm(snap.pos_m[s] - here) <= reach
                       and off_nadir_deg(snap.pos_m[s], here) <= field_of_regard_deg]
            assert set(mine.tolist()) <= set(in_view), f"{station.name} at {t}: a link outside its limits"
            if mode == "assigned":
                assert len(mine) <= (station.terminals or terminals)
                if sat_terminals >= len(stations):  # no satellite can run out of ground terminals
                    assert len(mine) == min(station.terminals or terminals, len(in_view))
            else:
                by_range = sorted(in_view, key=lambda s: np.linalg.norm(snap.pos_m[s] - here))
                assert sorted(mine.tolist()) == sorted(by_range[:max_links]), f"{station.name} at {t}"
        if mode == "assigned":
            assert np.bincount(links.satellite).max(initial=0) <= sat_terminals
        # a station's links use distinct ports
        keys = links.station * 1000 + links.station_port
        assert len(np.unique(keys)) == len(keys)


@pytest.mark.parametrize("sat_terminals", [4, 1])
def test_assigned_mode_keeps_terminals_mask_range_and_field_of_regard(sat_terminals):
    raw = default_scenario_dict(ground_stations=stations_raw(), traffic=[])
    raw["ground_links"] = {"mode": "assigned", "terminals": 2, "terminals_per_satellite": sat_terminals,
                           "elevation_mask_deg": 20, "satellite_field_of_regard_deg": 60, "acquisition_s": 0.0}
    states = NetworkStates(scenario_from_dict(raw))
    check_limits(states, np.arange(0, 600, 20.0), "assigned", 20, 0, 2, sat_terminals, 60)


def test_any_visible_mode_uses_every_satellite_within_the_limits():
    raw = default_scenario_dict(ground_stations=stations_raw()[1:], traffic=[], outputs={})  # terminals: assigned only
    raw["ground_links"] = {"mode": "any_visible", "max_links": 3, "elevation_mask_deg": 15,
                           "satellite_field_of_regard_deg": 65}
    states = NetworkStates(scenario_from_dict(raw))
    check_limits(states, np.arange(0, 600, 20.0), "any_visible", 15, 3, 0, 0, 65)


@pytest.mark.parametrize("mode", ["assigned", "any_visible"])
def test_routing_picks_the_uplink_and_downlink_per_destination(mode):
    """A station with several links reaches each destination over the satellite of a
    shortest path (networkx over every link up, stations never relaying)."""
    raw = default_scenario_dict(traffic=[])
    raw["ground_links"] = ({"mode": "assigned", "terminals": 3, "terminals_per_satellite": 4, "elevation_mask_deg": 10}
                           if mode == "assigned" else {"mode": "any_visible", "elevation_mask_deg": 10})
    states = NetworkStates(scenario_from_dict(raw))
    n_sat = states.n_satellites
    seen_several_uplinks = False
    for t in (0.0, 150.0, 300.0):
        snap = states.at(t)
        links = snap.links
        weights = np.linalg.norm(snap.pos_m[links.node_b] - snap.pos_m[links.node_a], axis=1) / C_MPS
        for g in range(len(states.sites)):
            uplinks = set()
            for j in range(len(states.sites)):
                if j == g:
                    continue
                graph = nx.Graph()
                for a, b, w in zip(links.node_a.tolist(), links.node_b.tolist(), weights.tolist()):
                    if (a < n_sat or a in (n_sat + g, n_sat + j)) and (b < n_sat or b in (n_sat + g, n_sat + j)):
                        graph.add_edge(a, b, weight=w)
                path = follow_path(snap, n_sat, n_sat + g, j)
                if not nx.has_path(graph, n_sat + g, n_sat + j):
                    assert path is None
                    continue
                expected = nx.dijkstra_path(graph, n_sat + g, n_sat + j)
                assert path == expected
                assert path_delay_s(snap, path) == pytest.approx(
                    nx.dijkstra_path_length(graph, n_sat + g, n_sat + j), abs=1e-12)
                uplinks.add(path[1])
            seen_several_uplinks |= len(uplinks) > 1
    assert seen_several_uplinks  # some station sends to different destinations over different satellites


def test_any_visible_with_more_stations_than_ports_fills_each_satellite_exactly():
    # 300 stations within ~3 km of each other all see the same nearest satellite; a
    # satellite has fewer ground ports than that (256 ports less its +Grid terminals), so
    # exactly that many stations take it and the rest take their next satellite.
    stations = [{"name": f"s{i}", "lat_deg": 51.5 + 0.0001 * (i % 20), "lon_deg": -0.12 + 0.0001 * (i // 20)}
                for i in range(300)]
    raw = default_scenario_dict(ground_stations=stations, traffic=[], outputs={})
    raw["ground_links"] = {"mode": "any_visible", "max_links": 1, "elevation_mask_deg": 10}
    states = NetworkStates(scenario_from_dict(raw))
    ports = states.layout.ground_ports
    assert ports < 300
    snap = states.at(0.0)
    per_satellite = np.bincount(snap.ground.satellite)
    assert per_satellite.max() == ports and per_satellite.sum() == 300


@pytest.mark.parametrize("mode", ["assigned", "any_visible"])
def test_a_ground_link_that_stays_keeps_its_station_port(mode):
    # Ports are the capture files' and the forwarding rows' identity: a (station,
    # satellite) link present at consecutive updates keeps its station port, while other
    # links of the station come and go around it.
    raw = default_scenario_dict(ground_stations=stations_raw()[1:], traffic=[], outputs={})
    raw["ground_links"] = ({"mode": "assigned", "terminals": 3, "terminals_per_satellite": 4,
                            "elevation_mask_deg": 10, "acquisition_s": 0.0} if mode == "assigned"
                           else {"mode": "any_visible", "max_links": 3, "elevation_mask_deg": 10})
    states = NetworkStates(scenario_from_dict(raw))
    previous, kept, others_changed = None, 0, 0
    for t in np.arange(0.0, 900.0, 10.0):
        g = states.at(float(t)).ground
        now = {(int(s), int(sat)): int(p) for s, sat, p in zip(g.station, g.satellite, g.station_port)}
        if previous is not None:
            for link, port in now.items():
                if link in previous:
                    assert port == previous[link], (t, link)
                    kept += 1
            others_changed += len(now.keys() ^ previous.keys())
        previous = now
    assert kept > 100 and others_changed > 10
