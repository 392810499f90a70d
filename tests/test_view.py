"""`netsim view` without a browser: the page is self-contained (no network reference),
--time picks the update in force, replayed link states agree with what the run
recorded, the Earth-fixed frame keeps stations still, sampling is said, bad input is one
line and exit 2; and `netsim paths --plot` writes its figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import DEFAULT_SCENARIO
from netsim.cli.main import main
from netsim.view import write_view
from netsim.view.model import DARK, GROUND, UP, build
from netsim.view.page import _inert_urls
from netsim.view.source import open_source, select_update

URL = re.compile(r"https?://[^\s\"'<>)]*", re.IGNORECASE)
XML_NAMESPACE = re.compile(r"^http://www\.w3\.org/(2000/svg|1999/xlink|2000/xmlns/?|1999/xhtml|XML/1998/namespace)$")


def figure_of(page: Path) -> dict:
    """The figure the page hands to Plotly.newPlot."""
    text = page.read_text()
    start = text.index("var fig = ") + len("var fig = ")
    return json.JSONDecoder().raw_decode(text[start:])[0]


@pytest.fixture(scope="module")
def run_page(short_run, tmp_path_factory):
    _, result = short_run
    out = tmp_path_factory.mktemp("view") / "run.html"
    return result.run_dir, write_view(result.run_dir, out, time_s=1.25)


def test_the_page_references_nothing_outside_itself(run_page):
    _, page = run_page
    text = page.path.read_text()
    urls = [u for u in URL.findall(text) if not XML_NAMESPACE.match(u)]
    assert urls == [], urls[:5]
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=", text, re.IGNORECASE)
    assert "world_110m" in text and "Plotly.newPlot" in text  # map and library are inlined
    assert page.bytes < 30e6


def test_inert_urls_keep_only_xml_namespaces():
    js = 'a="http://www.w3.org/2000/svg";b="https://cdn.example.org/x.json";c=`http://tiles/{z}`'
    out = _inert_urls(js)
    assert "http://www.w3.org/2000/svg" in out and "cdn.example.org" in out
    assert not URL.search(out.replace("http://www.w3.org/2000/svg", ""))


def test_time_selects_the_update_in_force(run_page):
    run_dir, page = run_page
    fig = figure_of(page.path)
    # 1.25 s lies between the updates at 1.2 and 1.3 s: the one at 1.2 s is in force.
    assert "t = 1.200 s (routing update 13 of 40)" in fig["layout"]["title"]["text"]
    assert fig["layout"]["sliders"][0]["active"] == 12
    source = open_source(run_dir)
    assert select_update(source, 0.0) == 0 and select_update(source, 1.3) == 13
    assert select_update(source, 3.95) == 39 and select_update(source, 4.0) == 39  # the drain to 4 s


def test_replayed_state_agrees_with_the_recorded_paths(short_run):
    _, result = short_run
    model = build(open_source(result.run_dir), 0)
    london = model.names.index("london") - model.n_satellites
    serving = []
    for frame in model.frames:
        for path in frame.paths:
            src = model.names.index(path.src) - model.n_satellites
            dst = model.names.index(path.dst) - model.n_satellites
            assert path.nodes is not None
            # The replayed ground links are those the run's paths start and end on ...
            assert path.nodes[1] in frame.serving[src] and path.nodes[-2] in frame.serving[dst]
            # ... and every hop of a recorded path is a link of the replayed state.
            drawn = {frozenset(p) for p in zip(frame.links.a.tolist(), frame.links.b.tolist())}
            assert all(frozenset(hop) in drawn for hop in zip(path.nodes[:-1], path.nodes[1:]))
        serving.append(tuple(frame.serving[london]))
    # london hands over at 2.6 s (conftest short_run): the view moves with it.
    assert serving[25] != serving[26] and len(set(serving)) == 2
    assert model.has_utilisation and np.nanmax(model.frames[5].links.util) > 0


def test_runs_past_the_state_budget_show_the_recorded_paths(short_run):
    _, result = short_run
    model = build(open_source(result.run_dir), 0, state_budget=0)
    frame = model.frames[10]
    hops = {frozenset(h) for p in frame.paths for h in zip(p.nodes[:-1], p.nodes[1:])}
    assert {frozenset(p) for p in zip(frame.links.a.tolist(), frame.links.b.tolist())} == hops
    assert set(frame.links.state.tolist()) <= {UP, DARK}
    assert (frame.links.kind == GROUND).sum() == 4  # both ends of the two distinct pairs' paths
    assert "past the view's budget" in model.link_states


def test_stations_stay_put_in_the_earth_fixed_frame(run_page):
    run_dir, _ = run_page
    source = open_source(run_dir)
    model = build(source, select_update(source, 1.55), max_frames=5)
    # Evenly spread would be updates 0, 10, 20, 29, 39; the one in force at 1.55 s replaces 10.
    assert [f.update for f in model.frames] == [0, 15, 20, 29, 39]
    assert "Showing 5 of 40 routing updates" in model.notes[0]
    n_sat = model.n_satellites
    for frame in model.frames:
        rows = frame.where(np.arange(n_sat, len(model.names)))
        for station, lat, lon in zip(source.scenario.ground_stations, frame.lat[rows], frame.lon[rows]):
            assert abs(lat - station.lat_deg) < 2e-3 and abs(lon - station.lon_deg) < 2e-3
    # A satellite moves ~7.6 km/s along its ground track, not with the sky's rotation.
    first, last = model.frames[0], model.frames[-1]
    row0, row1 = first.where([0])[0], last.where([0])[0]
    moved = np.hypot(first.lat[row0] - last.lat[row1], first.lon[row0] - last.lon[row1]) * 111.2
    dt_s = last.t_s - first.t_s
    assert 6.0 * dt_s < moved < 9.0 * dt_s


def test_scenario_view_samples_and_says_so(tmp_path):
    page = write_view(DEFAULT_SCENARIO, tmp_path / "s.html", time_s=5.0, max_per_tier=20)
    fig = figure_of(page.path)
    assert page.frames == 12  # 11 instants spread over the scenario, plus the one asked for
    assert "t = 5.000 s" in fig["layout"]["title"]["text"]
    assert any("Showing 20 of 144 vleo satellites" in n for n in page.notes)
    assert "Showing 20 of 144 vleo satellites" in page.path.read_text()
    tier = fig["data"][0]
    assert tier["name"].startswith("vleo: ") and 20 <= len(tier["lon"]) < 144
    paths = [t for t in fig["data"] if " → " in t["name"]]
    assert [t["name"] for t in paths] == ["london → new_york", "new_york → london", "singapore → sydney"]
    assert all(len(t["lon"]) >= 3 for t in paths)


def bad(capsys, *argv) -> str:
    assert main(["view", *map(str, argv)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_bad_input_is_one_line_and_exit_2(run_page, tmp_path, capsys):
    run_dir, _ = run_page
    err = bad(capsys, tmp_path / "nope.yaml")
    assert "nope.yaml" in err and "no such file" in err
    err = bad(capsys, tmp_path)
    assert str(tmp_path) in err and "not a run folder" in err and "manifest.json" in err
    err = bad(capsys, run_dir, "--time", "9", "--out", tmp_path / "a.html")
    assert "--time" in err and "outside" in err and "0 .. 4 s" in err
    err = bad(capsys, run_dir, "--out", tmp_path / "missing" / "a.html")
    assert "--out" in err and "does not exist" in err
    err = bad(capsys, run_dir, "--out", run_dir / "rtt.csv" / "a.html")
    assert "--out" in err and "rtt.csv is not a folder" in err
    err = bad(capsys, run_dir, "--out", tmp_path)
    assert "--out" in err and "is a folder" in err
    err = bad(capsys, run_dir, "--max-satellites", "0", "--out", tmp_path / "a.html")
    assert "--max-satellites" in err
    (tmp_path / "failed").mkdir()
    (tmp_path / "failed" / "manifest.json").write_text(json.dumps({"status": "failed", "scenario": {}}))
    err = bad(capsys, tmp_path / "failed")
    assert "not complete" in err and "'failed'" in err
    assert not list(tmp_path.glob("*.html"))


def test_paths_plot_writes_rtt_and_map(tmp_path, capsys):
    out = tmp_path / "paths"
    assert main(["paths", str(DEFAULT_SCENARIO), "--to", "1", "--out", str(out), "--plot", "--quiet"]) == 0
    assert "rtt.png" in capsys.readouterr().out
    from matplotlib.image import imread

    for name in ("rtt.png", "paths_map.png"):
        image = imread(out / name)
        assert image.shape[0] > 400 and image.shape[1] > 800
        assert (image[..., :3].std(axis=(0, 1)) > 0.05).all()  # not a blank figure
    # A `netsim paths` folder is a source for the view too: updates 0 .. 1 s inclusive.
    assert main(["view", str(out), "--time", "1"]) == 0
    fig = figure_of(out / "view.html")
    assert len(fig["frames"]) == 11 and "routing update 11 of 11" in fig["layout"]["title"]["text"]


def test_geodetic_inverts_the_station_placement():
    import datetime as dt
    from types import SimpleNamespace

    from netsim.space.earth_fixed import geodetic, rotation_at_epoch_rad, to_earth_fixed
    from netsim.space.sites import ground_sites

    places = [(51.5, -0.13, 0.0), (-89.9, 170.0, 2000.0), (0.0, 180.0, 550.0), (90.0, 0.0, 500.0),
              (-45.0, 10.0, 35786.0), (30.0, -120.0, 8000.0)]
    stations = [SimpleNamespace(name=str(i), lat_deg=a, lon_deg=o, alt_km=h) for i, (a, o, h) in enumerate(places)]
    sites = ground_sites(stations, dt.datetime(2026, 1, 1))
    pos, _ = sites.at(1234.5)
    lat, lon, h = geodetic(to_earth_fixed(pos, 1234.5, rotation_at_epoch_rad("2026-01-01T00:00:00")))
    expected = np.array(places)
    assert np.allclose(lat, expected[:, 0], atol=1e-7) and np.allclose(h / 1e3, expected[:, 2], atol=1e-6)
    assert np.allclose(np.cos(np.radians(lon - expected[:, 1])), 1.0, atol=1e-12)


def test_scenario_paths_match_netsim_paths(tmp_path):
    """Routing toward the reported stations only gives the paths and RTTs that `netsim
    paths` (all destinations) reports."""
    import csv

    from netsim.run.paths import compute_paths
    from netsim.scenario.load import load_scenario

    compute_paths(load_scenario(DEFAULT_SCENARIO), tmp_path, 0.0, 0.1)
    expected = {(r["src"], r["dst"]): r for r in csv.DictReader((tmp_path / "rtt.csv").open()) if r["time_s"] == "0.000000"}
    model = build(open_source(DEFAULT_SCENARIO), 0)
    frame = model.frames[0]
    assert frame.t_s == 0.0 and len(frame.paths) == len(expected) == 3
    for p in frame.paths:
        row = expected[(p.src, p.dst)]
        assert ">".join(model.names[n] for n in p.nodes) == row["path"]
        assert abs(p.rtt_ms - float(row["rtt_ms"])) < 1e-5
