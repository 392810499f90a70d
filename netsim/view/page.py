"""The view as one self-contained HTML page: a plotly figure (orthographic `scattergeo`
globe, SVG, so it needs no WebGL), plotly.js inlined from the plotly Python package, the
world map (netsim/data/world_110m.json) handed to plotly.js in place of its download, a
time slider over the frames and buttons for link colouring and projection.

The page references nothing outside itself: URLs in the inlined library (tile servers of
map types netsim does not use, links in messages) are rewritten to an inert `no-network:`
scheme; only XML namespace names, which browsers never fetch, are left.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np

from netsim.data.coastlines import world_topojson_text
from netsim.view.model import DARK, DOWN, STATE_NAMES, UP, ViewModel

TIER_COLOURS = ("#3b6fb6", "#8e6bbf", "#2a9d8f", "#a0522d", "#6c757d")
STATE_COLOURS = {UP: "#8a98a8", DARK: "#ff9900", DOWN: "#d62728"}
# Utilisation over the run, by bin: idle, then lower bounds 0, 0.1 %, 1 %, 10 %, 50 %.
UTIL_EDGES = (0.001, 0.01, 0.1, 0.5)
UTIL_NAMES = ("idle", "< 0.1 %", "0.1-1 %", "1-10 %", "10-50 %", ">= 50 %")
UTIL_COLOURS = ("#c9ced6", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#7f2704")
PATH_COLOURS = ("#e6007e", "#00b4d8", "#70c000", "#ffc300", "#7b2cbf", "#ff5400", "#0a9396", "#9b2226",
                "#3a86ff", "#8d6e63")
STATION_COLOUR = "#111111"
MAX_LABELS = 20  # stations labelled on the map; with more, only those of the reported pairs
LAND, OCEAN, COAST, BORDERS = "#f2eee3", "#dce8f2", "#5f6f80", "#cfc8b8"

XML_NAMESPACES = re.compile(r"http://www\.w3\.org/(?:2000/svg|1999/xlink|2000/xmlns/?|1999/xhtml|XML/1998/namespace)")
ANY_URL = re.compile(r"https?://", re.IGNORECASE)


def offline_plotlyjs() -> str:
    """plotly.min.js from the plotly package, with every URL but XML namespaces made inert."""
    from plotly.offline import get_plotlyjs

    # Inside <script>, "</script" would end the element early (plotly.js has none today).
    return _inert_urls(get_plotlyjs()).replace("</script", "<\\/script")


def _inert_urls(text: str) -> str:
    kept: list[str] = []

    def keep(match):
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = XML_NAMESPACES.sub(keep, text)
    text = ANY_URL.sub("no-network:", text)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)


def figure(model: ViewModel) -> dict:
    """The plotly figure (data, layout, frames) as plain dicts and lists."""
    traces = [_frame_traces(model, f) for f in model.frames]
    first = traces[model.initial]
    n_links = 3 + (len(UTIL_NAMES) if model.has_utilisation else 0)
    n_tiers = len(model.tier_names)
    state_visible = [True] * n_tiers + [True] * 3 + [False] * (n_links - 3) + [True] * (len(first) - n_tiers - n_links)
    for trace, visible in zip(first, state_visible):
        trace["visible"] = visible
    frames = [{"name": str(i), "data": t, "layout": {"title": {"text": _title(model, f)}}}
              for i, (f, t) in enumerate(zip(model.frames, traces))]
    centre = _centre(model)
    menus = [_projection_menu(centre)]
    if model.has_utilisation:
        util_visible = [True] * n_tiers + [False] * 3 + [True] * (n_links - 3) + [True] * (len(first) - n_tiers - n_links)
        menus.append({"type": "buttons", "direction": "right", "x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "top",
                      "showactive": True, "active": 0, "pad": {"r": 4, "t": 4},
                      "buttons": [{"label": "links by state", "method": "restyle", "args": [{"visible": state_visible}]},
                                  {"label": "links by utilisation", "method": "restyle",
                                   "args": [{"visible": util_visible}]}]})
    layout = {
        "title": {"text": _title(model, model.frames[model.initial]), "x": 0.01, "font": {"size": 15}},
        "geo": {"projection": {"type": "orthographic", "rotation": centre},
                "showland": True, "landcolor": LAND, "showocean": True, "oceancolor": OCEAN,
                "showcoastlines": True, "coastlinecolor": COAST, "coastlinewidth": 0.8,
                "showcountries": True, "countrycolor": BORDERS, "countrywidth": 0.5,
                "showlakes": False, "showframe": False, "bgcolor": "#ffffff",
                "lataxis": {"showgrid": True, "gridcolor": "#c5d3e0", "dtick": 30},
                "lonaxis": {"showgrid": True, "gridcolor": "#c5d3e0", "dtick": 30},
                "domain": {"x": [0, 1], "y": [0.06, 0.96]}},
        "margin": {"l": 8, "r": 8, "t": 44, "b": 8},
        "legend": {"x": 1.0, "xanchor": "right", "y": 0.98, "bgcolor": "rgba(255,255,255,0.85)",
                   "font": {"size": 11}},
        "updatemenus": menus,
        "showlegend": True,
        "paper_bgcolor": "#ffffff",
    }
    if len(model.frames) > 1:
        layout["sliders"] = [_slider(model)]
        menus.append({"type": "buttons", "direction": "right", "x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "top",
                      "showactive": False, "pad": {"t": 36, "r": 8},
                      "buttons": [{"label": "play", "method": "animate",
                                   "args": [None, {"frame": {"duration": 300, "redraw": True}, "fromcurrent": True,
                                                   "transition": {"duration": 0}, "mode": "immediate"}]},
                                  {"label": "pause", "method": "animate",
                                   "args": [[None], {"frame": {"duration": 0, "redraw": True},
                                                     "mode": "immediate", "transition": {"duration": 0}}]}]})
    return {"data": first, "layout": layout, "frames": frames}


def _title(model: ViewModel, frame) -> str:
    n = len(model.source.update_times)
    return (f"{html.escape(model.source.scenario.name)}: t = {frame.t_s:.3f} s "
            f"(routing update {frame.update + 1:,} of {n:,})")


def _centre(model: ViewModel) -> dict:
    """Turn the globe toward the first drawn path (its middle node), else the stations."""
    frame = model.frames[model.initial]
    for p in frame.paths:
        if p.nodes:
            row = frame.where([p.nodes[len(p.nodes) // 2]])[0]
            return {"lon": float(frame.lon[row]), "lat": float(np.clip(frame.lat[row], -60, 60)), "roll": 0}
    rows = frame.where(np.arange(model.n_satellites, len(model.names)))
    if len(rows):
        lat, lon = np.radians(frame.lat[rows]), np.radians(frame.lon[rows])
        v = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]).sum(axis=1)
        return {"lon": float(np.degrees(np.arctan2(v[1], v[0]))),
                "lat": float(np.clip(np.degrees(np.arctan2(v[2], np.hypot(v[0], v[1]))), -60, 60)), "roll": 0}
    return {"lon": 0, "lat": 20, "roll": 0}


def _projection_menu(centre: dict) -> dict:
    """Globe (turned toward the first path) or a whole-world map centred on Greenwich."""
    globe = {"geo.projection.type": "orthographic", "geo.projection.rotation": centre}
    world = {"geo.projection.type": "natural earth", "geo.projection.rotation": {"lon": 0, "lat": 0, "roll": 0}}
    return {"type": "buttons", "direction": "right", "x": 1.0, "y": 0.0, "xanchor": "right", "yanchor": "top",
            "showactive": True, "active": 0, "pad": {"t": 36},
            "buttons": [{"label": "globe", "method": "relayout", "args": [globe]},
                        {"label": "map", "method": "relayout", "args": [world]}]}


def _slider(model: ViewModel) -> dict:
    step = model.source.scenario.routing.update_interval_s
    digits = max(0, min(6, int(np.ceil(-np.log10(step))) if step < 1 else 0))
    return {"active": model.initial, "x": 0.12, "len": 0.72, "y": 0.0, "yanchor": "top", "pad": {"t": 30},
            "currentvalue": {"prefix": "t = ", "suffix": " s", "font": {"size": 12}},
            "steps": [{"label": f"{f.t_s:.{digits}f}", "method": "animate",
                       "args": [[str(i)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                           "transition": {"duration": 0}}]}
                      for i, f in enumerate(model.frames)]}


def _frame_traces(model: ViewModel, frame) -> list[dict]:
    """Every trace of one frame, always in the same order: satellites per tier, links by
    state (up, dark, down), links by utilisation bin (runs that measured it), ground
    stations, one path per reported pair."""
    names = model.names
    traces = []
    marker_size = 5 if len(frame.satellites) <= 2000 else 3
    for ti, tier in enumerate(model.tier_names):
        sats = frame.satellites[model.tier_of[frame.satellites] == ti]
        rows = frame.where(sats)
        drawn, total = len(sats), model.tier_counts[ti]
        label = f"{tier}: {total:,} satellites" if drawn >= total else f"{tier}: {drawn:,} of {total:,} satellites"
        traces.append({"type": "scattergeo", "mode": "markers", "name": label, "legendgroup": "sat",
                       "lon": frame.lon[rows], "lat": frame.lat[rows], "text": [names[s] for s in sats],
                       "customdata": frame.alt_km[rows],
                       "hovertemplate": "%{text}<br>%{lat:.2f}°, %{lon:.2f}°, %{customdata:.0f} km<extra>" + tier + "</extra>",
                       "marker": {"size": marker_size, "color": TIER_COLOURS[ti % len(TIER_COLOURS)],
                                  "line": {"width": 0}}})
    links = frame.links
    for state in (UP, DARK, DOWN):
        mine = links.select(links.state == state)
        traces.append(_segments(frame, mine, f"links {STATE_NAMES[state]}", STATE_COLOURS[state],
                                1.6 if state != UP else 1.0, "dot" if state == DOWN else "solid", "links"))
    if model.has_utilisation:
        bins = np.digitize(np.nan_to_num(links.util), UTIL_EDGES) + 1
        bins[np.nan_to_num(links.util) <= 0] = 0
        for b, (name, colour) in enumerate(zip(UTIL_NAMES, UTIL_COLOURS)):
            mine = links.select(bins == b)
            traces.append(_segments(frame, mine, f"utilisation {name}", colour,
                                    1.0 if b == 0 else 2.2, "solid", "util"))
    stations = np.arange(model.n_satellites, len(names))
    rows = frame.where(stations)
    serving = [", ".join(names[s] for s in sats) if len(sats) else "no satellite" for sats in frame.serving]
    # Many stations: label those of the reported pairs only (the others in the hover text).
    labelled = {name for p in frame.paths for name in (p.src, p.dst)} if len(stations) > MAX_LABELS else None
    labels = [names[s] if labelled is None or names[s] in labelled else "" for s in stations]
    traces.append({"type": "scattergeo", "mode": "markers+text", "name": f"ground stations ({len(stations):,})",
                   "lon": frame.lon[rows], "lat": frame.lat[rows], "text": labels,
                   "hovertext": [names[s] for s in stations],
                   "textposition": "top center", "textfont": {"size": 10, "color": STATION_COLOUR},
                   "customdata": serving, "hovertemplate": "%{hovertext}<br>linked to %{customdata}<extra></extra>",
                   "marker": {"size": 7, "symbol": "square", "color": STATION_COLOUR}})
    seen = set()
    for k, p in enumerate(frame.paths):
        colour = PATH_COLOURS[k % len(PATH_COLOURS)]
        # The way back of a pair drawn before: dotted and thinner, so both stay visible.
        back = (p.dst, p.src) in seen
        seen.add((p.src, p.dst))
        if p.nodes:
            rows = frame.where(p.nodes)
            summary = f"{p.src} → {p.dst}: RTT {p.rtt_ms:.2f} ms, {p.hops} hops"
            lon, lat, text = frame.lon[rows], frame.lat[rows], [names[n] for n in p.nodes]
        else:
            summary = f"{p.src} → {p.dst}: unreachable"
            lon, lat, text = [], [], []
        traces.append({"type": "scattergeo", "mode": "lines+markers", "name": f"{p.src} → {p.dst}",
                       "legendgroup": "paths", "lon": lon, "lat": lat, "text": text,
                       "hovertemplate": "%{text}<br>" + html.escape(summary) + "<extra></extra>",
                       "line": {"width": 2 if back else 4, "color": colour, "dash": "dot" if back else "solid"},
                       "marker": {"size": 4 if back else 6, "color": colour}})
    return traces


def _segments(frame, links, name: str, colour: str, width: float, dash: str, group: str) -> dict:
    """Links as one line trace: a, b, gap, a, b, gap, ... (at least the gap, so that the
    legend keeps the entry when no link is in this state)."""
    ra, rb = frame.where(links.a), frame.where(links.b)
    lon = np.full(max(3 * len(links), 1), np.nan)
    lat = np.full(max(3 * len(links), 1), np.nan)
    if len(links):
        lon[0::3], lon[1::3] = frame.lon[ra], frame.lon[rb]
        lat[0::3], lat[1::3] = frame.lat[ra], frame.lat[rb]
    return {"type": "scattergeo", "mode": "lines", "name": name, "legendgroup": group, "lon": lon, "lat": lat,
            "hoverinfo": "skip", "line": {"width": width, "color": colour, "dash": dash}}


def _json(value) -> str:
    """JSON for a <script> element: numpy arrays as lists (NaN as null), no '</'."""

    def default(o):
        if isinstance(o, np.ndarray):
            if o.dtype.kind == "f":
                return [None if x != x else x for x in o.tolist()]
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        raise TypeError(type(o))

    text = json.dumps(value, default=default, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netsim view: {title}</title>
<style>
body {{ margin: 0; font-family: system-ui, sans-serif; color: #222; background: #fff; }}
header {{ padding: 6px 12px 2px; font-size: 13px; line-height: 1.35; }}
header h1 {{ font-size: 16px; margin: 0 0 2px; }}
header ul {{ margin: 2px 0; padding-left: 18px; }}
#view {{ width: 100vw; height: calc(100vh - {header_px}px); min-height: 480px; }}
</style>
</head>
<body>
<header><h1>{heading}</h1><ul>{notes}</ul></header>
<div id="view"></div>
<script>{plotlyjs}</script>
<script>window.PlotlyGeoAssets = {{topojson: {{world_110m: {topojson}}}}};</script>
<script>
(function () {{
  var fig = {figure};
  var view = document.getElementById("view");
  Plotly.newPlot(view, fig.data, fig.layout, {{displaylogo: false, responsive: true, topojsonURL: "",
                                               modeBarButtonsToRemove: ["sendDataToCloud"]}})
    .then(function () {{ return fig.frames.length > 1 ? Plotly.addFrames(view, fig.frames) : null; }})
    .then(function () {{ document.body.setAttribute("data-netsim-ready", "1"); }})
    .catch(function (err) {{ console.error("netsim view: " + err); }});
}})();
</script>
</body>
</html>
"""


def page_html(model: ViewModel, notes: list[str]) -> str:
    fig = figure(model)
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    heading = f"netsim view: {model.source.scenario.name} ({model.source.label})"
    return PAGE.format(title=html.escape(model.source.scenario.name), heading=html.escape(heading), notes=items,
                       header_px=40 + 18 * len(notes), plotlyjs=offline_plotlyjs(),
                       topojson=world_topojson_text().strip(), figure=_json(fig))
