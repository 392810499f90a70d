#include "laser-corruption-tag.h"

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(LaserCorruptionTag);

TypeId
LaserCorruptionTag::GetTypeId()
{
    static TypeId tid = TypeId("ns3::LaserCorruptionTag")
                            .SetParent<Tag>()
                            .SetGroupName("Netsim")
                            .AddConstructor<LaserCorruptionTag>();
    return tid;
}

TypeId
LaserCorruptionTag::GetInstanceTypeId() const
{
    return GetTypeId();
}

uint32_t
LaserCorruptionTag::GetSerializedSize() const
{
    return 1;
}

void
LaserCorruptionTag::Serialize(TagBuffer buffer) const
{
    buffer.WriteU8(m_corrupted ? 1 : 0);
}

void
LaserCorruptionTag::Deserialize(TagBuffer buffer)
{
    m_corrupted = buffer.ReadU8() != 0;
}

void
LaserCorruptionTag::Print(std::ostream& os) const
{
    os << "corrupted=" << m_corrupted;
}

bool
LaserCorruptionTag::IsCorrupted() const
{
    return m_corrupted;
}

void
LaserCorruptionTag::SetCorrupted(bool corrupted)
{
    m_corrupted = corrupted;
}

} // namespace ns3
