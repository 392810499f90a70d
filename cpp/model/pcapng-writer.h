#ifndef NETSIM_PCAPNG_WRITER_H
#define NETSIM_PCAPNG_WRITER_H

#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/packet.h"
#include "ns3/traced-callback.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ns3
{

/**
 * @brief Writes the frames of one port to a new pcapng file.
 *
 * One section, one interface: a Section Header Block, an Interface Description Block
 * (link type, snap length, if_name, if_description, if_tsresol = 9, i.e. nanoseconds,
 * and a comment stating the time origin), a Name Resolution Block (IPv4 address ->
 * name), then one Enhanced Packet Block per frame with its direction in the EPB flags
 * (inbound / outbound). A frame's timestamp is Epoch + the simulation time, so tools show
 * the scenario's date; at most SnapLength bytes of a frame are kept, its original length
 * is recorded.
 *
 * The file is always a new one: its folder is opened without following a symlink
 * (O_DIRECTORY | O_NOFOLLOW) and the file is created in it with O_CREAT | O_EXCL |
 * O_NOFOLLOW, so an existing file or a symlink at its path is refused, never written
 * through. A failed write (disk full, file size limit) does not stop the simulation:
 * the writer closes the file, keeps the error (GetError), drops later frames and fires
 * the "Failed" trace source once; the caller decides what a failed capture means.
 */
class PcapNgWriter : public Object
{
  public:
    static TypeId GetTypeId();

    PcapNgWriter();
    ~PcapNgWriter() override;

    /** Signature of the "Failed" trace source: what failed (path: problem: reason). */
    typedef void (*FailedCallback)(std::string error);

    /** EPB flags, bits 0-1. */
    enum Direction
    {
        INBOUND = 1,
        OUTBOUND = 2,
    };

    /**
     * Names of IPv4 addresses (host byte order) written into the Name Resolution
     * Block; call before Open. A name is cut at its first NUL byte.
     */
    void SetNames(const std::vector<uint32_t>& addresses, const std::vector<std::string>& names);

    /**
     * Create folder/file and write the headers.
     * @param folder an existing folder (not a symlink)
     * @param file a plain file name (no '/', not "." or "..")
     * @param linkType the LINKTYPE_ value of the frames (9: PPP)
     * @param ifName if_name of the interface
     * @param ifDescription if_description of the interface
     * @param comment comment of the interface ("" for none)
     * @return true when the file was created; otherwise GetError() says why
     */
    bool Open(std::string folder,
              std::string file,
              uint16_t linkType,
              std::string ifName,
              std::string ifDescription,
              std::string comment);

    /** Append a frame sent (OUTBOUND) or received (INBOUND) now. */
    void Write(Ptr<const Packet> packet, Direction direction);
    /** Trace sink: a frame received (PhyRxEnd). */
    void WriteInbound(Ptr<const Packet> packet);
    /** Trace sink: a frame sent (PhyTxBegin). */
    void WriteOutbound(Ptr<const Packet> packet);

    /** Flush and close; @return false when a write failed (now or before). */
    bool Close();

    /** @return whether opening or a write failed */
    bool IsFailed() const;
    /** @return what failed ("" when nothing did) */
    std::string GetError() const;
    /** @return the path of the file (folder/file) */
    std::string GetPath() const;
    /** @return frames written so far */
    uint64_t GetFrames() const;

  protected:
    void DoDispose() override;

  private:
    void Append(const void* data, std::size_t n);
    void AppendOption(uint16_t code, const std::string& value);
    void AppendBlock(uint32_t type, const std::vector<uint8_t>& body);
    void Flush();
    void Fail(const std::string& what, int error);

    Time m_epoch;         //!< capture time of simulation time 0, since 1970-01-01 UTC
    uint32_t m_snapLength; //!< bytes kept per frame
    int m_fd{-1};
    std::string m_path;
    std::string m_error;
    bool m_failed{false};
    uint64_t m_frames{0};
    std::vector<uint8_t> m_buffer; //!< bytes not yet written
    std::vector<uint8_t> m_frame;  //!< scratch copy of one frame
    std::vector<uint32_t> m_addresses;
    std::vector<std::string> m_names;
    TracedCallback<std::string> m_failedTrace;
};

} // namespace ns3

#endif
