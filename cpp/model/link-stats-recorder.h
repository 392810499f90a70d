#ifndef NETSIM_LINK_STATS_RECORDER_H
#define NETSIM_LINK_STATS_RECORDER_H

#include "laser-net-device.h"

#include "ns3/object.h"
#include "ns3/packet.h"

#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief Per laser port: frames and bytes the laser sent (PhyTxBegin, PPP framing
 * included) and packets lost by cause (the device's Drop trace), for utilisation and
 * queue-drop tables. Reads trace sources only; the devices are not changed.
 */
class LinkStatsRecorder : public Object
{
  public:
    static TypeId GetTypeId();
    static constexpr uint32_t MAX_CAUSES = 8;

    /** Count a port; @return its row */
    uint32_t Attach(Ptr<LaserNetDevice> device);
    uint32_t GetN() const;
    /**
     * Copy GetN() rows: packets and bytes sent; drops as GetN() x MAX_CAUSES, row-major,
     * indexed by LaserNetDevice::DropCause.
     */
    void Copy(uint64_t* packets, uint64_t* bytes, uint64_t* drops) const;

  private:
    void Sent(uint32_t row, Ptr<const Packet> packet);
    void Dropped(uint32_t row, Ptr<const Packet> packet, LaserNetDevice::DropCause cause);

    std::vector<uint64_t> m_packets;
    std::vector<uint64_t> m_bytes;
    std::vector<uint64_t> m_drops;
};

} // namespace ns3

#endif
