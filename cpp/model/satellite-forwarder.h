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
 * @brief Forwards IPv4 packets between the laser terminals of a satellite by table lookup.
 *
 * A satellite that only relays needs no IP stack: the forwarder reads the destination
 * address, decrements the TTL and sends the packet out of the port the shared
 * ForwardingTable names for this node. Packets with no route or an expired TTL are
 * dropped and reported through the Drop trace source.
 */
class SatelliteForwarder : public Object
{
  public:
    static TypeId GetTypeId();

    /** Why a packet was dropped by the forwarder. */
    enum DropReason
    {
        DROP_NO_ROUTE = 0,   //!< no entry toward the destination
        DROP_TTL_EXPIRED = 1, //!< TTL reached zero (a transient loop)
        DROP_NOT_IPV4 = 2,    //!< not an IPv4 packet
        DROP_PORT_REFUSED = 3, //!< the next port refused it: link down or queue full
    };

    /** Attach to the table row `index` and to the node's laser ports, in port order. */
    void Setup(Ptr<ForwardingTable> table, uint32_t index, const std::vector<Ptr<LaserNetDevice>>& ports);

    /** Receive callback installed on each port. */
    bool Receive(Ptr<NetDevice> device, Ptr<const Packet> packet, uint16_t protocol, const Address& from);

    /** @return how many packets were dropped for a reason */
    uint64_t GetDropCount(DropReason reason) const;

    /**
     * Local delivery (satellite endpoints, netsim.traffic): packets whose destination
     * column is `dest` are handed to `deliver` (IPv4 header included) instead of being
     * forwarded. Used with a VirtualNetDevice that injects them into the node's stack.
     */
    void SetLocalDelivery(uint32_t dest, Callback<void, Ptr<Packet>> deliver);

    /**
     * Send a packet originated on this node (IPv4 header included) out of the port the
     * table names for its destination; the TTL is left as the stack set it.
     * @return false (and a counted drop) when there is no route or the port refuses it
     */
    bool SendLocal(Ptr<Packet> packet);

  protected:
    void DoDispose() override;

  private:
    Ptr<ForwardingTable> m_table;
    uint32_t m_index{0};
    std::vector<Ptr<LaserNetDevice>> m_ports;
    uint64_t m_drops[4]{0, 0, 0, 0};
    int64_t m_localDest{-1};
    Callback<void, Ptr<Packet>> m_localDeliver;

    TracedCallback<Ptr<const Packet>, uint8_t> m_forwardTrace;
    TracedCallback<Ptr<const Packet>, DropReason> m_dropTrace;
};

} // namespace ns3

#endif
