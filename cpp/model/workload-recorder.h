#ifndef NETSIM_WORKLOAD_RECORDER_H
#define NETSIM_WORKLOAD_RECORDER_H

#include "drop-classifier.h"

#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/packet.h"

#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief Records of the compute fabric's workloads (netsim.run.workloads): every inference
 * request from its sending to its answer, loss or the end of the run, and the losses of
 * training jobs' packets in time. Kept in flat arrays that Python copies out once.
 *
 * A request's life: the client sends its segments (NewRequest); the server's stack gets
 * them (RequestSegment: the last one completes the request), it waits in the server's
 * queue, is computed (Started, Finished), and the response's segments reach the client
 * (ResponseSegment: the last one answers it). A request is lost at its first dropped
 * segment, with the drop's cause (the books' causes: OnBooks, hooked to the run's
 * DropClassifier), or at the client when it has no server (NO_SERVER) or at a server
 * whose queue is full (SERVER_FULL). Segments found in the network at the end are counted
 * per request (OnBooks with cause -1), so that every request is answered, lost or in
 * flight, and the count of each proves it.
 */
class WorkloadRecorder : public Object
{
  public:
    static TypeId GetTypeId();

    enum Status : uint8_t
    {
        PENDING = 0,
        ANSWERED = 1,
        LOST = 2,
    };
    /** Loss causes after the DropClassifier's seven (0..6). */
    static constexpr uint8_t NO_SERVER = 7;
    static constexpr uint8_t SERVER_FULL = 8;

    /** Size the row map for the books' rows (2 nFlows + 1) of the run's DropClassifier. */
    void Setup(uint32_t nFlows);
    /** Flow `flow`'s rows carry inference workload `workload`: requests out, responses back. */
    void SetInferenceFlow(uint32_t flow, uint32_t workload);
    /** Flow `flow`'s rows carry training job `job`'s packets (all-reduce, checkpoints, restores). */
    void SetJobFlow(uint32_t flow, uint32_t job);

    /** A new request; @return its number (0, 1, ... in the order they are made). */
    uint32_t NewRequest(uint32_t workload,
                        uint32_t client,
                        uint32_t requestBytes,
                        uint32_t responseBytes,
                        double ops,
                        uint16_t requestSegments,
                        uint16_t responseSegments);
    void SetServer(uint32_t request, uint32_t node);
    /** The request is lost for `cause`; the first loss of a request wins. */
    void Lost(uint32_t request, uint8_t cause, bool inResponse);
    /** A request segment reached the server's stack; @return true when it was the last */
    bool RequestSegment(uint32_t request);
    void Started(uint32_t request);
    void Finished(uint32_t request);
    /** A response segment reached the client's stack; @return true when it was the last */
    bool ResponseSegment(uint32_t request);

    uint32_t GetResponseBytes(uint32_t request) const;
    uint16_t GetResponseSegments(uint32_t request) const;
    double GetOps(uint32_t request) const;

    /** Hear every loss and in-flight packet the run's books count (OnBooks). */
    void Listen(Ptr<DropClassifier> books);
    /**
     * The books' hook (DropClassifier::SetListener): a packet of `row` was dropped for
     * `cause` (0..6), or found in flight at the end of the run (cause -1).
     */
    void OnBooks(Ptr<const Packet> packet, uint32_t row, int32_t cause);

    uint32_t GetNRequests() const;
    /**
     * Copy every request: workload, client, server node (UINT32_MAX: none), status, cause
     * (lost) and whether the loss hit the response, the times (ns; -1: did not happen) it
     * was sent, completely arrived at the server, started and finished computing,
     * answered, and its request and response segments delivered and found in flight.
     */
    void CopyRequests(uint32_t* workload,
                      uint32_t* client,
                      uint32_t* server,
                      uint8_t* status,
                      uint8_t* cause,
                      uint8_t* lostInResponse,
                      int64_t* sentNs,
                      int64_t* arrivedNs,
                      int64_t* startNs,
                      int64_t* endNs,
                      int64_t* answeredNs) const;
    void CopySizes(uint32_t* requestBytes, uint32_t* responseBytes, double* ops) const;
    void CopySegments(uint16_t* requestSegments,
                      uint16_t* requestDelivered,
                      uint16_t* requestInFlight,
                      uint16_t* responseSegments,
                      uint16_t* responseDelivered,
                      uint16_t* responseInFlight) const;

    /** Drops of training jobs' packets: job, time (ns), cause (0..6). */
    uint64_t GetNJobDrops() const;
    void CopyJobDrops(uint32_t* job, int64_t* timeNs, uint8_t* cause) const;

  private:
    std::vector<uint8_t> m_rowKind; // 0 none, 1 inference, 2 job
    std::vector<uint32_t> m_rowOwner;

    std::vector<uint32_t> m_workload;
    std::vector<uint32_t> m_client;
    std::vector<uint32_t> m_server;
    std::vector<uint8_t> m_status;
    std::vector<uint8_t> m_cause;
    std::vector<uint8_t> m_lostInResponse;
    std::vector<int64_t> m_sentNs;
    std::vector<int64_t> m_arrivedNs;
    std::vector<int64_t> m_startNs;
    std::vector<int64_t> m_endNs;
    std::vector<int64_t> m_answeredNs;
    std::vector<uint32_t> m_requestBytes;
    std::vector<uint32_t> m_responseBytes;
    std::vector<double> m_ops;
    std::vector<uint16_t> m_reqSegments;
    std::vector<uint16_t> m_reqDelivered;
    std::vector<uint16_t> m_reqInFlight;
    std::vector<uint16_t> m_respSegments;
    std::vector<uint16_t> m_respDelivered;
    std::vector<uint16_t> m_respInFlight;

    std::vector<uint32_t> m_dropJob;
    std::vector<int64_t> m_dropNs;
    std::vector<uint8_t> m_dropCause;
};

} // namespace ns3

#endif
