#include "collective-job.h"

#include "ns3/abort.h"
#include "ns3/double.h"
#include "ns3/simulator.h"

#include <cmath>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(CollectiveJob);

TypeId
CollectiveJob::GetTypeId()
{
    static TypeId tid = TypeId("ns3::CollectiveJob")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<CollectiveJob>();
    return tid;
}

CollectiveJob::CollectiveJob() = default;
CollectiveJob::~CollectiveJob() = default;

void
CollectiveJob::DoDispose()
{
    m_edges.clear();
    m_checkpointStreams.clear();
    m_restoreStreams.clear();
    m_jitter = nullptr;
    Object::DoDispose();
}

void
CollectiveJob::Setup(uint32_t ranks,
                     uint8_t algorithm,
                     uint64_t gradientBytes,
                     uint32_t iterations,
                     Time compute,
                     double straggler,
                     int64_t stream,
                     Time start,
                     Time stop)
{
    NS_ABORT_MSG_IF(ranks == 0, "a job has at least one rank");
    NS_ABORT_MSG_IF(gradientBytes < ranks, "the gradient needs a byte per rank at least");
    m_k = ranks;
    m_algorithm = algorithm;
    m_gradient = gradientBytes;
    m_iterations = iterations;
    m_compute = compute;
    m_straggler = straggler;
    m_start = start;
    m_stop = stop;
    m_ranks.assign(ranks, Rank{});
    for (auto& rank : m_ranks)
    {
        rank.fromChildren.assign(ranks, 0);
    }
    m_checkpointStreams.assign(ranks, nullptr);
    m_restoreStreams.assign(ranks, nullptr);
    m_jitter = CreateObject<ExponentialRandomVariable>();
    m_jitter->SetAttribute("Mean", DoubleValue(straggler > 0 ? straggler : 1.0));
    m_jitter->SetStream(stream);
}

void
CollectiveJob::SetEdge(uint32_t from, uint32_t to, Ptr<TcpMessageStream> stream)
{
    m_edges[{from, to}] = stream;
    stream->SetDeliveredCallback(MakeCallback(&CollectiveJob::Delivered, this).Bind(from, to));
    stream->SetRetransmissionCallback(MakeCallback(&CollectiveJob::Retransmitted, this));
}

void
CollectiveJob::SetCheckpoint(uint32_t every, uint64_t bytes, bool blocking)
{
    m_checkpointEvery = every;
    m_checkpointBytes = bytes;
    m_checkpointBlocking = blocking;
}

void
CollectiveJob::SetCheckpointStream(uint32_t rank, Ptr<TcpMessageStream> stream)
{
    m_checkpointStreams.at(rank) = stream;
    stream->SetDeliveredCallback(MakeCallback(&CollectiveJob::CheckpointDelivered, this).Bind(rank));
    stream->SetRetransmissionCallback(MakeCallback(&CollectiveJob::Retransmitted, this));
}

void
CollectiveJob::SetRestore(uint64_t bytes)
{
    m_restoreBytes = bytes;
}

void
CollectiveJob::SetRestoreStream(uint32_t rank, Ptr<TcpMessageStream> stream)
{
    m_restoreStreams.at(rank) = stream;
    stream->SetDeliveredCallback(MakeCallback(&CollectiveJob::RestoreDelivered, this).Bind(rank));
    stream->SetRetransmissionCallback(MakeCallback(&CollectiveJob::Retransmitted, this));
}

void
CollectiveJob::Start()
{
    Simulator::Schedule(m_start - Simulator::Now(), &CollectiveJob::Begin, this);
}

uint32_t
CollectiveJob::Steps() const
{
    return 2 * (m_k - 1);
}

uint64_t
CollectiveJob::ChunkBytes(uint32_t chunk) const
{
    return m_gradient / m_k + (chunk < m_gradient % m_k ? 1 : 0);
}

uint32_t
CollectiveJob::Slices() const
{
    // Every chunk in the same number of slices of at most SLICE_BYTES (chunks differ by a byte at most).
    return uint32_t((ChunkBytes(0) + SLICE_BYTES - 1) / SLICE_BYTES);
}

uint64_t
CollectiveJob::SliceBytes(uint32_t chunk, uint32_t slice) const
{
    const uint64_t bytes = ChunkBytes(chunk);
    const uint32_t slices = Slices();
    return bytes / slices + (slice < bytes % slices ? 1 : 0);
}

void
CollectiveJob::Begin()
{
    for (auto& [edge, stream] : m_edges)
    {
        stream->Open();
    }
    for (uint32_t i = 0; i < m_k; ++i)
    {
        if (m_checkpointStreams[i])
        {
            m_checkpointStreams[i]->Open();
        }
        if (m_restoreStreams[i])
        {
            m_restoreStreams[i]->Open();
        }
    }
    for (uint32_t i = 0; i < m_k; ++i)
    {
        if (m_restoreBytes > 0 && m_restoreStreams[i])
        {
            const uint32_t index = m_restoreStreams[i]->Send(m_restoreBytes);
            m_restoreByMessage[{i, index}] = m_xKind.size();
            m_xKind.push_back(1);
            m_xIteration.push_back(0);
            m_xRank.push_back(i);
            m_xBytes.push_back(m_restoreBytes);
            m_xStart.push_back(Simulator::Now().GetNanoSeconds());
            m_xEnd.push_back(-1);
            m_ranks[i].waitingStorage = true;
        }
        else
        {
            StartCompute(i);
        }
    }
}

void
CollectiveJob::StartCompute(uint32_t i)
{
    Rank& rank = m_ranks[i];
    rank.computing = true;
    rank.computeDone = false;
    rank.sent = 0;
    rank.record = m_recIteration.size();
    m_recIteration.push_back(rank.iteration);
    m_recRank.push_back(i);
    m_recComputeStart.push_back(Simulator::Now().GetNanoSeconds());
    m_recComputeEnd.push_back(-1);
    m_recCommEnd.push_back(-1);
    m_recBytes.push_back(0);
    double factor = 1.0;
    if (m_straggler > 0)
    {
        factor += m_jitter->GetValue();
    }
    const int64_t ns = std::llround(double(m_compute.GetNanoSeconds()) * factor);
    Simulator::Schedule(NanoSeconds(ns), &CollectiveJob::ComputeDone, this, i);
}

void
CollectiveJob::ComputeDone(uint32_t i)
{
    Rank& rank = m_ranks[i];
    rank.computing = false;
    rank.computeDone = true;
    m_recComputeEnd[rank.record] = Simulator::Now().GetNanoSeconds();
    Advance(i);
}

void
CollectiveJob::SendEdge(uint32_t from, uint32_t to, uint64_t bytes)
{
    m_edges.at({from, to})->Send(bytes);
    m_recBytes[m_ranks[from].record] += bytes;
}

void
CollectiveJob::Advance(uint32_t i)
{
    Rank& rank = m_ranks[i];
    if (rank.finished || !rank.computeDone)
    {
        return;
    }
    const uint64_t n = rank.iteration;
    if (m_algorithm == RING)
    {
        // Pipelined: slice j of step s + 1 leaves as soon as slice j of step s has
        // arrived from the left, so a rank forwards while it still receives and the
        // path's latency is paid once per iteration rather than once per step.
        const uint32_t slices = Slices();
        const uint64_t perIteration = uint64_t(Steps()) * slices;
        const uint32_t next = (i + 1) % m_k;
        while (rank.sent < perIteration &&
               (rank.sent < slices || rank.received >= n * perIteration + rank.sent - slices + 1))
        {
            const uint32_t step = rank.sent / slices;
            const uint32_t chunk = (i + m_k * Steps() - step) % m_k;
            SendEdge(i, next, SliceBytes(chunk, rank.sent % slices));
            rank.sent++;
        }
        if (rank.sent == perIteration && rank.received >= (n + 1) * perIteration)
        {
            RankDone(i);
        }
        return;
    }
    // TREE
    bool childrenIn = true;
    for (uint32_t c = 2 * i + 1; c <= 2 * i + 2 && c < m_k; ++c)
    {
        childrenIn = childrenIn && rank.fromChildren[c] >= n + 1;
    }
    if (rank.sent == 0 && childrenIn)
    {
        if (i != 0)
        {
            SendEdge(i, (i - 1) / 2, m_gradient);
            rank.sent = 1;
        }
        else
        {
            for (uint32_t c = 1; c <= 2 && c < m_k; ++c)
            {
                SendEdge(0, c, m_gradient);
            }
            rank.sent = 2;
            RankDone(0);
            return;
        }
    }
    if (i != 0 && rank.sent == 1 && rank.fromParent >= n + 1)
    {
        for (uint32_t c = 2 * i + 1; c <= 2 * i + 2 && c < m_k; ++c)
        {
            SendEdge(i, c, m_gradient);
        }
        rank.sent = 2;
        RankDone(i);
    }
}

void
CollectiveJob::RankDone(uint32_t i)
{
    Rank& rank = m_ranks[i];
    const uint32_t n = rank.iteration;
    m_recCommEnd[rank.record] = Simulator::Now().GetNanoSeconds();
    // The first rank to finish an iteration decides for all whether another follows.
    if (m_decided.size() <= n)
    {
        const bool last = Simulator::Now() >= m_stop || (m_iterations > 0 && n + 1 >= m_iterations);
        m_decided.push_back(last ? 0 : 1);
    }
    if (m_checkpointEvery > 0 && (n + 1) % m_checkpointEvery == 0 && m_checkpointStreams[i])
    {
        const uint32_t index = m_checkpointStreams[i]->Send(m_checkpointBytes);
        m_xByMessage[{i, index}] = m_xKind.size();
        m_xKind.push_back(0);
        m_xIteration.push_back(n);
        m_xRank.push_back(i);
        m_xBytes.push_back(m_checkpointBytes);
        m_xStart.push_back(Simulator::Now().GetNanoSeconds());
        m_xEnd.push_back(-1);
        rank.waitingStorage = m_checkpointBlocking;
    }
    if (m_decided[n] == 0)
    {
        rank.finished = true;
        return;
    }
    rank.iteration = n + 1;
    rank.computeDone = false;
    if (!rank.waitingStorage)
    {
        StartCompute(i);
    }
}

void
CollectiveJob::Delivered(uint32_t from, uint32_t to, uint32_t)
{
    Rank& rank = m_ranks[to];
    if (m_algorithm == RING)
    {
        rank.received++;
    }
    else if ((from - 1) / 2 == to && from != 0)
    {
        rank.fromChildren[from]++; // up the tree
    }
    else
    {
        rank.fromParent++;
    }
    Advance(to);
}

void
CollectiveJob::CheckpointDelivered(uint32_t i, uint32_t index)
{
    m_xEnd[m_xByMessage.at({i, index})] = Simulator::Now().GetNanoSeconds();
    Rank& rank = m_ranks[i];
    if (rank.waitingStorage)
    {
        rank.waitingStorage = false;
        if (!rank.finished)
        {
            StartCompute(i);
        }
    }
}

void
CollectiveJob::RestoreDelivered(uint32_t i, uint32_t index)
{
    m_xEnd[m_restoreByMessage.at({i, index})] = Simulator::Now().GetNanoSeconds();
    Rank& rank = m_ranks[i];
    if (rank.waitingStorage)
    {
        rank.waitingStorage = false;
        StartCompute(i);
    }
}

void
CollectiveJob::Retransmitted()
{
    m_retransmissionNs.push_back(Simulator::Now().GetNanoSeconds());
}

uint32_t
CollectiveJob::GetNRecords() const
{
    return m_recIteration.size();
}

void
CollectiveJob::CopyRecords(uint32_t* iteration,
                           uint32_t* rank,
                           int64_t* computeStartNs,
                           int64_t* computeEndNs,
                           int64_t* commEndNs,
                           uint64_t* bytes) const
{
    std::copy(m_recIteration.begin(), m_recIteration.end(), iteration);
    std::copy(m_recRank.begin(), m_recRank.end(), rank);
    std::copy(m_recComputeStart.begin(), m_recComputeStart.end(), computeStartNs);
    std::copy(m_recComputeEnd.begin(), m_recComputeEnd.end(), computeEndNs);
    std::copy(m_recCommEnd.begin(), m_recCommEnd.end(), commEndNs);
    std::copy(m_recBytes.begin(), m_recBytes.end(), bytes);
}

uint32_t
CollectiveJob::GetNTransfers() const
{
    return m_xKind.size();
}

void
CollectiveJob::CopyTransfers(uint8_t* kind,
                             uint32_t* iteration,
                             uint32_t* rank,
                             uint64_t* bytes,
                             int64_t* startNs,
                             int64_t* endNs) const
{
    std::copy(m_xKind.begin(), m_xKind.end(), kind);
    std::copy(m_xIteration.begin(), m_xIteration.end(), iteration);
    std::copy(m_xRank.begin(), m_xRank.end(), rank);
    std::copy(m_xBytes.begin(), m_xBytes.end(), bytes);
    std::copy(m_xStart.begin(), m_xStart.end(), startNs);
    std::copy(m_xEnd.begin(), m_xEnd.end(), endNs);
}

uint64_t
CollectiveJob::GetNRetransmissions() const
{
    return m_retransmissionNs.size();
}

void
CollectiveJob::CopyRetransmissions(int64_t* timeNs) const
{
    std::copy(m_retransmissionNs.begin(), m_retransmissionNs.end(), timeNs);
}

} // namespace ns3
