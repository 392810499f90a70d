#include "inference-client.h"

#include "workload-header.h"

#include "ns3/abort.h"
#include "ns3/double.h"
#include "ns3/inet-socket-address.h"
#include "ns3/simulator.h"
#include "ns3/udp-socket-factory.h"

#include <cmath>
#include <limits>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(InferenceClient);

TypeId
InferenceClient::GetTypeId()
{
    static TypeId tid = TypeId("ns3::InferenceClient")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<InferenceClient>();
    return tid;
}

InferenceClient::InferenceClient() = default;
InferenceClient::~InferenceClient() = default;

void
InferenceClient::DoDispose()
{
    Simulator::Cancel(m_event);
    if (m_socket)
    {
        m_socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    }
    m_socket = nullptr;
    m_servers.clear();
    m_node = nullptr;
    m_recorder = nullptr;
    Object::DoDispose();
}

void
InferenceClient::Setup(Ptr<Node> node,
                       Ptr<WorkloadRecorder> recorder,
                       uint32_t workload,
                       uint32_t client,
                       uint16_t port,
                       uint32_t segmentBytes,
                       uint8_t choice,
                       uint32_t spareBelow)
{
    NS_ABORT_MSG_IF(segmentBytes < 2 * WorkloadHeader::SIZE, "segments hold at least two headers");
    m_node = node;
    m_recorder = recorder;
    m_workload = workload;
    m_client = client;
    m_port = port;
    m_segmentBytes = segmentBytes;
    m_choice = choice;
    m_spareBelow = spareBelow;
}

void
InferenceClient::SetMessage(uint32_t requestBytes, uint32_t responseBytes, double ops)
{
    m_requestBytes = requestBytes;
    m_responseBytes = responseBytes;
    m_ops = ops;
}

void
InferenceClient::SetArrivals(double ratePerS, bool poisson, int64_t stream, Time start, Time stop)
{
    m_rate = ratePerS;
    m_poisson = poisson;
    m_start = start;
    m_stop = stop;
    m_gap = CreateObject<ExponentialRandomVariable>();
    m_gap->SetAttribute("Mean", DoubleValue(1.0 / ratePerS));
    m_gap->SetStream(2 * stream);
    m_pick = CreateObject<UniformRandomVariable>();
    m_pick->SetStream(2 * stream + 1);
}

void
InferenceClient::SetTrace(const int64_t* timesNs,
                          const uint32_t* requestBytes,
                          const uint32_t* responseBytes,
                          const double* ops,
                          uint32_t n)
{
    m_traceNs.assign(timesNs, timesNs + n);
    m_traceRequest.assign(requestBytes, requestBytes + n);
    m_traceResponse.assign(responseBytes, responseBytes + n);
    m_traceOps.assign(ops, ops + n);
}

void
InferenceClient::SetCandidates(std::vector<Ptr<ComputeServer>> servers,
                               std::vector<Ipv4Address> addresses,
                               std::vector<uint32_t> nodes)
{
    m_servers = std::move(servers);
    m_addresses = std::move(addresses);
    m_nodes = std::move(nodes);
}

uint64_t
InferenceClient::GetSent() const
{
    return m_sent;
}

void
InferenceClient::Start()
{
    m_socket = Socket::CreateSocket(m_node, UdpSocketFactory::GetTypeId());
    m_socket->Bind();
    m_socket->SetRecvCallback(MakeCallback(&InferenceClient::Receive, this));
    if (!m_traceNs.empty())
    {
        for (uint32_t i = 0; i < m_traceNs.size(); ++i)
        {
            Simulator::Schedule(NanoSeconds(m_traceNs[i]) - Simulator::Now(), &InferenceClient::ArriveTrace,
                                this, i);
        }
        return;
    }
    if (m_rate <= 0)
    {
        return;
    }
    // Poisson: the first arrival an exponential gap after start; constant: at start.
    const Time first = m_poisson ? m_start + Seconds(m_gap->GetValue()) : m_start;
    if (first < m_stop)
    {
        m_event = Simulator::Schedule(first - Simulator::Now(), &InferenceClient::Arrive, this);
    }
}

void
InferenceClient::ScheduleNext()
{
    const Time gap = m_poisson ? Seconds(m_gap->GetValue()) : Seconds(1.0 / m_rate);
    if (Simulator::Now() + gap < m_stop)
    {
        m_event = Simulator::Schedule(gap, &InferenceClient::Arrive, this);
    }
}

void
InferenceClient::Arrive()
{
    ScheduleNext();
    Send(m_requestBytes, m_responseBytes, m_ops);
}

void
InferenceClient::ArriveTrace(uint32_t i)
{
    Send(m_traceRequest[i], m_traceResponse[i], m_traceOps[i]);
}

void
InferenceClient::Send(uint32_t requestBytes, uint32_t responseBytes, double ops)
{
    const std::vector<uint32_t> sizes = WorkloadHeader::Split(requestBytes, m_segmentBytes);
    const uint16_t responseSegments = uint16_t(WorkloadHeader::Split(responseBytes, m_segmentBytes).size());
    const uint32_t request = m_recorder->NewRequest(m_workload, m_client, requestBytes, responseBytes, ops,
                                                    uint16_t(sizes.size()), responseSegments);
    m_arrivals++;
    int64_t chosen = -1;
    if (!m_servers.empty())
    {
        if (m_choice == FIRST)
        {
            chosen = 0;
        }
        else if (m_choice == RANDOM)
        {
            chosen = std::min<int64_t>(int64_t(m_pick->GetValue() * m_servers.size()), m_servers.size() - 1);
        }
        else
        {
            uint32_t least = std::numeric_limits<uint32_t>::max();
            for (std::size_t i = 0; i < m_servers.size(); ++i)
            {
                const uint32_t backlog = m_servers[i]->GetBacklog();
                if (backlog < m_spareBelow)
                {
                    chosen = int64_t(i);
                    break;
                }
                if (backlog < least)
                {
                    least = backlog;
                    chosen = int64_t(i);
                }
            }
        }
    }
    if (chosen < 0)
    {
        m_recorder->Lost(request, WorkloadRecorder::NO_SERVER, false);
        return;
    }
    m_recorder->SetServer(request, m_nodes[chosen]);
    const InetSocketAddress to(m_addresses[chosen], m_port);
    for (std::size_t i = 0; i < sizes.size(); ++i)
    {
        WorkloadHeader header;
        header.Set(m_workload, request, uint16_t(i), uint16_t(sizes.size()));
        Ptr<Packet> p = Create<Packet>(sizes[i] - WorkloadHeader::SIZE);
        p->AddHeader(header);
        if (m_socket->SendTo(p, 0, to) >= 0)
        {
            m_sent++;
        }
    }
}

void
InferenceClient::Receive(Ptr<Socket> socket)
{
    while (Ptr<Packet> packet = socket->Recv())
    {
        if (packet->GetSize() < WorkloadHeader::SIZE)
        {
            continue;
        }
        WorkloadHeader header;
        packet->RemoveHeader(header);
        if (header.GetRequest() < m_recorder->GetNRequests())
        {
            m_recorder->ResponseSegment(header.GetRequest());
        }
    }
}

} // namespace ns3
