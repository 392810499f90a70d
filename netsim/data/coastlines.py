"""The bundled world map (netsim/data/world_110m.json, Natural Earth 1:110m as TopoJSON;
source and licence in netsim/data/WORLD_110M.txt): its text for the `netsim view` page,
and its coastlines as longitude/latitude polylines for matplotlib figures."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import numpy as np

WORLD_110M = "world_110m.json"


@cache
def world_topojson_text() -> str:
    """The TopoJSON file as text (137 KB)."""
    return resources.files("netsim.data").joinpath(WORLD_110M).read_text(encoding="utf-8")


@cache
def coastlines() -> tuple[np.ndarray, ...]:
    """Coastline polylines, each an (n, 2) array of (longitude, latitude) in degrees."""
    topo = json.loads(world_topojson_text())
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    translate = np.asarray(topo["transform"]["translate"], dtype=float)
    # Arcs are quantised and delta-encoded (TopoJSON specification, "transform").
    arcs = [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate for arc in topo["arcs"]]
    lines = []
    for geometry in topo["objects"]["coastlines"]["geometries"]:
        parts = geometry["arcs"] if geometry["type"] == "MultiLineString" else [geometry["arcs"]]
        for part in parts:
            # Index ~i means arc i reversed; consecutive arcs share their joining point.
            pieces = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in part]
            lines.append(np.concatenate([pieces[0]] + [p[1:] for p in pieces[1:]]))
    return tuple(lines)
