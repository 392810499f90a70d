"""The laser link budget as one table (`netsim link-budget`, `netsim.link_budget()`):
every dB term of one channel, BER, the lane, the ranges at which channels drop out, the
terminal's cost per Gbps-km and, for a ground link, the atmosphere's terms."""

from __future__ import annotations

import numpy as np


def budget_table(distance_km: float, laser, elevation_deg: float | None = None, atmosphere=None) -> dict:
    """Every term of the budget at a distance (and, with an elevation, through the
    atmosphere), BER, packet error rate, the lane, the ranges and the cost; the key
    `_budget` holds the LinkBudget used."""
    from netsim.links.atmosphere import ground_budget
    from netsim.links.link_budget import LinkBudget, terminal_cost_usd

    budget = LinkBudget.from_config(laser)
    sin_el = None
    if elevation_deg is not None:
        budget = ground_budget(budget, atmosphere)
        sin_el = float(np.sin(np.radians(elevation_deg)))
    distance_m = distance_km * 1e3
    table = {term: float(value) for term, value in budget.terms_db(distance_m, sin_elevation=sin_el)}
    transmittance = 1.0 if sin_el is None else float(budget.transmittance(sin_el))
    power = float(budget.received_power_w(distance_m)) * transmittance
    ber = float(budget.ber(power))
    table["received photons per bit"] = float(budget.photons_per_bit(power))
    table["photons per bit at the sensitivity"] = float(budget.photons_per_bit(budget.sensitivity_w()))
    table.update({"bit error rate": ber, "packet error rate, 1500 bytes": float(budget.packet_error_rate(ber, 1500))})
    if sin_el is not None:
        table["scintillation index (Rytov)"] = float(budget.rytov_variance(sin_el))
        table["fade probability at the margin"] = float(budget.fade_probability(table["margin (dB)"], sin_el))
    max_range = budget.max_range_m() * (np.sqrt(transmittance))
    cost = terminal_cost_usd(laser)
    table.update({"lane rate (Gbps)": budget.lane_gbps(), "channels": float(budget.channels),
                  "max range (km)": max_range / 1e3,
                  "channel ranges (km)": [(k, r * np.sqrt(transmittance) / 1e3) for k, r in budget.channel_ranges_m()],
                  "terminal cost (USD)": cost,
                  "cost per Gbps-km at max range (USD)": 2 * cost / (budget.lane_gbps() * max_range / 1e3),
                  "_budget": budget})
    return table
