#ifndef NETSIM_COLLECTIVE_JOB_H
#define NETSIM_COLLECTIVE_JOB_H

#include "tcp-message-stream.h"

#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/random-variable-stream.h"

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace ns3
{

/**
 * @brief A training job on k satellites (netsim.run.workloads): iterations of compute,
 * then an all-reduce of the gradient over TcpMessageStreams, with checkpoints to storage
 * satellites every so many iterations and an optional restore before the first.
 *
 * Compute: each rank computes for Compute x (1 + X), X exponential with mean Straggler
 * (0: no jitter), from its own random stream.
 *
 * Ring all-reduce (RING): the gradient of G bytes in k chunks (G / k, the first G mod k
 * one byte larger); 2(k - 1) steps; at step s rank i sends chunk (i - s) mod k to rank
 * i + 1 (the reduce-scatter, then the all-gather). Pipelined as NCCL does: each chunk
 * goes as SLICE_BYTES slices, one message each; slice j of step 0 leaves when the
 * compute is done, slice j of step s once slice j of step s - 1 has arrived from rank
 * i - 1, so a rank forwards while it still receives. A rank's all-reduce ends when it
 * has received the last slice of step 2(k - 1) - 1.
 *
 * Tree all-reduce (TREE): a binary tree over the ranks (children of i: 2i + 1, 2i + 2);
 * a rank sends the whole gradient to its parent once its compute is done and its
 * children's have arrived; the root then sends it down, each rank on to its children. A
 * rank's all-reduce ends when it has the result (the root: when its children's arrived).
 *
 * A rank starts its next iteration when its all-reduce ends (and, with a blocking
 * checkpoint due, when its shard has reached storage). No iteration starts after
 * Stop or beyond Iterations: the job decides when its first rank finishes an iteration.
 */
class CollectiveJob : public Object
{
  public:
    static TypeId GetTypeId();
    CollectiveJob();
    ~CollectiveJob() override;

    enum Algorithm : uint8_t
    {
        RING = 0,
        TREE = 1,
    };

    /// Ring slices: NCCL's default pipeline (a 4 MiB buffer in 8 steps) moves 512 KiB at a time.
    static constexpr uint64_t SLICE_BYTES = 512 * 1024;

    void Setup(uint32_t ranks,
               uint8_t algorithm,
               uint64_t gradientBytes,
               uint32_t iterations,
               Time compute,
               double straggler,
               int64_t stream,
               Time start,
               Time stop);
    /** The stream that carries the all-reduce's messages from rank `from` to rank `to`. */
    void SetEdge(uint32_t from, uint32_t to, Ptr<TcpMessageStream> stream);
    /** Every `every` iterations (0: never) each rank sends `bytes` to storage over its stream. */
    void SetCheckpoint(uint32_t every, uint64_t bytes, bool blocking);
    void SetCheckpointStream(uint32_t rank, Ptr<TcpMessageStream> stream);
    /** Before the first iteration each rank receives `bytes` from storage over its stream. */
    void SetRestore(uint64_t bytes);
    void SetRestoreStream(uint32_t rank, Ptr<TcpMessageStream> stream);
    /** Schedule the job (call before the simulation runs past its start). */
    void Start();

    /** @return (iteration, rank) records so far */
    uint32_t GetNRecords() const;
    /**
     * Per (iteration, rank) record: compute start and end, all-reduce end (ns; -1: not
     * reached), bytes the rank handed to its streams for the all-reduce.
     */
    void CopyRecords(uint32_t* iteration,
                     uint32_t* rank,
                     int64_t* computeStartNs,
                     int64_t* computeEndNs,
                     int64_t* commEndNs,
                     uint64_t* bytes) const;
    /** @return checkpoint and restore transfers so far */
    uint32_t GetNTransfers() const;
    /** Per transfer: kind (0 checkpoint, 1 restore), after iteration, rank, bytes, start, end (-1). */
    void CopyTransfers(uint8_t* kind,
                       uint32_t* iteration,
                       uint32_t* rank,
                       uint64_t* bytes,
                       int64_t* startNs,
                       int64_t* endNs) const;
    /** Times (ns) of the segments the job's streams retransmitted. */
    uint64_t GetNRetransmissions() const;
    void CopyRetransmissions(int64_t* timeNs) const;

  protected:
    void DoDispose() override;

  private:
    struct Rank
    {
        uint32_t iteration{0};
        bool computing{false};
        bool computeDone{false};
        bool finished{false}; // stopped: no further iteration
        uint32_t sent{0};     // ring: slices sent this iteration; tree: 1 up, 2 down
        uint64_t received{0}; // ring: slices received from the predecessor (all iterations)
        uint64_t fromParent{0};
        std::vector<uint64_t> fromChildren;
        bool waitingStorage{false};
        uint32_t record{0}; // index of this iteration's record
    };

    void Begin();
    void StartCompute(uint32_t rank);
    void ComputeDone(uint32_t rank);
    void Advance(uint32_t rank);
    void RankDone(uint32_t rank);
    void Delivered(uint32_t from, uint32_t to, uint32_t index);
    void CheckpointDelivered(uint32_t rank, uint32_t index);
    void RestoreDelivered(uint32_t rank, uint32_t index);
    void Retransmitted();
    void SendEdge(uint32_t from, uint32_t to, uint64_t bytes);
    uint64_t ChunkBytes(uint32_t chunk) const;
    uint32_t Steps() const;
    uint32_t Slices() const;                                 // ring: slices per chunk
    uint64_t SliceBytes(uint32_t chunk, uint32_t slice) const; // ring: bytes of one slice

    uint32_t m_k{1};
    uint8_t m_algorithm{RING};
    uint64_t m_gradient{0};
    uint32_t m_iterations{0};
    Time m_compute;
    double m_straggler{0};
    Ptr<ExponentialRandomVariable> m_jitter;
    Time m_start;
    Time m_stop;
    std::vector<uint8_t> m_decided; // per iteration: 1 another follows, 0 the last
    std::map<std::pair<uint32_t, uint32_t>, Ptr<TcpMessageStream>> m_edges;
    std::vector<Rank> m_ranks;
    uint32_t m_checkpointEvery{0};
    uint64_t m_checkpointBytes{0};
    bool m_checkpointBlocking{true};
    std::vector<Ptr<TcpMessageStream>> m_checkpointStreams;
    uint64_t m_restoreBytes{0};
    std::vector<Ptr<TcpMessageStream>> m_restoreStreams;

    std::vector<uint32_t> m_recIteration;
    std::vector<uint32_t> m_recRank;
    std::vector<int64_t> m_recComputeStart;
    std::vector<int64_t> m_recComputeEnd;
    std::vector<int64_t> m_recCommEnd;
    std::vector<uint64_t> m_recBytes;

    std::vector<uint8_t> m_xKind;
    std::vector<uint32_t> m_xIteration;
    std::vector<uint32_t> m_xRank;
    std::vector<uint64_t> m_xBytes;
    std::vector<int64_t> m_xStart;
    std::vector<int64_t> m_xEnd;
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> m_xByMessage; // (rank, message) -> transfer
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> m_restoreByMessage;

    std::vector<int64_t> m_retransmissionNs;
};

} // namespace ns3

#endif
