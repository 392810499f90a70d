#ifndef NETSIM_SATELLITE_FORWARDER_H
#define NETSIM_SATELLITE_FORWARDER_H

#include "forwarding-table.h"
#include "laser-net-device.h"

#include "ns3/callback.h"
#include "ns3/object.h"
#include "ns3/traced-callback.h"

#include <vector>

namespace ns3
{

/**
 * @brief Forwards IPv4 packets between the laser terminals of a node by table lookup.
 *
 * A satellite that only relays needs no IP stack: the forwarder reads the destination
 * address and sends the packet out of the port the shared ForwardingTable names for
 * this node. The fabric counts as one IP hop: the ingress satellite decrements the
 * IPv4 TTL, later satellites count hops in a FabricHopTag up to MaxHops (paths across
 * dense shells exceed 255 hops). Packets with no route or past their hop limit are
 * dropped and reported through the Drop trace source.
 *
 * A ground station has a forwarder too, as an end that never relays: its row of the
 * table picks, per destination, which of its ground links (ports) a packet leaves by,
 * and packets for it go up to its IP stack (SetLocalDelivery).
 */
class SatelliteForwarder : public Object
{
  public:
    static TypeId GetTypeId();

    /** Why a packet was dropped by the forwarder. */
    enum DropReason
    {
        DROP_NO_ROUTE = 0,   //!< no entry toward the destination
        DROP_TTL_EXPIRED = 1, //!< IPv4 TTL or fabric hop limit reached (a transient loop)
        DROP_NOT_IPV4 = 2,    //!< not an IPv4 packet
        DROP_PORT_REFUSED = 3, //!< the next port refused it: link down or queue full
    };

    /**
     * Attach to the table row `index` of a node with nPorts laser ports (none yet).
     * relay: the node forwards packets of others (a satellite); false for a ground
     * station, which only sends and receives its own.
     */
    void Setup(Ptr<ForwardingTable> table, uint32_t index, uint32_t nPorts, bool relay = true);
    /**
     * Take over a laser port as it is created (after Node::AddDevice, which installs the
     * node's own receive callback). A packet routed to a port that does not exist yet
     * (never connected) is dropped as having no route.
     */
    void SetPort(uint32_t port, Ptr<LaserNetDevice> device);

    /**
     * Forward a frame that arrived on a port (its LaserNetDevice::TakeOver, installed
     * by SetPort): it is this forwarder's to change, so it is not copied. In transit it
     * leaves framed as it came (only its FabricHopTag changes); it is unframed where it
     * enters or leaves the fabric, is traced by Forward or is dropped.
     */
    bool Forward(const Ptr<Packet>& frame, uint32_t label = LaserNetDevice::NO_LABEL);

    /** @return how many packets were dropped for a reason */
    uint64_t GetDropCount(DropReason reason) const;

    /**
     * @return packets this satellite handed to one of its ports (transit and locally
     * originated): its packet-hops. A packet the port refused is not counted, nor are
     * the packets of a node that does not relay (a ground station sending its own).
     */
    uint64_t GetForwardedCount() const;

    /**
     * Local delivery (satellite endpoints, netsim.run.traffic): packets whose destination
     * column is `dest` are handed to `deliver` (IPv4 header included) instead of being
     * forwarded. Used with a VirtualNetDevice that injects them into the node's stack.
     */
    void SetLocalDelivery(uint32_t dest, Callback<void, Ptr<Packet>> deliver);

    /**
     * Send a packet originated on this node (IPv4 header included) out of the port the
     * table names for its destination; the TTL is left as the stack set it (a ground
     * station's packet then loses one at the first satellite, its one IP hop).
     * @return false (and a counted drop) when there is no route or the port refuses it
     */
    bool SendLocal(Ptr<Packet> packet);

  protected:
    void DoDispose() override;

  private:
    /**
     * A datagram from a ground station enters the fabric (one IP hop): its IPv4 TTL goes
     * down by one and it gets a FabricHopTag counting this first satellite hop.
     */
    void EnterFabric(Ptr<Packet> p) const;
    /** Its LaserNetDevice::TakeOver: Forward. */
    static bool TakeOver(void* receiver, const Ptr<Packet>& frame, uint32_t label);
    /** Its TakeOverLookAhead: this forwarder, the table entry, the port (label: destination column). */
    static const void* LookAhead(const void* receiver, uint32_t label, uint32_t step, const void* state);
    /** Count and trace a drop of p; false. */
    bool Drop(Ptr<Packet> p, DropReason reason);
    /** After a port took (sent) or refused p: count the hop, or the refusal. */
    bool Handed(bool sent, const Ptr<Packet>& p);
    Ptr<ForwardingTable> m_table;
    uint32_t m_index{0};
    uint16_t m_maxHops{4096};
    bool m_relay{true};
    std::vector<Ptr<LaserNetDevice>> m_ports;
    uint64_t m_drops[4]{0, 0, 0, 0};
    uint64_t m_forwarded{0};
    int64_t m_localDest{-1};
    Callback<void, Ptr<Packet>> m_localDeliver;

    TracedCallback<Ptr<const Packet>, uint8_t> m_forwardTrace;
    TracedCallback<Ptr<const Packet>> m_localSendTrace;
    TracedCallback<Ptr<const Packet>> m_localDeliverTrace;
    TracedCallback<Ptr<const Packet>, DropReason> m_dropTrace;
};

} // namespace ns3

#endif
