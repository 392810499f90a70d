"""Link assignment under laser terminal limits: which satellite pairs may link
now (range, line of sight, field of regard, slew rate), which of them get a link
(greedy matching under terminal counts, with hysteresis), which terminal serves each
link, and how long re-pointing takes. Body frames are in netsim.space.attitude; the algorithm
and its scale are described in docs/terminals.md.

    pairs = feasible_pairs(pos, vel, a_nodes, a_group, b_nodes, b_group, max_range_m,
                           earth_radius_m, grazing_altitude_m, same_set=...)
    a, b = match(*pairs, a_capacity, b_capacity, policy="nearest", keep=(old_a, old_b))
    term_a, term_b = assign_link_terminals(pos, vel, a, b, a_group, b_group, same_set=...)
    # or both steps, re-matching what no terminal could serve:
    a, b, term_a, term_b = assign_links(pos, vel, *pairs, a_group, b_group, a_cap, b_cap,
                                        keep=(old_a, old_b, old_term_a, old_term_b), same_set=...)
"""

from netsim.links.assignment.candidates import NeighbourCache, feasible_pairs
from netsim.links.assignment.links import assign_links
from netsim.links.assignment.matching import match
from netsim.links.assignment.terminals import (TerminalGeometry, assign_link_terminals, assign_terminals,
                                         repoint_time_s)

__all__ = ["TerminalGeometry", "NeighbourCache", "feasible_pairs", "match", "assign_terminals", "assign_link_terminals",
           "repoint_time_s", "assign_links"]
