#ifndef NETSIM_WORKLOAD_HEADER_H
#define NETSIM_WORKLOAD_HEADER_H

#include "ns3/header.h"

#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief The 12 bytes that start every UDP segment of an inference request or response
 * (InferenceClient, ComputeServer): the workload, the request number within the run,
 * this segment's index and the message's segment count. Big endian on the wire.
 */
class WorkloadHeader : public Header
{
  public:
    static TypeId GetTypeId();
    TypeId GetInstanceTypeId() const override;

    static constexpr uint32_t SIZE = 12;

    /**
     * The UDP payload sizes of a message of `total` bytes (headers included, >= SIZE) in
     * segments of at most `segment` bytes (>= 2 SIZE): full segments, the rest last, and
     * a last segment shorter than the header takes bytes from the one before it.
     */
    static std::vector<uint32_t> Split(uint32_t total, uint32_t segment);

    void Set(uint32_t workload, uint32_t request, uint16_t segment, uint16_t segments);
    uint32_t GetWorkload() const;
    uint32_t GetRequest() const;
    uint16_t GetSegment() const;
    uint16_t GetSegments() const;

    uint32_t GetSerializedSize() const override;
    void Serialize(Buffer::Iterator start) const override;
    uint32_t Deserialize(Buffer::Iterator start) override;
    void Print(std::ostream& os) const override;

  private:
    uint32_t m_workload{0};
    uint32_t m_request{0};
    uint16_t m_segment{0};
    uint16_t m_segments{1};
};

} // namespace ns3

#endif
