#ifndef NETSIM_LASER_CORRUPTION_TAG_H
#define NETSIM_LASER_CORRUPTION_TAG_H

#include "ns3/tag.h"

namespace ns3
{

/**
 * @brief The receiver's verdict on a packet that crosses to another MPI rank (packet
 * tag): bit errors were drawn on the sending rank, which holds the link's random
 * streams, and travel with the packet to the rank of the receiving terminal.
 */
class LaserCorruptionTag : public Tag
{
  public:
    static TypeId GetTypeId();
    TypeId GetInstanceTypeId() const override;
    uint32_t GetSerializedSize() const override;
    void Serialize(TagBuffer buffer) const override;
    void Deserialize(TagBuffer buffer) override;
    void Print(std::ostream& os) const override;

    bool IsCorrupted() const;
    void SetCorrupted(bool corrupted);

  private:
    bool m_corrupted{false};
};

} // namespace ns3

#endif
