#include "workload-header.h"

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(WorkloadHeader);

TypeId
WorkloadHeader::GetTypeId()
{
    static TypeId tid = TypeId("ns3::WorkloadHeader")
                            .SetParent<Header>()
                            .SetGroupName("Netsim")
                            .AddConstructor<WorkloadHeader>();
    return tid;
}

TypeId
WorkloadHeader::GetInstanceTypeId() const
{
    return GetTypeId();
}

std::vector<uint32_t>
WorkloadHeader::Split(uint32_t total, uint32_t segment)
{
    const uint32_t n = total <= segment ? 1 : (total + segment - 1) / segment;
    std::vector<uint32_t> sizes(n, segment);
    sizes.back() = total - (n - 1) * segment;
    if (n > 1 && sizes.back() < SIZE)
    {
        sizes[n - 2] -= SIZE - sizes.back();
        sizes.back() = SIZE;
    }
    return sizes;
}

void
WorkloadHeader::Set(uint32_t workload, uint32_t request, uint16_t segment, uint16_t segments)
{
    m_workload = workload;
    m_request = request;
    m_segment = segment;
    m_segments = segments;
}

uint32_t
WorkloadHeader::GetWorkload() const
{
    return m_workload;
}

uint32_t
WorkloadHeader::GetRequest() const
{
    return m_request;
}

uint16_t
WorkloadHeader::GetSegment() const
{
    return m_segment;
}

uint16_t
WorkloadHeader::GetSegments() const
{
    return m_segments;
}

uint32_t
WorkloadHeader::GetSerializedSize() const
{
    return SIZE;
}

void
WorkloadHeader::Serialize(Buffer::Iterator start) const
{
    start.WriteHtonU32(m_workload);
    start.WriteHtonU32(m_request);
    start.WriteHtonU16(m_segment);
    start.WriteHtonU16(m_segments);
}

uint32_t
WorkloadHeader::Deserialize(Buffer::Iterator start)
{
    m_workload = start.ReadNtohU32();
    m_request = start.ReadNtohU32();
    m_segment = start.ReadNtohU16();
    m_segments = start.ReadNtohU16();
    return SIZE;
}

void
WorkloadHeader::Print(std::ostream& os) const
{
    os << "workload=" << m_workload << " request=" << m_request << " segment=" << m_segment << "/"
       << m_segments;
}

} // namespace ns3
