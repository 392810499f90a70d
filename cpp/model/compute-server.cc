#include "compute-server.h"

#include "workload-header.h"

#include "ns3/abort.h"
#include "ns3/double.h"
#include "ns3/inet-socket-address.h"
#include "ns3/simulator.h"
#include "ns3/udp-socket-factory.h"
#include "ns3/uinteger.h"

#include <cmath>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(ComputeServer);

TypeId
ComputeServer::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::ComputeServer")
            .SetParent<Object>()
            .SetGroupName("Netsim")
            .AddConstructor<ComputeServer>()
            .AddAttribute("OpsPerSecond",
                          "Compute throughput of the satellite, operations per second "
                          "(a tier's compute_tops x 1e12).",
                          DoubleValue(1e15),
                          MakeDoubleAccessor(&ComputeServer::m_opsPerSecond),
                          MakeDoubleChecker<double>(1.0))
            .AddAttribute("QueueLimit",
                          "Requests that may wait for the processor; 0: no limit.",
                          UintegerValue(0),
                          MakeUintegerAccessor(&ComputeServer::m_queueLimit),
                          MakeUintegerChecker<uint32_t>());
    return tid;
}

ComputeServer::ComputeServer() = default;
ComputeServer::~ComputeServer() = default;

void
ComputeServer::DoDispose()
{
    for (auto& [w, socket] : m_sockets)
    {
        socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    }
    m_sockets.clear();
    m_node = nullptr;
    m_recorder = nullptr;
    Object::DoDispose();
}

void
ComputeServer::Setup(Ptr<Node> node, Ptr<WorkloadRecorder> recorder)
{
    m_node = node;
    m_recorder = recorder;
}

void
ComputeServer::AddService(uint32_t workload, uint16_t port, uint32_t segmentBytes)
{
    if (m_sockets.count(workload))
    {
        return;
    }
    Ptr<Socket> socket = Socket::CreateSocket(m_node, UdpSocketFactory::GetTypeId());
    NS_ABORT_MSG_IF(socket->Bind(InetSocketAddress(Ipv4Address::GetAny(), port)) != 0,
                    "ComputeServer: cannot bind port " << port << " on node " << m_node->GetId());
    socket->SetRecvCallback(MakeCallback(&ComputeServer::Receive, this));
    m_sockets[workload] = socket;
    m_segmentBytes[workload] = segmentBytes;
}

uint32_t
ComputeServer::GetBacklog() const
{
    return m_queue.size() + (m_busy ? 1 : 0);
}

uint64_t
ComputeServer::GetServed() const
{
    return m_served;
}

double
ComputeServer::GetOpsPerSecond() const
{
    return m_opsPerSecond;
}

void
ComputeServer::Receive(Ptr<Socket> socket)
{
    Address from;
    while (Ptr<Packet> packet = socket->RecvFrom(from))
    {
        if (packet->GetSize() < WorkloadHeader::SIZE)
        {
            continue;
        }
        WorkloadHeader header;
        packet->RemoveHeader(header);
        const uint32_t request = header.GetRequest();
        if (request >= m_recorder->GetNRequests() || !m_recorder->RequestSegment(request))
        {
            continue; // not the last segment (or a request already lost)
        }
        if (m_queueLimit > 0 && m_queue.size() >= m_queueLimit)
        {
            m_recorder->Lost(request, WorkloadRecorder::SERVER_FULL, false);
            continue;
        }
        m_queue.push_back(Job{request, header.GetWorkload(), from});
        if (!m_busy)
        {
            StartNext();
        }
    }
}

void
ComputeServer::StartNext()
{
    if (m_queue.empty())
    {
        m_busy = false;
        return;
    }
    m_busy = true;
    m_current = m_queue.front();
    m_queue.pop_front();
    m_recorder->Started(m_current.request);
    const double seconds = m_recorder->GetOps(m_current.request) / m_opsPerSecond;
    m_event = Simulator::Schedule(NanoSeconds(std::llround(seconds * 1e9)), &ComputeServer::Finish, this);
}

void
ComputeServer::Finish()
{
    const uint32_t request = m_current.request;
    m_recorder->Finished(request);
    m_served++;
    Ptr<Socket> socket = m_sockets.at(m_current.workload);
    const uint32_t segmentBytes = m_segmentBytes.at(m_current.workload);
    const std::vector<uint32_t> sizes =
        WorkloadHeader::Split(m_recorder->GetResponseBytes(request), segmentBytes);
    for (std::size_t i = 0; i < sizes.size(); ++i)
    {
        WorkloadHeader header;
        header.Set(m_current.workload, request, uint16_t(i), uint16_t(sizes.size()));
        Ptr<Packet> p = Create<Packet>(sizes[i] - WorkloadHeader::SIZE);
        p->AddHeader(header);
        socket->SendTo(p, 0, m_current.from);
    }
    StartNext();
}

} // namespace ns3
