#include "workload-recorder.h"

#include "ns3/abort.h"
#include "ns3/simulator.h"

#include <algorithm>
#include <limits>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(WorkloadRecorder);

TypeId
WorkloadRecorder::GetTypeId()
{
    static TypeId tid = TypeId("ns3::WorkloadRecorder")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<WorkloadRecorder>();
    return tid;
}

void
WorkloadRecorder::Setup(uint32_t nFlows)
{
    m_rowKind.assign(2 * std::size_t(nFlows) + 1, 0);
    m_rowOwner.assign(2 * std::size_t(nFlows) + 1, 0);
}

void
WorkloadRecorder::SetInferenceFlow(uint32_t flow, uint32_t workload)
{
    for (uint32_t r : {2 * flow, 2 * flow + 1})
    {
        m_rowKind.at(r) = 1;
        m_rowOwner.at(r) = workload;
    }
}

void
WorkloadRecorder::SetJobFlow(uint32_t flow, uint32_t job)
{
    for (uint32_t r : {2 * flow, 2 * flow + 1})
    {
        m_rowKind.at(r) = 2;
        m_rowOwner.at(r) = job;
    }
}

uint32_t
WorkloadRecorder::NewRequest(uint32_t workload,
                             uint32_t client,
                             uint32_t requestBytes,
                             uint32_t responseBytes,
                             double ops,
                             uint16_t requestSegments,
                             uint16_t responseSegments)
{
    const uint32_t id = m_workload.size();
    m_workload.push_back(workload);
    m_client.push_back(client);
    m_server.push_back(std::numeric_limits<uint32_t>::max());
    m_status.push_back(PENDING);
    m_cause.push_back(0);
    m_lostInResponse.push_back(0);
    m_sentNs.push_back(Simulator::Now().GetNanoSeconds());
    m_arrivedNs.push_back(-1);
    m_startNs.push_back(-1);
    m_endNs.push_back(-1);
    m_answeredNs.push_back(-1);
    m_requestBytes.push_back(requestBytes);
    m_responseBytes.push_back(responseBytes);
    m_ops.push_back(ops);
    m_reqSegments.push_back(requestSegments);
    m_reqDelivered.push_back(0);
    m_reqInFlight.push_back(0);
    m_respSegments.push_back(responseSegments);
    m_respDelivered.push_back(0);
    m_respInFlight.push_back(0);
    return id;
}

void
WorkloadRecorder::SetServer(uint32_t request, uint32_t node)
{
    m_server.at(request) = node;
}

void
WorkloadRecorder::Lost(uint32_t request, uint8_t cause, bool inResponse)
{
    if (m_status.at(request) == PENDING)
    {
        m_status[request] = LOST;
        m_cause[request] = cause;
        m_lostInResponse[request] = inResponse;
    }
}

bool
WorkloadRecorder::RequestSegment(uint32_t request)
{
    if (++m_reqDelivered.at(request) == m_reqSegments[request] && m_status[request] == PENDING)
    {
        m_arrivedNs[request] = Simulator::Now().GetNanoSeconds();
        return true;
    }
    return false;
}

void
WorkloadRecorder::Started(uint32_t request)
{
    m_startNs.at(request) = Simulator::Now().GetNanoSeconds();
}

void
WorkloadRecorder::Finished(uint32_t request)
{
    m_endNs.at(request) = Simulator::Now().GetNanoSeconds();
}

bool
WorkloadRecorder::ResponseSegment(uint32_t request)
{
    if (++m_respDelivered.at(request) == m_respSegments[request] && m_status[request] == PENDING)
    {
        m_answeredNs[request] = Simulator::Now().GetNanoSeconds();
        m_status[request] = ANSWERED;
        return true;
    }
    return false;
}

uint32_t
WorkloadRecorder::GetResponseBytes(uint32_t request) const
{
    return m_responseBytes.at(request);
}

uint16_t
WorkloadRecorder::GetResponseSegments(uint32_t request) const
{
    return m_respSegments.at(request);
}

double
WorkloadRecorder::GetOps(uint32_t request) const
{
    return m_ops.at(request);
}

void
WorkloadRecorder::Listen(Ptr<DropClassifier> books)
{
    books->SetListener(MakeCallback(&WorkloadRecorder::OnBooks, this));
}

void
WorkloadRecorder::OnBooks(Ptr<const Packet> packet, uint32_t row, int32_t cause)
{
    if (row >= m_rowKind.size() || m_rowKind[row] == 0)
    {
        return;
    }
    if (m_rowKind[row] == 2)
    {
        if (cause >= 0)
        {
            m_dropJob.push_back(m_rowOwner[row]);
            m_dropNs.push_back(Simulator::Now().GetNanoSeconds());
            m_dropCause.push_back(uint8_t(cause));
        }
        return;
    }
    // An inference segment: [PPP 2] IPv4 (IHL) UDP 8, then the WorkloadHeader.
    uint8_t buf[2 + 60 + 8 + 12];
    const uint32_t n = packet->CopyData(buf, sizeof(buf));
    const uint32_t ip = (n >= 2 && buf[0] == 0x00 && buf[1] == 0x21) ? 2 : 0;
    if (n < ip + 20)
    {
        return;
    }
    const uint32_t payload = ip + (buf[ip] & 0x0F) * 4 + 8;
    if (n < payload + 8)
    {
        return;
    }
    const uint32_t request = uint32_t(buf[payload + 4]) << 24 | uint32_t(buf[payload + 5]) << 16 |
                             uint32_t(buf[payload + 6]) << 8 | buf[payload + 7];
    if (request >= m_status.size())
    {
        return;
    }
    const bool response = row % 2 == 1;
    if (cause < 0)
    {
        (response ? m_respInFlight : m_reqInFlight)[request]++;
    }
    else
    {
        Lost(request, uint8_t(cause), response);
    }
}

uint32_t
WorkloadRecorder::GetNRequests() const
{
    return m_workload.size();
}

void
WorkloadRecorder::CopyRequests(uint32_t* workload,
                               uint32_t* client,
                               uint32_t* server,
                               uint8_t* status,
                               uint8_t* cause,
                               uint8_t* lostInResponse,
                               int64_t* sentNs,
                               int64_t* arrivedNs,
                               int64_t* startNs,
                               int64_t* endNs,
                               int64_t* answeredNs) const
{
    std::copy(m_workload.begin(), m_workload.end(), workload);
    std::copy(m_client.begin(), m_client.end(), client);
    std::copy(m_server.begin(), m_server.end(), server);
    std::copy(m_status.begin(), m_status.end(), status);
    std::copy(m_cause.begin(), m_cause.end(), cause);
    std::copy(m_lostInResponse.begin(), m_lostInResponse.end(), lostInResponse);
    std::copy(m_sentNs.begin(), m_sentNs.end(), sentNs);
    std::copy(m_arrivedNs.begin(), m_arrivedNs.end(), arrivedNs);
    std::copy(m_startNs.begin(), m_startNs.end(), startNs);
    std::copy(m_endNs.begin(), m_endNs.end(), endNs);
    std::copy(m_answeredNs.begin(), m_answeredNs.end(), answeredNs);
}

void
WorkloadRecorder::CopySizes(uint32_t* requestBytes, uint32_t* responseBytes, double* ops) const
{
    std::copy(m_requestBytes.begin(), m_requestBytes.end(), requestBytes);
    std::copy(m_responseBytes.begin(), m_responseBytes.end(), responseBytes);
    std::copy(m_ops.begin(), m_ops.end(), ops);
}

void
WorkloadRecorder::CopySegments(uint16_t* requestSegments,
                               uint16_t* requestDelivered,
                               uint16_t* requestInFlight,
                               uint16_t* responseSegments,
                               uint16_t* responseDelivered,
                               uint16_t* responseInFlight) const
{
    std::copy(m_reqSegments.begin(), m_reqSegments.end(), requestSegments);
    std::copy(m_reqDelivered.begin(), m_reqDelivered.end(), requestDelivered);
    std::copy(m_reqInFlight.begin(), m_reqInFlight.end(), requestInFlight);
    std::copy(m_respSegments.begin(), m_respSegments.end(), responseSegments);
    std::copy(m_respDelivered.begin(), m_respDelivered.end(), responseDelivered);
    std::copy(m_respInFlight.begin(), m_respInFlight.end(), responseInFlight);
}

uint64_t
WorkloadRecorder::GetNJobDrops() const
{
    return m_dropJob.size();
}

void
WorkloadRecorder::CopyJobDrops(uint32_t* job, int64_t* timeNs, uint8_t* cause) const
{
    std::copy(m_dropJob.begin(), m_dropJob.end(), job);
    std::copy(m_dropNs.begin(), m_dropNs.end(), timeNs);
    std::copy(m_dropCause.begin(), m_dropCause.end(), cause);
}

} // namespace ns3
