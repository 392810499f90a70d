"""The netsim C++ core inside Python: find the built library, load it after ns-3, and
drive a LaserFabricHelper with numpy arrays (one call per batch, never per satellite)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

from netsim.core.ns3_loader import load_core_library

LIBRARY_NAME = "libnetsim-core.so"


def core_dir() -> Path:
    """Folder holding the built library and its headers (netsim/_core, from the install)."""
    spec = importlib.util.find_spec("netsim")
    for root in spec.submodule_search_locations or ():
        candidate = Path(root) / "_core"
        if (candidate / LIBRARY_NAME).is_file():
            return candidate
    # Editable installs keep compiled files in site-packages, beside the source tree.
    import sysconfig

    candidate = Path(sysconfig.get_paths()["platlib"]) / "netsim" / "_core"
    if (candidate / LIBRARY_NAME).is_file():
        return candidate
    raise RuntimeError(f"the netsim C++ core ({LIBRARY_NAME}) is not built: run pip install -e .")


@cache
def load_core():
    """ns-3 plus the netsim models; returns the `ns` namespace (ns.LaserFabricHelper, ...)."""
    folder = core_dir()
    ns = load_core_library(folder / LIBRARY_NAME, folder / "include", ["netsim-module.h"])
    # Long C++ calls let other Python threads run: the next routing snapshot is computed
    # while ns-3 moves this interval's packets (no Python code is called back from them).
    for call in (ns.NextHopSolver.Solve, ns.NextHopSolver.SolveBounded, ns.Simulator.Run):
        call.__release_gil__ = True
    return ns


def u32(values) -> np.ndarray:
    """A C-contiguous uint32 array, never empty (cppyy needs a valid pointer)."""
    arr = np.ascontiguousarray(values, dtype=np.uint32)
    return arr if arr.size else np.zeros(1, dtype=np.uint32)


def optical_link_model(ns, link_budget):
    """An ns3::OpticalLinkModel with the attributes of a LinkBudget (same formulas)."""
    model = ns.CreateObject[ns.OpticalLinkModel]()
    for name, value in link_budget.ns3_attributes().items():
        if name == "Receiver":
            continue
        if name == "Channels":
            model.SetAttribute(name, ns.UintegerValue(int(value)))
            continue
        model.SetAttribute(name, ns.DoubleValue(float(value)))
    model.SetAttribute("Receiver", ns.EnumValue[ns.OpticalLinkModel.Receiver](
        getattr(ns.OpticalLinkModel, link_budget.receiver.upper())))
    return model


class Fabric:
    """Python face of ns3::LaserFabricHelper: nodes, laser ports, links, ephemeris and
    forwarding state, all changed in bulk."""

    DEVICE_DROP_CAUSES = ("bit_errors", "link_down", "queue_full", "handover")
    FORWARDER_DROP_CAUSES = ("no_route", "ttl_expired", "not_ipv4", "port_refused")

    def __init__(self, ns, data_rate_gbps: float, queue_packets: int, link_budget=None, channels: int = 1):
        """link_budget: a netsim.links.link_budget.LinkBudget for every terminal, or None for
        ideal links; channels: the lane of every terminal (parallel channels at the rate)."""
        self.ns = ns
        self.helper = ns.LaserFabricHelper()
        self.helper.SetDeviceAttribute("DataRate", ns.DataRateValue(ns.DataRate(int(data_rate_gbps * 1e9))))
        self.helper.SetDeviceAttribute("TxQueueSize", ns.QueueSizeValue(ns.QueueSize(f"{queue_packets}p")))
        self.helper.SetDeviceAttribute("Channels", ns.UintegerValue(int(channels)))
        self.link_model = None
        if link_budget is not None:
            self.link_model = optical_link_model(ns, link_budget)
            self.helper.SetDeviceAttribute("LinkModel", ns.PointerValue(self.link_model))

    def drop_totals(self) -> dict[str, int]:
        device = np.zeros(len(self.DEVICE_DROP_CAUSES), dtype=np.uint64)
        forwarder = np.zeros(4, dtype=np.uint64)
        self.helper.GetDropTotals(device, forwarder)
        return {**{f"laser_{c}": int(v) for c, v in zip(self.DEVICE_DROP_CAUSES, device)},
                **{f"forwarder_{c}": int(v) for c, v in zip(self.FORWARDER_DROP_CAUSES, forwarder)}}

    def build_only_rank(self, rank: int) -> None:
        """A distributed run: laser devices only for this rank's nodes and the far ends of
        the links that reach them (call before creating nodes)."""
        self.helper.SetLocalSystemId(rank)

    def create_nodes(self, count: int, ports: int, relay: bool, rank: int = 0) -> None:
        """relay: satellites forward others' packets; ground stations (False) do not.
        rank: the MPI rank that runs them in a distributed run."""
        self.helper.CreateNodes(count, ports, relay, rank)

    def connect(self, node_a, port_a, node_b, port_b) -> None:
        n = len(node_a)
        if n:
            self.helper.Connect(u32(node_a), u32(port_a), u32(node_b), u32(port_b), n)

    def connect_acquiring(self, node_a, port_a, node_b, port_b, slew_a_s, slew_b_s, acquisition_s) -> None:
        """Connect links whose terminals first slew (each end) and acquire (both) before
        carrying packets; zero durations connect at once."""
        n = len(node_a)
        if n:
            f64 = [np.ascontiguousarray(x, dtype=np.float64) for x in (slew_a_s, slew_b_s, acquisition_s)]
            self.helper.ConnectWithAcquisition(u32(node_a), u32(port_a), u32(node_b), u32(port_b), *f64, n)

    def set_port_physics(self, nodes: range, ports: range, data_rate_gbps: float, link_budget=None,
                         channels: int = 1) -> None:
        """Ports `ports` of nodes `nodes` get their own line rate, lane width and optical
        model (link_budget None: ideal links, e.g. an RF ground segment); also ports created later."""
        if len(nodes) and len(ports):
            model = optical_link_model(self.ns, link_budget) if link_budget is not None else self.ns.cppyy.nullptr
            self.helper.SetPortPhysics(nodes.start, len(nodes), ports.start, len(ports),
                                       self.ns.DataRate(int(data_rate_gbps * 1e9)), model, int(channels))

    def set_background(self, node, port, rate_gbps, min_packet_share: float) -> None:
        """Fluid background load per port (all channels together): packets get what is
        left of the line rate, at least min_packet_share of it (0 Gbps: none)."""
        n = len(node)
        if n:
            self.helper.SetBackgroundRates(u32(node), u32(port), np.ascontiguousarray(rate_gbps, dtype=np.float64) * 1e9,
                                           n, float(min_packet_share))

    def clear_background_at(self, at_s: float) -> None:
        """Every port's background ends at simulation time at_s."""
        self.helper.ClearBackgroundAt(float(at_s))

    def set_blocked(self, node: int, port: int, start_s, end_s) -> None:
        """The link through a port is dark during [start_s[i], end_s[i]) (clouds)."""
        start = np.ascontiguousarray(start_s, dtype=np.float64)
        end = np.ascontiguousarray(end_s, dtype=np.float64)
        n = len(start)
        if not n:
            start = end = np.zeros(1)
        self.helper.SetBlockedIntervals(int(node), int(port), start, end, n)

    def disconnect(self, node, port) -> None:
        n = len(node)
        if n:
            self.helper.Disconnect(u32(node), u32(port), n)

    def set_ephemeris_window(self, start_s: float, step_s: float, pos_m: np.ndarray, vel_mps: np.ndarray) -> None:
        """pos_m, vel_mps: (samples, nodes, 3) arrays."""
        pos = np.ascontiguousarray(pos_m, dtype=np.float64)
        vel = np.ascontiguousarray(vel_mps, dtype=np.float64)
        self.helper.SetEphemerisWindow(start_s, step_s, pos.shape[0], pos, vel)

    def set_forwarding(self, ports: np.ndarray, graph=None, destinations: np.ndarray | None = None) -> None:
        """Next-hop ports of nodes 0..n-1 (satellites, then stations): (n, destinations)
        uint8, the routing result; with the graph it was computed on (a RouteGraph) and
        each column's node when bounded searches left entries UNSOLVED."""
        ports = np.ascontiguousarray(ports, dtype=np.uint8)
        if ports.size:
            self.helper.SetForwardingRows(0, ports.shape[0], ports)
        if graph is not None:
            # The table reads the graph's arrays in place (only to complete a bounded
            # column): keep them alive until the next call.
            self._route_graph = g = graph
            self.helper.GetForwardingTable().SetGraph(g.n_nodes, g.n_transit, g.row_start, g.cols, g.weight,
                                                      g.back_port, u32(destinations), len(destinations))

    def port(self, node: int, port: int):
        return self.helper.GetPort(node, port)
