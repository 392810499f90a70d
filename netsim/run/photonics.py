"""What a run's laser terminals amount to (manifest `photonics`): the lane, the usable
ISL range, how many of the fabric's ISLs that range keeps up at the start, their
capacity-distance product and the terminals' cost per Gbps-km (docs/photonics.md)."""

from __future__ import annotations

import numpy as np

from netsim.links.link_budget import terminal_cost_usd
from netsim.scenario.model import Scenario
from netsim.space.geometry import line_of_sight


def photonics_summary(scenario: Scenario, states) -> dict:
    laser = scenario.laser
    budget = states.budget
    lane_gbps = laser.channels * laser.data_rate_gbps
    cost = terminal_cost_usd(laser)
    out = {"receiver": laser.receiver.type, "channels": laser.channels, "lane_gbps": lane_gbps,
           "tx_power_w": laser.tx_power_w, "terminal_cost_usd": cost,
           "isl_range_km": round(budget.max_range_m() / 1e3, 3) if budget is not None else None,
           "sensitivity_dbm": round(float(10 * np.log10(budget.sensitivity_w() * 1e3)), 3) if budget else None}
    isl = states.isl
    if not len(isl):
        return out
    pos, _ = states.positions(0.0)
    length = np.linalg.norm(pos[isl.node_b] - pos[isl.node_a], axis=-1)
    up = line_of_sight(pos[isl.node_a], pos[isl.node_b], states.earth_radius_m,
                       scenario.constellation.grazing_altitude_km * 1e3)
    if budget is not None:
        up &= budget.usable(length)
    tier_of_link = states.layout.tier_of[isl.node_a]
    for ti, tier in enumerate(scenario.constellation.tiers):
        mine = tier_of_link == ti
        if mine.any():
            out[f"isl_up_fraction_{tier.name}"] = round(float(up[mine].mean()), 6)
            out[f"isl_length_km_{tier.name}"] = round(float(length[mine].mean() / 1e3), 3)
    km = float(length[up].sum() / 1e3)
    out.update(isl_links=int(len(isl)), isl_links_up=int(up.sum()), isl_up_fraction=round(float(up.mean()), 6),
               capacity_gbps_km=round(lane_gbps * km, 3),
               # Two terminals per link; cost over the capacity-distance product of the links up.
               cost_per_gbps_km=round(2 * cost * int(up.sum()) / (lane_gbps * km), 9) if km > 0 else None)
    return out
