#ifndef NETSIM_LASER_FABRIC_HELPER_H
#define NETSIM_LASER_FABRIC_HELPER_H

#include "drop-classifier.h"
#include "ephemeris-store.h"
#include "forwarding-table.h"
#include "ns3/ipv4-address.h"
#include "laser-channel.h"
#include "laser-net-device.h"
#include "ns3/node-container.h"
#include "ns3/object-factory.h"
#include "pcapng-writer.h"
#include "satellite-forwarder.h"
#include "ns3/trace-helper.h"
#include "ns3/virtual-net-device.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace ns3
{

/**
 * @brief Builds and drives a fabric of satellites and ground stations joined by laser
 * links, in bulk.
 *
 * Nodes are numbered 0..n-1 in the order they are created (satellites first, then
 * ground stations); each has a fixed number of laser ports. A port's LaserNetDevice is
 * created when the port is first used (connected, traced or asked for): most terminals
 * of a mega-constellation never point at anyone during a run, and a satellite that only
 * forwards should cost as little as possible (docs/scaling.md). Every call that changes
 * state takes arrays, so Python changes thousands of links or forwarding entries in one
 * call rather than one call per satellite.
 */
class LaserFabricHelper : public PcapHelperForDevice
{
  public:
    /** Called for each laser port as its device is created: node, port, device. */
    typedef Callback<void, uint32_t, uint32_t, Ptr<LaserNetDevice>> PortCallback;

    LaserFabricHelper();

    /** Set an attribute of every LaserNetDevice created afterwards. */
    void SetDeviceAttribute(std::string name, const AttributeValue& value);

    /**
     * Create n nodes, each with an ephemeris row, `ports` laser ports and a
     * SatelliteForwarder on its row of the forwarding table. Satellites relay (relay =
     * true); ground stations (relay = false) only pick the port their own packets leave
     * by, and get an IP stack later (InstallEndpointStack). systemId: the MPI rank that
     * owns them in a distributed run (every rank creates every node; see SetLocalSystemId).
     * @return the new nodes
     */
    NodeContainer CreateNodes(uint32_t n, uint32_t ports, bool relay, uint32_t systemId = 0);

    /**
     * A distributed run: build laser devices only for rank systemId's nodes and for the
     * far ends of links that reach them (proxies that hand packets to MPI). A link
     * between two other ranks' nodes leaves no device here; its ports only take the
     * interface index they get on their own rank (the MPI address of a terminal), so
     * every rank must make the same port calls in the same order.
     */
    void SetLocalSystemId(uint32_t systemId);

    /** Size the forwarding table after all nodes exist. */
    void SetDestinationCount(uint32_t nDestinations);

    /**
     * Make a node a traffic endpoint while its laser ports stay with its forwarder: an
     * IPv4 stack on the node, a VirtualNetDevice with addr/32 and the default route. The
     * device sends through the forwarder's table lookup (which picks the port per
     * destination), and the forwarder hands packets for column `dest` up to it. addr
     * becomes forwarding destination `dest`. Used for every ground station and for
     * satellites that end a flow.
     */
    Ptr<VirtualNetDevice> InstallEndpointStack(uint32_t node, Ipv4Address addr, uint32_t dest);

    /** Connect n port pairs (nodeA[i], portA[i]) <-> (nodeB[i], portB[i]). */
    void Connect(const uint32_t* nodeA,
                 const uint32_t* portA,
                 const uint32_t* nodeB,
                 const uint32_t* portB,
                 uint32_t n);
    /**
     * Connect n port pairs that must first point and acquire: each end slews for its
     * slew time (s), then both acquire for acquisitionS; the link is dark until then.
     */
    void ConnectWithAcquisition(const uint32_t* nodeA,
                                const uint32_t* portA,
                                const uint32_t* nodeB,
                                const uint32_t* portB,
                                const double* slewA,
                                const double* slewB,
                                const double* acquisitionS,
                                uint32_t n);
    /**
     * Give ports [firstPort, firstPort + nPorts) of nodes [firstNode, firstNode + nNodes)
     * another line rate, lane width and optical model (null: an ideal link), e.g. a
     * terminal group with its own tracking jitter, the ground terminals of an RF ground
     * segment or optical ground terminals with an atmosphere. Applies to the ports that
     * exist and to those created later; later calls win.
     */
    void SetPortPhysics(uint32_t firstNode,
                        uint32_t nNodes,
                        uint32_t firstPort,
                        uint32_t nPorts,
                        DataRate rate,
                        Ptr<OpticalLinkModel> model,
                        uint32_t channels = 1);
    /**
     * The link through a port is dark during [startS[i], endS[i]) (clouds over a ground
     * station); replaces the port's earlier intervals.
     */
    void SetBlockedIntervals(uint32_t node, uint32_t port, const double* startS, const double* endS, uint32_t n);
    /**
     * Background load of ports in bulk (bit/s, all channels together): ports that do not
     * exist yet carry no packets and are skipped; 0 clears a port's background.
     */
    void SetBackgroundRates(const uint32_t* node, const uint32_t* port, const double* bps, uint64_t n,
                            double minPacketShare);
    /** Clear every port's background at simulation time atS (when the traffic stops). */
    void ClearBackgroundAt(double atS);
    /** Call watcher for every port that exists now and every port created later. */
    void WatchPorts(PortCallback watcher);
    /** Count the losses of every port and forwarder, now and later, per flow and cause. */
    void WatchDrops(Ptr<DropClassifier> classifier);
    /**
     * Count every packet still inside the fabric with the classifier: frames waiting in
     * the transmit queues of all ports and packets on their way over all laser channels.
     * queued and onChannels get the totals.
     */
    void CountInFlight(Ptr<DropClassifier> classifier, uint64_t* queued, uint64_t* onChannels) const;
    /** Disconnect the links on n ports (and their peers). */
    void Disconnect(const uint32_t* node, const uint32_t* port, uint32_t n);

    /** Replace the ephemeris window; see EphemerisStore::SetWindow. */
    void SetEphemerisWindow(double startS,
                            double stepS,
                            uint32_t nSamples,
                            const double* posM,
                            const double* velMps);

    /** Overwrite whole forwarding rows; see ForwardingTable::SetRows. */
    void SetForwardingRows(uint32_t firstNode, uint32_t nNodes, const uint8_t* ports);

    /**
     * Totals over the fabric: device drops by LaserNetDevice::DropCause (4 entries)
     * and forwarder drops by SatelliteForwarder::DropReason (4 entries).
     */
    void GetDropTotals(uint64_t* deviceDrops, uint64_t* forwarderDrops) const;

    /**
     * @return packet-hops so far: packets the satellites' forwarders handed to a laser
     * port, summed over the fabric (SatelliteForwarder::GetForwardedCount). A packet
     * crossing k satellites counts k, whether or not it arrives.
     */
    uint64_t GetPacketHops() const;

    /**
     * Per created port (node order, then port order): node, port, frames and bytes the
     * laser sent, and drops by LaserNetDevice::DropCause (N_DROP_CAUSES per row). The
     * arrays hold GetNCreatedPorts() rows.
     */
    void CopyPortCounters(uint32_t* node,
                          uint32_t* port,
                          uint64_t* frames,
                          uint64_t* bytes,
                          uint64_t* drops) const;
    /** @return how many laser devices exist (ports created so far) */
    uint64_t GetNCreatedPorts() const;

    Ptr<Node> GetNode(uint32_t node) const;
    /** @return the device of a port, created on first use */
    Ptr<LaserNetDevice> GetPort(uint32_t node, uint32_t port);
    uint32_t GetNPorts(uint32_t node) const;
    uint32_t GetNNodes() const;
    Ptr<EphemerisStore> GetEphemerisStore() const;
    Ptr<ForwardingTable> GetForwardingTable() const;
    /** @return the forwarder of a node */
    Ptr<SatelliteForwarder> GetForwarder(uint32_t node) const;

    /**
     * Options of the captures enabled afterwards (EnableCapture, EnablePcap): the
     * capture time of simulation time 0 (since 1970-01-01 UTC), the snap length, the
     * names of IPv4 addresses (host byte order) for each file's Name Resolution Block,
     * and a comment for each file's interface.
     */
    void SetCaptureOptions(Time epoch,
                           uint32_t snapLength,
                           const std::vector<uint32_t>& addresses,
                           const std::vector<std::string>& names,
                           std::string comment);
    /**
     * Write the frames sent and received on a laser port to a new pcapng file
     * folder/file (PcapNgWriter): created, never overwritten nor written through a
     * symlink. In a distributed run only the node's rank writes it (the others return "").
     * @return "" when the file was created, else what went wrong
     */
    std::string EnableCapture(uint32_t node,
                              uint32_t port,
                              std::string folder,
                              std::string file,
                              std::string ifName,
                              std::string ifDescription);
    /** @return the first capture that failed to write ("" when none did) */
    std::string GetCaptureError() const;
    /** Flush and close every capture; @return the first capture error ("" when none) */
    std::string CloseCaptures();

  private:
    void EnablePcapInternal(std::string prefix,
                            Ptr<NetDevice> nd,
                            bool promiscuous,
                            bool explicitFilename) override;

    /** Seed of the random stream of one link end, from the run number. */
    static uint64_t StreamSeed(uint32_t node, uint32_t port);
    /** Connect two ports, reusing a released channel when there is one. */
    void ConnectPorts(Ptr<LaserNetDevice> a, Ptr<LaserNetDevice> b);
    /** Create the device of a port: address, random stream, physics, forwarder, watchers. */
    Ptr<LaserNetDevice> CreatePort(uint32_t node, uint32_t port);
    /** Abort on a port the node does not have. */
    void CheckPort(uint32_t node, uint32_t port) const;
    /** @return whether a node's ports are built here (always, outside a distributed run) */
    bool IsLocal(uint32_t node) const;
    /**
     * @return the interface index a port of another rank's node has on its rank: the
     * node's devices here (its IP stack, built on every rank) plus its laser ports used
     * so far, fixed at the port's first use.
     */
    uint32_t RemoteIfIndex(uint32_t node, uint32_t port);
    /**
     * The devices of a link's two ends, connected (a distributed run: null, null when
     * neither end is this rank's; their old links, to this rank, are broken as there).
     */
    std::pair<Ptr<LaserNetDevice>, Ptr<LaserNetDevice>> Link(uint32_t nodeA, uint32_t portA, uint32_t nodeB,
                                                              uint32_t portB);
    /** Break the link of a device, keeping its channel for reuse. */
    void Release(Ptr<LaserNetDevice> dev);

    /** A SetPortPhysics call, kept for ports created later. */
    struct PortPhysics
    {
        uint32_t firstNode, nNodes, firstPort, nPorts;
        DataRate rate;
        Ptr<OpticalLinkModel> model;
        uint32_t channels;
    };

    ObjectFactory m_deviceFactory;
    std::vector<PortPhysics> m_physics;
    std::vector<PortCallback> m_portWatchers;
    uint64_t m_nCreatedPorts{0};
    Ptr<EphemerisStore> m_store;
    Ptr<ForwardingTable> m_table;
    NodeContainer m_nodes;
    std::vector<std::vector<Ptr<LaserNetDevice>>> m_ports; // null until created
    /** Distributed run: this rank; other ranks' ports' interface indices (0: unused yet). */
    bool m_partial{false};
    uint32_t m_localSystemId{0};
    std::vector<std::vector<uint16_t>> m_remoteIfIndex; // index + 1
    std::vector<uint16_t> m_nRemotePorts;
    std::vector<Ptr<SatelliteForwarder>> m_forwarders;
    /** Captures (EnableCapture, EnablePcap) and their options. */
    std::vector<Ptr<PcapNgWriter>> m_captures;
    Time m_captureEpoch;
    uint32_t m_captureSnapLength{65535};
    std::vector<uint32_t> m_captureAddresses;
    std::vector<std::string> m_captureNames;
    std::string m_captureComment;
    /** Channels released by Disconnect, reused because ns-3 never frees a Channel. */
    std::vector<Ptr<LaserChannel>> m_freeChannels;
};

} // namespace ns3

#endif
