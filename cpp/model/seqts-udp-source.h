#ifndef NETSIM_SEQTS_UDP_SOURCE_H
#define NETSIM_SEQTS_UDP_SOURCE_H

#include "ns3/address.h"
#include "ns3/application.h"
#include "ns3/event-id.h"
#include "ns3/nstime.h"
#include "ns3/random-variable-stream.h"
#include "ns3/socket.h"
#include "ns3/traced-callback.h"

namespace ns3
{

/**
 * @brief UDP source whose every payload starts with a SeqTsHeader (uint32 sequence,
 * uint64 send time), like UdpClient, but with on/off periods or bursts.
 *
 * On/off (BurstPackets = 0): on for OnTime, sending one packet every Interval, then
 * silent for OffTime; both are random variables (constant or exponential).
 * Bursts (BurstPackets = n > 0): every BurstPeriod, n packets spaced Interval apart
 * (Interval 0: back to back, the device queue spaces them at the line rate).
 * The sequence number runs over the whole flow, so receivers see loss across periods.
 */
class SeqTsUdpSource : public Application
{
  public:
    static TypeId GetTypeId();
    SeqTsUdpSource();
    ~SeqTsUdpSource() override;

    /** @return packets sent so far */
    uint64_t GetSent() const;

  protected:
    void DoDispose() override;

  private:
    void StartApplication() override;
    void StopApplication() override;
    void StartOn();
    void StartBurst();
    void SendOne();
    void SendInOnPeriod();
    void SendInBurst(uint32_t left);

    Address m_peer;
    uint32_t m_size{1000};
    Time m_interval;
    Ptr<RandomVariableStream> m_onTime;
    Ptr<RandomVariableStream> m_offTime;
    uint32_t m_burstPackets{0};
    Time m_burstPeriod;
    Ptr<Socket> m_socket;
    uint32_t m_seq{0};
    uint64_t m_sent{0};
    Time m_onEnd;
    EventId m_event;
    EventId m_burstEvent;
    TracedCallback<Ptr<const Packet>> m_txTrace;
};

} // namespace ns3

#endif
