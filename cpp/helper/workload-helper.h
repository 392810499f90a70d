#ifndef NETSIM_WORKLOAD_HELPER_H
#define NETSIM_WORKLOAD_HELPER_H

#include "collective-job.h"
#include "compute-server.h"
#include "inference-client.h"
#include "tcp-message-stream.h"
#include "workload-recorder.h"

#include "ns3/ipv4-address.h"
#include "ns3/node.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ns3
{

/**
 * @brief Installs the compute fabric's workloads of netsim.run.workloads: a ComputeServer
 * per serving satellite, InferenceClients at ground stations, TcpMessageStreams (and
 * their StreamListeners) for training jobs, and sets every client's candidate servers in
 * one call per routing update. Nodes must have their IP stacks
 * (LaserFabricHelper::InstallEndpointStack).
 */
class WorkloadHelper
{
  public:
    explicit WorkloadHelper(Ptr<WorkloadRecorder> recorder);

    /** The satellite's server, made on first use with its throughput (ops/s) and queue limit. */
    Ptr<ComputeServer> GetServer(Ptr<Node> node, double opsPerSecond, uint32_t queueLimit);
    /** @return whether node already has a server */
    bool HasServer(uint32_t node) const;

    /** A client (see InferenceClient::Setup); @return its index among all clients */
    uint32_t AddClient(Ptr<Node> node,
                       uint32_t workload,
                       uint32_t client,
                       uint16_t port,
                       uint32_t segmentBytes,
                       uint8_t choice,
                       uint32_t spareBelow);
    Ptr<InferenceClient> GetClient(uint32_t index) const;
    uint32_t GetNClients() const;
    /**
     * Candidates of clients [first, first + n): client first + j gets the servers of
     * nodes[offsets[j] .. offsets[j + 1]) with IPv4 addresses (host order) `addresses`.
     */
    void SetCandidates(uint32_t first,
                       uint32_t n,
                       const uint32_t* offsets,
                       const uint32_t* nodes,
                       const uint32_t* addresses);
    /** Request segments the clients sent into their stacks so far. */
    uint64_t GetClientSegments() const;

    /**
     * A TcpMessageStream from src (address srcAddress) to dst (dstAddress) on port, with
     * a StreamListener on (dst, port) made on first use. congestion: a TypeId name.
     */
    Ptr<TcpMessageStream> AddStream(Ptr<Node> src,
                                    Ipv4Address srcAddress,
                                    Ptr<Node> dst,
                                    Ipv4Address dstAddress,
                                    uint16_t port,
                                    std::string congestion,
                                    uint32_t segmentBytes,
                                    uint32_t bufferBytes);

  private:
    Ptr<WorkloadRecorder> m_recorder;
    std::map<uint32_t, Ptr<ComputeServer>> m_servers;
    std::vector<Ptr<InferenceClient>> m_clients;
    std::map<std::pair<uint32_t, uint16_t>, Ptr<StreamListener>> m_listeners;
};

} // namespace ns3

#endif
