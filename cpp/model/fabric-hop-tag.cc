#include "fabric-hop-tag.h"

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(FabricHopTag);

TypeId
FabricHopTag::GetTypeId()
{
    static TypeId tid = TypeId("ns3::FabricHopTag")
                            .SetParent<Tag>()
                            .SetGroupName("Netsim")
                            .AddConstructor<FabricHopTag>();
    return tid;
}

TypeId
FabricHopTag::GetInstanceTypeId() const
{
    return GetTypeId();
}

uint32_t
FabricHopTag::GetSerializedSize() const
{
    return sizeof(m_hops);
}

void
FabricHopTag::Serialize(TagBuffer buffer) const
{
    buffer.WriteU16(m_hops);
}

void
FabricHopTag::Deserialize(TagBuffer buffer)
{
    m_hops = buffer.ReadU16();
}

void
FabricHopTag::Print(std::ostream& os) const
{
    os << "fabric hops=" << m_hops;
}

uint16_t
FabricHopTag::GetHops() const
{
    return m_hops;
}

void
FabricHopTag::SetHops(uint16_t hops)
{
    m_hops = hops;
}

} // namespace ns3
