#ifndef NETSIM_INFERENCE_CLIENT_H
#define NETSIM_INFERENCE_CLIENT_H

#include "compute-server.h"
#include "workload-recorder.h"

#include "ns3/event-id.h"
#include "ns3/ipv4-address.h"
#include "ns3/node.h"
#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/random-variable-stream.h"
#include "ns3/socket.h"

#include <vector>

namespace ns3
{

/**
 * @brief The users of one inference workload at one ground station (netsim.run.workloads):
 * requests arrive (Poisson, constant rate, or at the times of a trace), each is sent in
 * UDP segments (WorkloadHeader first) to a server chosen among the candidates that
 * netsim.run.workloads sets at every routing update, and its response is awaited on the
 * same socket until the end of the run.
 *
 * Choice (SetCandidates): FIRST, the first candidate (the station's serving satellite);
 * SPARE, the first candidate (nearest first) whose backlog is below SpareBelow, else the
 * one with the smallest backlog (the load balancer knows every server's backlog at once:
 * an idealisation); RANDOM, one uniformly at random. No candidate: the request is lost as
 * NO_SERVER and never enters the network.
 */
class InferenceClient : public Object
{
  public:
    static TypeId GetTypeId();
    InferenceClient();
    ~InferenceClient() override;

    enum Choice : uint8_t
    {
        FIRST = 0,
        SPARE = 1,
        RANDOM = 2,
    };

    void Setup(Ptr<Node> node,
               Ptr<WorkloadRecorder> recorder,
               uint32_t workload,
               uint32_t client,
               uint16_t port,
               uint32_t segmentBytes,
               uint8_t choice,
               uint32_t spareBelow);
    /** Requests of these sizes (bytes, headers included) and operations. */
    void SetMessage(uint32_t requestBytes, uint32_t responseBytes, double ops);
    /**
     * Arrivals at ratePerS between start and stop: Poisson (exponential gaps from random
     * stream `stream`) or evenly spaced.
     */
    void SetArrivals(double ratePerS, bool poisson, int64_t stream, Time start, Time stop);
    /** Arrivals at given times (ns), each with its own sizes and operations. */
    void SetTrace(const int64_t* timesNs,
                  const uint32_t* requestBytes,
                  const uint32_t* responseBytes,
                  const double* ops,
                  uint32_t n);
    /** Candidate servers from now on, in order of preference. */
    void SetCandidates(std::vector<Ptr<ComputeServer>> servers,
                       std::vector<Ipv4Address> addresses,
                       std::vector<uint32_t> nodes);
    /** Open the socket and schedule the first arrival. */
    void Start();
    uint64_t GetSent() const;

  protected:
    void DoDispose() override;

  private:
    void Arrive();
    void ArriveTrace(uint32_t i);
    void Send(uint32_t requestBytes, uint32_t responseBytes, double ops);
    void Receive(Ptr<Socket> socket);
    void ScheduleNext();

    Ptr<Node> m_node;
    Ptr<WorkloadRecorder> m_recorder;
    uint32_t m_workload{0};
    uint32_t m_client{0};
    uint16_t m_port{0};
    uint32_t m_segmentBytes{1472};
    uint8_t m_choice{FIRST};
    uint32_t m_spareBelow{1};
    uint32_t m_requestBytes{1000};
    uint32_t m_responseBytes{1000};
    double m_ops{0};
    double m_rate{0};
    bool m_poisson{true};
    Time m_start;
    Time m_stop;
    Ptr<ExponentialRandomVariable> m_gap;
    Ptr<UniformRandomVariable> m_pick;
    std::vector<int64_t> m_traceNs;
    std::vector<uint32_t> m_traceRequest;
    std::vector<uint32_t> m_traceResponse;
    std::vector<double> m_traceOps;
    std::vector<Ptr<ComputeServer>> m_servers;
    std::vector<Ipv4Address> m_addresses;
    std::vector<uint32_t> m_nodes;
    Ptr<Socket> m_socket;
    EventId m_event;
    uint64_t m_sent{0};
    uint64_t m_arrivals{0};
};

} // namespace ns3

#endif
