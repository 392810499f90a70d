#ifndef NETSIM_FORWARDING_TABLE_H
#define NETSIM_FORWARDING_TABLE_H

#include "ns3/ipv4-address.h"
#include "ns3/object.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ns3
{

/**
 * @brief Next-hop ports of every forwarding node toward every destination, one byte each.
 *
 * Routing runs in Python at each update interval and copies its result in whole rows
 * (SetRows: as cheap as a diff and without its index arrays). Destinations are the IPv4
 * addresses of traffic endpoints, numbered 0..n-1; a row per node keeps the lookup a
 * single array access.
 */
class ForwardingTable : public Object
{
  public:
    static TypeId GetTypeId();

    /** Port value meaning "no route": the packet is dropped. */
    static constexpr uint8_t NO_ROUTE = 0xFF;

    /** Size the table; every entry starts as NO_ROUTE. */
    void Resize(uint32_t nNodes, uint32_t nDestinations);
    /** Make packets addressed to addr use destination column dest. */
    void AddDestination(Ipv4Address addr, uint32_t dest);
    /** Overwrite rows [firstNode, firstNode + nNodes): ports is nNodes x nDestinations, row-major. */
    void SetRows(uint32_t firstNode, uint32_t nNodes, const uint8_t* ports);

    /** @return the destination column for addr, or -1 if addr is not an endpoint */
    int64_t FindDestination(Ipv4Address addr) const;
    uint8_t Lookup(uint32_t node, uint32_t dest) const;

    uint32_t GetNNodes() const;
    uint32_t GetNDestinations() const;

  private:
    uint32_t m_nNodes{0};
    uint32_t m_nDestinations{0};
    std::vector<uint8_t> m_port;
    std::unordered_map<uint32_t, uint32_t> m_destinationByAddress;
};

} // namespace ns3

#endif
