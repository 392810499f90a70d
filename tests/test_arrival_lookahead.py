"""Labels and the event queue's look-ahead. A transit frame arrives labelled with the
destination column its last hop forwarded it by; the forwarder sends a labelled frame
out of the same port as when it reads the frame's headers. The take-over look-ahead
(LaserNetDevice::LookAheadTakeOver), given the label, names the terminal whose link leads
to the next node of the shortest path (networkx on the same graph), and names none where
the forwarder will not relay (no label, no route, the frame's own destination, a ground
end). The look-ahead only fetches into the cache; what it names is what it fetches for."""

from __future__ import annotations

import functools

import networkx as nx
import numpy as np

from netsim.core.fabric import Fabric, load_core
from netsim.routing.solver import NO_ROUTE

ROWS, COLS, PORTS = 5, 6, 4


@functools.cache
def _lookahead():
    ns = load_core()
    ns.cppyy.include("ns3/ppp-header.h")
    ns.cppyy.include("ns3/ipv4-header.h")
    ns.cppyy.cppdef("""
    namespace netsim_test_lookahead {
    // The peer node the look-ahead's last step leads to (-1: it names no port).
    int64_t LeadsTo(ns3::Ptr<ns3::LaserNetDevice> arriving, uint32_t label)
    {
        const void* state = nullptr;
        for (uint32_t step = 0; step < ns3::LaserNetDevice::TAKE_OVER_LOOK_AHEAD_STEPS; ++step)
        {
            state = arriving->LookAheadTakeOver(label, step, state);
            if (!state)
            {
                return -1;
            }
        }
        auto* leaving = const_cast<ns3::LaserNetDevice*>(static_cast<const ns3::LaserNetDevice*>(state));
        auto channel = ns3::DynamicCast<ns3::LaserChannel>(leaving->GetChannel());
        return channel ? int64_t(channel->GetPeer(leaving)->GetNodeId()) : -2;
    }
    void DeliverLocally(ns3::Ptr<ns3::SatelliteForwarder> forwarder, uint32_t dest)
    {
        forwarder->SetLocalDelivery(dest, ns3::MakeNullCallback<void, ns3::Ptr<ns3::Packet>>());
    }
    // Hand `forwarder` a transit frame (PPP + IPv4 to `to`, one fabric hop so far) with
    // `label`; @return the index in `ports` of the terminal that sent it (-1: none).
    int Forwards(ns3::Ptr<ns3::SatelliteForwarder> forwarder, std::vector<ns3::Ptr<ns3::LaserNetDevice>> ports,
                 uint32_t to, uint32_t label)
    {
        // A terminal took the frame: onto the wire, or into its queue behind the last one.
        auto taken = [](const ns3::Ptr<ns3::LaserNetDevice>& p) {
            auto queue = p->GetQueueIfCreated();
            return p->GetTxFrames() + (queue ? queue->GetNPackets() : 0);
        };
        std::vector<uint64_t> before;
        for (auto& p : ports) { before.push_back(taken(p)); }
        auto frame = ns3::Create<ns3::Packet>(100);
        ns3::Ipv4Header ip;
        ip.SetSource(ns3::Ipv4Address("10.0.0.1"));
        ip.SetDestination(ns3::Ipv4Address(to));
        ip.SetProtocol(17);
        ip.SetTtl(63);
        ip.SetPayloadSize(100);
        frame->AddHeader(ip);
        ns3::PppHeader ppp;
        ppp.SetProtocol(0x0021);
        frame->AddHeader(ppp);
        ns3::FabricHopTag hops;
        hops.SetHops(1);
        frame->AddPacketTag(hops);
        forwarder->Forward(frame, label);
        for (std::size_t i = 0; i < ports.size(); ++i)
        {
            if (taken(ports[i]) != before[i]) { return int(i); }
        }
        return -1;
    }
    }
    """)
    return ns, ns.cppyy.gbl.netsim_test_lookahead


def _torus(ns):
    """A 5 x 6 torus of relaying nodes (ports 0-3: east, west, south, north), random lengths."""
    fabric = Fabric(ns, data_rate_gbps=10, queue_packets=100)
    n = ROWS * COLS
    fabric.create_nodes(n, PORTS, relay=True)
    graph = nx.Graph()
    port_to = {}
    rng = np.random.default_rng(3)
    a, pa, b, pb = [], [], [], []
    for r in range(ROWS):
        for c in range(COLS):
            u = r * COLS + c
            for v, pu, pv in ((r * COLS + (c + 1) % COLS, 0, 1), (((r + 1) % ROWS) * COLS + c, 2, 3)):
                a.append(u), pa.append(pu), b.append(v), pb.append(pv)
                graph.add_edge(u, v, weight=float(rng.uniform(1.0, 2.0)))
                port_to[u, pu], port_to[v, pv] = v, u
    fabric.connect(np.array(a), np.array(pa), np.array(b), np.array(pb))
    # Nodes 1,000 km apart on a line, still: a frame sent needs its ends' positions.
    pos = np.zeros((2, n, 3))
    pos[:, :, 0] = 7.0e6
    pos[:, :, 1] = np.arange(n) * 1.0e6
    fabric.set_ephemeris_window(0.0, 10.0, pos, np.zeros_like(pos))
    return fabric, graph, port_to


def test_the_lookahead_names_the_port_of_the_shortest_path():
    ns, test = _lookahead()
    fabric, graph, port_to = _torus(ns)
    n = graph.number_of_nodes()
    destinations = [0, 7, 13, 22, 29]
    ports = np.full((n, len(destinations)), NO_ROUTE, np.uint8)
    expected = {}
    for column, t in enumerate(destinations):
        paths = nx.single_source_dijkstra_path(graph, t)  # undirected: t -> u reversed is u -> t
        for u, path in paths.items():
            if u != t:
                nxt = path[-2]
                ports[u, column] = next(p for p in range(PORTS) if port_to[u, p] == nxt)
                expected[u, column] = nxt
    fabric.helper.SetDestinationCount(len(destinations))
    fabric.set_forwarding(ports)
    node_id = [fabric.port(u, 0).GetNodeId() for u in range(n)]  # ns-3's ids count every test's nodes
    checked = 0
    for u in range(n):
        for arrival_port in range(PORTS):
            arriving = fabric.port(u, arrival_port)
            for column, t in enumerate(destinations):
                leads_to = test.LeadsTo(arriving, column)
                assert leads_to == (-1 if u == t else node_id[expected[u, column]]), (u, arrival_port, t)
                checked += u != t
    assert checked == (n - 1) * len(destinations) * PORTS

    # Where Forward will not send the frame on, the look-ahead names no port.
    some = fabric.port(8, 0)
    assert test.LeadsTo(some, ns.LaserNetDevice.NO_LABEL) == -1  # the sender gave no label
    assert test.LeadsTo(some, len(destinations)) == -1  # a column past the table
    fabric.helper.SetForwardingRows(8, 1, np.full((1, len(destinations)), NO_ROUTE, np.uint8))
    assert test.LeadsTo(some, 1) == -1  # no route
    test.DeliverLocally(fabric.helper.GetForwarder(9), 2)
    assert test.LeadsTo(fabric.port(9, 1), 2) == -1  # the frame is for this node
    assert test.LeadsTo(fabric.port(9, 1), 3) == node_id[expected[9, 3]]


def test_a_ground_end_names_no_port():
    ns, test = _lookahead()
    fabric = Fabric(ns, data_rate_gbps=10, queue_packets=100)
    fabric.create_nodes(2, 2, relay=True)
    fabric.create_nodes(1, 1, relay=False)  # node 2: an end that relays nothing
    fabric.connect(np.array([0, 2]), np.array([0, 0]), np.array([1, 1]), np.array([0, 1]))
    fabric.helper.SetDestinationCount(1)
    fabric.set_forwarding(np.array([[0], [0], [0]], np.uint8))
    assert test.LeadsTo(fabric.port(0, 0), 0) == fabric.port(1, 0).GetNodeId()
    assert test.LeadsTo(fabric.port(2, 0), 0) == -1


def test_a_labelled_frame_leaves_by_the_port_its_headers_name():
    ns, test = _lookahead()
    fabric, graph, port_to = _torus(ns)
    n = graph.number_of_nodes()
    destinations = [3, 11, 24]
    ports = np.full((n, len(destinations)), NO_ROUTE, np.uint8)
    for column, t in enumerate(destinations):
        for u, path in nx.single_source_dijkstra_path(graph, t).items():
            if u != t:
                ports[u, column] = next(p for p in range(PORTS) if port_to[u, p] == path[-2])
    helper = fabric.helper
    helper.SetDestinationCount(len(destinations))
    table = helper.GetForwardingTable()
    for column in range(len(destinations)):
        table.AddDestination(ns.Ipv4Address(0x0A640000 + column), column)
    fabric.set_forwarding(ports)
    for u in range(n):
        forwarder = helper.GetForwarder(u)
        devices = ns.cppyy.gbl.std.vector["ns3::Ptr<ns3::LaserNetDevice>"]([fabric.port(u, p) for p in range(PORTS)])
        for column, t in enumerate(destinations):
            if u == t:
                continue
            by_headers = test.Forwards(forwarder, devices, 0x0A640000 + column, ns.LaserNetDevice.NO_LABEL)
            by_label = test.Forwards(forwarder, devices, 0x0A640000 + column, column)
            assert by_label == by_headers == ports[u, column], (u, t)
    ns.Simulator.Destroy()  # the frames' arrivals were scheduled, never run
