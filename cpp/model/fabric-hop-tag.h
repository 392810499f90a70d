#ifndef NETSIM_FABRIC_HOP_TAG_H
#define NETSIM_FABRIC_HOP_TAG_H

#include "ns3/tag.h"

#include <cstdint>

namespace ns3
{

/**
 * @brief Satellite hops a packet has taken inside the laser fabric (packet tag).
 *
 * Paths across a dense shell run to hundreds of satellite hops, beyond what the 8-bit
 * IPv4 TTL can count. The fabric therefore acts as one IP hop (like an MPLS domain):
 * the ingress satellite decrements the IPv4 TTL once and tags the packet; every later
 * satellite counts its hop here and drops the packet past SatelliteForwarder::MaxHops.
 * A tag is simulation metadata: it is never serialised, so pcap files are unchanged.
 */
class FabricHopTag : public Tag
{
  public:
    static TypeId GetTypeId();
    TypeId GetInstanceTypeId() const override;
    uint32_t GetSerializedSize() const override;
    void Serialize(TagBuffer buffer) const override;
    void Deserialize(TagBuffer buffer) override;
    void Print(std::ostream& os) const override;

    uint16_t GetHops() const;
    void SetHops(uint16_t hops);

  private:
    uint16_t m_hops{0};
};

} // namespace ns3

#endif
