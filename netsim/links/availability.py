"""Per-link availability over a run: how long each link carried traffic and how long it
was dark (slewing/acquiring), for the links.csv table of the run folder."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

LINK_COLUMNS = ("kind", "node_a", "port_a", "node_b", "port_b", "up_s", "dark_s", "availability")


class LinkAvailability:
    """Accumulates, per routing interval, the up and dark time of every link."""

    def __init__(self, n_isl: int):
        self.isl_up_s = np.zeros(n_isl)
        self.isl_dark_s = np.zeros(n_isl)
        self.other: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])

    def add_interval(self, start_s: float, stop_s: float, isl_up: np.ndarray, isl_ready_s: np.ndarray,
                     other_links) -> None:
        """other_links: (kind, node a, port a, node b, port b, ready time s) of the ground
        and assigned links present during the interval."""
        length = stop_s - start_s
        dark = np.clip(isl_ready_s - start_s, 0.0, length) * isl_up
        self.isl_dark_s += dark
        self.isl_up_s += isl_up * length - dark
        for kind, a, pa, b, pb, ready_s in other_links:
            dark_s = min(max(ready_s - start_s, 0.0), length)
            entry = self.other[(kind, a, pa, b, pb)]
            entry[0] += length - dark_s
            entry[1] += dark_s

    def rows(self, isl, names, duration_s: float):
        """Rows one at a time: the seed fabric has millions of links."""
        for i in range(len(self.isl_up_s)):
            yield _link_row("isl", names[isl.node_a[i]], int(isl.port_a[i]), names[isl.node_b[i]],
                            int(isl.port_b[i]), self.isl_up_s[i], self.isl_dark_s[i], duration_s)
        for (kind, a, pa, b, pb), (up_s, dark_s) in sorted(self.other.items()):
            yield _link_row(kind, names[a], pa, names[b], pb, up_s, dark_s, duration_s)


def _link_row(kind, a, pa, b, pb, up_s, dark_s, duration_s) -> dict:
    return dict(zip(LINK_COLUMNS, (kind, a, pa, b, pb, float(up_s), float(dark_s), float(up_s) / duration_s)))
