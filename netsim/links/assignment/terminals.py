"""Laser terminal groups: geometry of a group, which terminal serves which link, and the
time to re-point a terminal from one peer to another."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from netsim.space.attitude import boresight_vector, lvlh_axes, los_angle_rad, ring_vectors
from netsim.links.assignment import _kernels as K


@dataclass(frozen=True)
class TerminalGeometry:
    """One terminal group per satellite of a tier: `count` terminals with boresights in
    the body frame (netsim.space.attitude), a field-of-regard half-angle and a slew-rate limit.

    boresights: "ring" (count horizontal terminals at azimuths 360 i / count from +x
    toward +y), one name for all terminals ("zenith", "nadir", "fore", "aft", "right",
    "left", "az<degrees>"), or one name per terminal."""

    count: int
    boresights: tuple[str, ...] | str
    field_of_regard_rad: float
    max_slew_rate_rad_s: float
    acquisition_time_s: float = 0.0  # not used here; the caller adds it to the outage

    def __post_init__(self):
        if self.count < 0:
            raise ValueError(f"terminal count must be >= 0 (got {self.count})")
        if not isinstance(self.boresights, str) and len(self.boresights) != self.count:
            raise ValueError(f"{len(self.boresights)} boresights for {self.count} terminals")
        self.vectors  # noqa: B018 - validates names early

    @cached_property
    def vectors(self) -> np.ndarray:
        """Boresight unit vectors in the body frame, (count, 3)."""
        if isinstance(self.boresights, str):
            if self.boresights == "ring":
                return ring_vectors(self.count)
            names = (self.boresights,) * self.count
        else:
            names = self.boresights
        return np.array([boresight_vector(n) for n in names], dtype=np.float64).reshape(self.count, 3)

    @property
    def cos_for(self) -> float:
        return float(np.cos(self.field_of_regard_rad))


def assign_terminals(pos_m, vel_mps, nodes, peers, group: TerminalGeometry,
                     previous: np.ndarray | None = None) -> np.ndarray:
    """Terminal index (within the group) serving each (node, peer) row; -1 when no free
    terminal of the node's group has the peer inside its FoR (the caller drops that pair).

    One link per terminal. All links of a node that use this group must be in one call
    (for intra-tier pairs pass nodes = [a, b], peers = [b, a]; see assign_link_terminals).
    previous: the terminal each row used before (-1 for new links): kept while it still
    sees the peer, so a continuing link is not re-pointed. The other rows get a maximum
    matching of rows to terminals, preferring the boresight closest to the peer."""
    nodes = np.asarray(nodes, dtype=np.int64)
    peers = np.asarray(peers, dtype=np.int64)
    if not len(nodes) or group.count == 0:
        return np.full(len(nodes), -1, dtype=np.int64)
    prev = np.full(len(nodes), -1, dtype=np.int64) if previous is None else np.asarray(previous, dtype=np.int64)
    start, rows = K.group_rows(nodes, int(nodes.max()) + 1)
    return K.terminals_for_rows(np.ascontiguousarray(pos_m, dtype=np.float64),
                                np.ascontiguousarray(vel_mps, dtype=np.float64), nodes, peers,
                                group.vectors, group.cos_for, prev, start, rows)


def assign_link_terminals(pos_m, vel_mps, a, b, a_group: TerminalGeometry, b_group: TerminalGeometry,
                          same_set: bool = False, previous: tuple[np.ndarray, np.ndarray] | None = None):
    """Terminals at both ends of links (a, b): (term_a, term_b), -1 where an end has none.
    same_set: both ends use the same group (intra-tier), so a node's links as `a` and as
    `b` share its terminals. previous: (term_a, term_b) per row from the last step."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    pa, pb = (None, None) if previous is None else previous
    if same_set:
        prev = None if previous is None else np.concatenate([pa, pb])
        both = assign_terminals(pos_m, vel_mps, np.concatenate([a, b]), np.concatenate([b, a]), a_group, prev)
        return both[:len(a)], both[len(a):]
    return (assign_terminals(pos_m, vel_mps, a, b, a_group, pa),
            assign_terminals(pos_m, vel_mps, b, a, b_group, pb))


def repoint_time_s(pos_m, vel_mps, node, old_peer, new_peer, group: TerminalGeometry,
                   terminal: np.ndarray | None = None) -> np.ndarray:
    """Time to slew a terminal of `node` from its line of sight to old_peer to the one to
    new_peer: angle / max slew rate (s), vectorised. The acquisition time is not included.
    Where old_peer < 0 (an idle terminal) the slew starts from the terminal's boresight
    when `terminal` is given, else it counts as 0; where new_peer < 0 it is 0."""
    node = np.atleast_1d(np.asarray(node, dtype=np.int64))
    old = np.broadcast_to(np.asarray(old_peer, dtype=np.int64), node.shape)
    new = np.broadcast_to(np.asarray(new_peer, dtype=np.int64), node.shape)
    angle = np.zeros(node.shape)
    both = (old >= 0) & (new >= 0)
    if both.any():
        angle[both] = los_angle_rad(pos_m, node[both], old[both], new[both])
    idle = (old < 0) & (new >= 0)
    if terminal is not None and idle.any():
        term = np.broadcast_to(np.asarray(terminal, dtype=np.int64), node.shape)[idle]
        axes = lvlh_axes(pos_m[node[idle]], vel_mps[node[idle]])
        bore = np.einsum("nij,ni->nj", axes, group.vectors[term])  # body -> inertial: R^T b
        los = pos_m[new[idle]] - pos_m[node[idle]]
        los /= np.linalg.norm(los, axis=1, keepdims=True)
        angle[idle] = np.arctan2(np.linalg.norm(np.cross(bore, los), axis=1), np.einsum("ij,ij->i", bore, los))
    with np.errstate(divide="ignore"):
        return np.where(angle > 0, angle / group.max_slew_rate_rad_s, 0.0)
