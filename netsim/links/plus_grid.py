"""+Grid: the fixed inter-satellite links of a Walker shell (two in-plane neighbours
and one partner in each adjacent plane)."""

from __future__ import annotations

import numpy as np

from netsim.links.numbering import AFT, FORE, NEXT_PLANE, PREVIOUS_PLANE, Layout, Links
from netsim.scenario.model import Scenario

def plus_grid(scenario: Scenario, lay: Layout) -> Links:
    """+Grid: each satellite links to its fore/aft neighbours in the plane and to the
    satellite with the same index in the adjacent planes. Across the seam of a Walker
    delta shell, plane P-1 meets plane 0 shifted by the phasing factor F."""
    parts = []
    plus_grid_tiers = {t.name for t in scenario.constellation.tiers
                       if t.terminals.isl.policy == "plus_grid" and t.terminals.isl.count == 4}
    for (tier, shell), base in zip(scenario.shells, lay.shell_offsets):
        if tier not in plus_grid_tiers:
            continue
        planes, per_plane, phasing = shell.planes, shell.sats_per_plane, shell.phasing
        p, k = np.divmod(np.arange(shell.total), per_plane)
        index = base + p * per_plane + k
        if per_plane >= 2:
            ring = k < per_plane if per_plane >= 3 else k == 0  # two in a plane: one link
            fore = base + p * per_plane + (k + 1) % per_plane
            parts.append(_links(index[ring], FORE, fore[ring], AFT))
        inner = p < planes - 1
        parts.append(_links(index[inner], NEXT_PLANE, index[inner] + per_plane, PREVIOUS_PLANE))
        if shell.pattern == "delta" and planes >= 3:
            seam = p == planes - 1
            partner = base + (k[seam] + phasing) % per_plane
            parts.append(_links(index[seam], NEXT_PLANE, partner, PREVIOUS_PLANE))
    return Links.concatenate(parts)


def _links(a: np.ndarray, port_a: int, b: np.ndarray, port_b: int) -> Links:
    return Links(a, np.full(len(a), port_a), b, np.full(len(a), port_b))
