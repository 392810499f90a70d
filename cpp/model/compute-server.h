#ifndef NETSIM_COMPUTE_SERVER_H
#define NETSIM_COMPUTE_SERVER_H

#include "workload-recorder.h"

#include "ns3/address.h"
#include "ns3/event-id.h"
#include "ns3/node.h"
#include "ns3/object.h"
#include "ns3/socket.h"

#include <deque>
#include <map>

namespace ns3
{

/**
 * @brief The compute of one satellite serving inference requests (netsim.run.workloads).
 *
 * One processor of OpsPerSecond operations per second, first come first served: a
 * request whose segments have all arrived waits in the queue (at most QueueLimit waiting;
 * 0: no limit, a request beyond it is lost as SERVER_FULL), is computed for ops /
 * OpsPerSecond, and its response goes back to the client's address and port in UDP
 * segments of the workload's segment size, each starting with a WorkloadHeader. One
 * UDP socket per inference workload served (its port, AddService). Needs the node's IP
 * stack (LaserFabricHelper::InstallEndpointStack).
 */
class ComputeServer : public Object
{
  public:
    static TypeId GetTypeId();
    ComputeServer();
    ~ComputeServer() override;

    void Setup(Ptr<Node> node, Ptr<WorkloadRecorder> recorder);
    /** Serve inference workload `workload` on UDP port `port`; again for the same workload: nothing. */
    void AddService(uint32_t workload, uint16_t port, uint32_t segmentBytes);
    /** @return requests waiting plus the one being computed */
    uint32_t GetBacklog() const;
    /** @return requests computed so far */
    uint64_t GetServed() const;
    double GetOpsPerSecond() const;

  protected:
    void DoDispose() override;

  private:
    struct Job
    {
        uint32_t request;
        uint32_t workload;
        Address from;
    };
    void Receive(Ptr<Socket> socket);
    void StartNext();
    void Finish();

    double m_opsPerSecond{1e15};
    uint32_t m_queueLimit{0};
    Ptr<Node> m_node;
    Ptr<WorkloadRecorder> m_recorder;
    std::map<uint32_t, Ptr<Socket>> m_sockets;  // per workload
    std::map<uint32_t, uint32_t> m_segmentBytes; // per workload
    std::deque<Job> m_queue;
    bool m_busy{false};
    Job m_current{};
    EventId m_event;
    uint64_t m_served{0};
};

} // namespace ns3

#endif
