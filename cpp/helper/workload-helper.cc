#include "workload-helper.h"

#include "ns3/abort.h"
#include "ns3/double.h"
#include "ns3/uinteger.h"

namespace ns3
{

WorkloadHelper::WorkloadHelper(Ptr<WorkloadRecorder> recorder)
    : m_recorder(recorder)
{
}

Ptr<ComputeServer>
WorkloadHelper::GetServer(Ptr<Node> node, double opsPerSecond, uint32_t queueLimit)
{
    auto it = m_servers.find(node->GetId());
    if (it != m_servers.end())
    {
        return it->second;
    }
    Ptr<ComputeServer> server = CreateObject<ComputeServer>();
    server->SetAttribute("OpsPerSecond", DoubleValue(opsPerSecond));
    server->SetAttribute("QueueLimit", UintegerValue(queueLimit));
    server->Setup(node, m_recorder);
    m_servers[node->GetId()] = server;
    return server;
}

bool
WorkloadHelper::HasServer(uint32_t node) const
{
    return m_servers.count(node) > 0;
}

uint32_t
WorkloadHelper::AddClient(Ptr<Node> node,
                          uint32_t workload,
                          uint32_t client,
                          uint16_t port,
                          uint32_t segmentBytes,
                          uint8_t choice,
                          uint32_t spareBelow)
{
    Ptr<InferenceClient> c = CreateObject<InferenceClient>();
    c->Setup(node, m_recorder, workload, client, port, segmentBytes, choice, spareBelow);
    m_clients.push_back(c);
    return m_clients.size() - 1;
}

Ptr<InferenceClient>
WorkloadHelper::GetClient(uint32_t index) const
{
    return m_clients.at(index);
}

uint32_t
WorkloadHelper::GetNClients() const
{
    return m_clients.size();
}

void
WorkloadHelper::SetCandidates(uint32_t first,
                              uint32_t n,
                              const uint32_t* offsets,
                              const uint32_t* nodes,
                              const uint32_t* addresses)
{
    for (uint32_t j = 0; j < n; ++j)
    {
        std::vector<Ptr<ComputeServer>> servers;
        std::vector<Ipv4Address> to;
        std::vector<uint32_t> ids;
        for (uint32_t k = offsets[j]; k < offsets[j + 1]; ++k)
        {
            auto it = m_servers.find(nodes[k]);
            NS_ABORT_MSG_IF(it == m_servers.end(), "no compute server on node " << nodes[k]);
            servers.push_back(it->second);
            to.emplace_back(addresses[k]);
            ids.push_back(nodes[k]);
        }
        m_clients.at(first + j)->SetCandidates(std::move(servers), std::move(to), std::move(ids));
    }
}

uint64_t
WorkloadHelper::GetClientSegments() const
{
    uint64_t total = 0;
    for (const auto& c : m_clients)
    {
        total += c->GetSent();
    }
    return total;
}

Ptr<TcpMessageStream>
WorkloadHelper::AddStream(Ptr<Node> src,
                          Ipv4Address srcAddress,
                          Ptr<Node> dst,
                          Ipv4Address dstAddress,
                          uint16_t port,
                          std::string congestion,
                          uint32_t segmentBytes,
                          uint32_t bufferBytes)
{
    TypeId cc;
    NS_ABORT_MSG_IF(!TypeId::LookupByNameFailSafe(congestion, &cc), "no congestion control named " << congestion);
    auto key = std::make_pair(dst->GetId(), port);
    auto it = m_listeners.find(key);
    if (it == m_listeners.end())
    {
        Ptr<StreamListener> listener = CreateObject<StreamListener>();
        listener->Setup(dst, port, bufferBytes);
        it = m_listeners.emplace(key, listener).first;
    }
    Ptr<TcpMessageStream> stream = CreateObject<TcpMessageStream>();
    stream->Setup(src, dstAddress, port, cc, segmentBytes, bufferBytes);
    it->second->AddStream(srcAddress, stream);
    return stream;
}

} // namespace ns3
