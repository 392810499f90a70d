"""Fixed inter-satellite links: partners that never change (a link falls only when line
of sight or the link budget fails, and acquires again when it returns).

- +Grid (terminals.isl.policy plus_grid, 4 terminals): each satellite links to its
  fore/aft neighbours in its plane (ports 0/1) and to one satellite in each adjacent
  plane (ports 2/3): plane p slot k with plane p+1 slot k + cross_plane_offset. Across the
  seam, plane P-1 slot k links to plane 0 slot k + seam_offset; by default that is the
  Walker phasing F + cross_plane_offset for a delta shell (the pattern continues round
  the seam) and cross_plane_offset for a TLE set (planes wrap as listed). Star shells
  have no seam links (their first and last planes counter-rotate). docs/orbits.md has a
  figure of the conventions.
- list (policy list): the links of an ISL list file; each satellite's links take its
  isl ports in file order.
"""

from __future__ import annotations

import numpy as np

from netsim.links.numbering import AFT, FORE, NEXT_PLANE, PREVIOUS_PLANE, Layout, Links
from netsim.scenario.links_file import read_links_file
from netsim.scenario.model import Scenario


def fixed_isls(scenario: Scenario, lay: Layout) -> Links:
    """Every fixed ISL of the scenario: +Grid links, then listed links, tier by tier."""
    return Links.concatenate([plus_grid(scenario, lay), listed_isls(scenario, lay)])


def plus_grid(scenario: Scenario, lay: Layout) -> Links:
    parts = []
    tiers = scenario.constellation.tiers
    for block in lay.blocks:
        isl = tiers[block.tier].terminals.isl
        if isl.policy != "plus_grid" or isl.count != 4 or block.grid is None:
            continue
        planes, per_plane = block.grid
        cross = isl.cross_plane_offset
        seam = isl.seam_offset if isl.seam_offset is not None else cross + (block.phasing if block.walker else 0)
        p, k = np.divmod(np.arange(block.count), per_plane)
        index = block.start + p * per_plane + k
        if per_plane >= 2:
            ring = k < per_plane if per_plane >= 3 else k == 0  # two in a plane: one link
            fore = block.start + p * per_plane + (k + 1) % per_plane
            parts.append(_links(index[ring], FORE, fore[ring], AFT))
        inner = p < planes - 1
        partner = block.start + (p[inner] + 1) * per_plane + (k[inner] + cross) % per_plane
        parts.append(_links(index[inner], NEXT_PLANE, partner, PREVIOUS_PLANE))
        if block.seam:
            last = p == planes - 1
            parts.append(_links(index[last], NEXT_PLANE, block.start + (k[last] + seam) % per_plane, PREVIOUS_PLANE))
    return Links.concatenate(parts)


def listed_isls(scenario: Scenario, lay: Layout) -> Links:
    """Links of the tiers' ISL list files (checked when the scenario was loaded)."""
    node_a, port_a, node_b, port_b = [], [], [], []
    for ti, tier in enumerate(scenario.constellation.tiers):
        isl = tier.terminals.isl
        if isl.policy != "list":
            continue
        members = np.flatnonzero(lay.tier_of == ti)
        index = {lay.satellite_names[n]: int(n) for n in members}
        first = lay.plans[ti].isl[0]
        used: dict[int, int] = {}
        for _, *ends in read_links_file(isl.links_file, f"constellation.tiers[{ti}].terminals.isl.links_file",
                                        scenario.name):
            a, b = (int(members[int(e)]) if e.isdigit() else index[e] for e in ends)
            for node, nodes, ports in ((a, node_a, port_a), (b, node_b, port_b)):
                nodes.append(node)
                ports.append(first + used.get(node, 0))
                used[node] = used.get(node, 0) + 1
    if not node_a:
        return Links.concatenate([])
    return Links(*(np.asarray(x, dtype=np.uint32) for x in (node_a, port_a, node_b, port_b)))


def _links(a: np.ndarray, port_a: int, b: np.ndarray, port_b: int) -> Links:
    return Links(a, np.full(len(a), port_a), b, np.full(len(a), port_b))
