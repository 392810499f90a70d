#include "pcapng-writer.h"

#include "ns3/log.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("PcapNgWriter");
NS_OBJECT_ENSURE_REGISTERED(PcapNgWriter);

namespace
{
constexpr uint32_t BLOCK_SHB = 0x0A0D0D0A;
constexpr uint32_t BLOCK_IDB = 1;
constexpr uint32_t BLOCK_NRB = 4;
constexpr uint32_t BLOCK_EPB = 6;
constexpr uint32_t BYTE_ORDER_MAGIC = 0x1A2B3C4D;
constexpr uint16_t OPT_END = 0;
constexpr uint16_t OPT_COMMENT = 1;
constexpr uint16_t SHB_USERAPPL = 4;
constexpr uint16_t IF_NAME = 2;
constexpr uint16_t IF_DESCRIPTION = 3;
constexpr uint16_t IF_TSRESOL = 9;
constexpr uint16_t EPB_FLAGS = 2;
constexpr uint16_t NRB_IPV4 = 1;
constexpr std::size_t FLUSH_BYTES = 64 * 1024;

void
Put(std::vector<uint8_t>& out, const void* data, std::size_t n)
{
    const auto* p = static_cast<const uint8_t*>(data);
    out.insert(out.end(), p, p + n);
}

template <typename T>
void
PutValue(std::vector<uint8_t>& out, T value)
{
    Put(out, &value, sizeof(value)); // host byte order: the SHB magic tells readers which
}

void
Pad(std::vector<uint8_t>& out)
{
    out.resize((out.size() + 3) & ~std::size_t(3), 0);
}

void
PutOption(std::vector<uint8_t>& out, uint16_t code, const std::string& value)
{
    const std::size_t n = std::min<std::size_t>(value.size(), 0xFFFC);
    PutValue<uint16_t>(out, code);
    PutValue<uint16_t>(out, uint16_t(n));
    Put(out, value.data(), n);
    Pad(out);
}

void
PutEnd(std::vector<uint8_t>& out)
{
    PutValue<uint16_t>(out, OPT_END);
    PutValue<uint16_t>(out, 0);
}
} // namespace

TypeId
PcapNgWriter::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::PcapNgWriter")
            .SetParent<Object>()
            .SetGroupName("Netsim")
            .AddConstructor<PcapNgWriter>()
            .AddAttribute("Epoch",
                          "Capture time of simulation time 0, as time since 1970-01-01 UTC.",
                          TimeValue(Seconds(0)),
                          MakeTimeAccessor(&PcapNgWriter::m_epoch),
                          MakeTimeChecker(Seconds(0)))
            .AddAttribute("SnapLength",
                          "Bytes of a frame kept in the file (its original length is kept too).",
                          UintegerValue(65535),
                          MakeUintegerAccessor(&PcapNgWriter::m_snapLength),
                          MakeUintegerChecker<uint32_t>(1, 262144))
            .AddTraceSource("Failed",
                            "Opening the file or a write failed: what failed.",
                            MakeTraceSourceAccessor(&PcapNgWriter::m_failedTrace),
                            "ns3::PcapNgWriter::FailedCallback");
    return tid;
}

PcapNgWriter::PcapNgWriter()
    : m_snapLength(65535)
{
}

PcapNgWriter::~PcapNgWriter()
{
    Close();
}

void
PcapNgWriter::DoDispose()
{
    Close();
    Object::DoDispose();
}

void
PcapNgWriter::SetNames(const std::vector<uint32_t>& addresses, const std::vector<std::string>& names)
{
    const std::size_t n = std::min(addresses.size(), names.size());
    m_addresses.assign(addresses.begin(), addresses.begin() + n);
    m_names.assign(names.begin(), names.begin() + n);
}

bool
PcapNgWriter::Open(std::string folder,
                   std::string file,
                   uint16_t linkType,
                   std::string ifName,
                   std::string ifDescription,
                   std::string comment)
{
    NS_LOG_FUNCTION(this << folder << file);
    m_path = folder + "/" + file;
    if (m_fd >= 0 || m_failed)
    {
        Fail("this capture was opened already", 0);
        return false;
    }
    if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos ||
        file.find('\0') != std::string::npos)
    {
        Fail("not a plain file name", 0);
        return false;
    }
    const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
    {
        const int error = errno;
        Fail("cannot open its folder (it must be a folder, not a symlink)", error);
        return false;
    }
    m_fd = ::openat(dir, file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    const int error = errno;
    ::close(dir);
    if (m_fd < 0)
    {
        Fail(error == EEXIST ? "exists already (a capture is always written to a new file; "
                               "a file or symlink in its place is refused)"
                             : "cannot create",
             error == EEXIST ? 0 : error);
        return false;
    }

    std::vector<uint8_t> body;
    // Section Header Block
    PutValue<uint32_t>(body, BYTE_ORDER_MAGIC);
    PutValue<uint16_t>(body, 1);
    PutValue<uint16_t>(body, 0);
    PutValue<int64_t>(body, -1); // section length not given
    PutOption(body, SHB_USERAPPL, "netsim (ns-3)");
    PutEnd(body);
    AppendBlock(BLOCK_SHB, body);

    // Interface Description Block
    body.clear();
    PutValue<uint16_t>(body, linkType);
    PutValue<uint16_t>(body, 0);
    PutValue<uint32_t>(body, m_snapLength);
    PutOption(body, IF_NAME, ifName);
    PutOption(body, IF_DESCRIPTION, ifDescription);
    PutOption(body, IF_TSRESOL, std::string(1, char(9)));
    if (!comment.empty())
    {
        PutOption(body, OPT_COMMENT, comment);
    }
    PutEnd(body);
    AppendBlock(BLOCK_IDB, body);

    // Name Resolution Block
    if (!m_addresses.empty())
    {
        body.clear();
        for (std::size_t i = 0; i < m_addresses.size(); ++i)
        {
            std::string name = m_names[i].substr(0, std::min<std::size_t>(m_names[i].find('\0'), 0xFF00));
            const uint32_t address = m_addresses[i];
            const uint8_t bytes[4] = {uint8_t(address >> 24),
                                      uint8_t(address >> 16),
                                      uint8_t(address >> 8),
                                      uint8_t(address)};
            PutValue<uint16_t>(body, NRB_IPV4);
            PutValue<uint16_t>(body, uint16_t(4 + name.size() + 1));
            Put(body, bytes, 4);
            Put(body, name.c_str(), name.size() + 1);
            Pad(body);
        }
        PutEnd(body);
        AppendBlock(BLOCK_NRB, body);
    }
    Flush();
    return !m_failed;
}

void
PcapNgWriter::WriteInbound(Ptr<const Packet> packet)
{
    Write(packet, INBOUND);
}

void
PcapNgWriter::WriteOutbound(Ptr<const Packet> packet)
{
    Write(packet, OUTBOUND);
}

void
PcapNgWriter::Write(Ptr<const Packet> packet, Direction direction)
{
    if (m_fd < 0)
    {
        return; // not open, failed or closed
    }
    const uint32_t size = packet->GetSize();
    const uint32_t captured = std::min(size, m_snapLength);
    m_frame.resize(captured);
    packet->CopyData(m_frame.data(), captured);
    const uint64_t ts = uint64_t(m_epoch.GetNanoSeconds()) + uint64_t(Simulator::Now().GetNanoSeconds());
    const uint32_t padded = (captured + 3) & ~3U;
    const uint32_t total = 12 + 20 + padded + 8 + 4;
    const uint32_t head[7] = {BLOCK_EPB, total, 0, uint32_t(ts >> 32), uint32_t(ts), captured, size};
    Append(head, sizeof(head));
    Append(m_frame.data(), captured);
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    Append(zeros, padded - captured);
    const uint32_t tail[4] = {uint32_t(EPB_FLAGS) | (4U << 16), uint32_t(direction), OPT_END, total};
    Append(tail, sizeof(tail));
    ++m_frames;
    if (m_buffer.size() >= FLUSH_BYTES)
    {
        Flush();
    }
}

void
PcapNgWriter::Append(const void* data, std::size_t n)
{
    Put(m_buffer, data, n);
}

void
PcapNgWriter::AppendBlock(uint32_t type, const std::vector<uint8_t>& body)
{
    const uint32_t total = uint32_t(12 + body.size());
    Append(&type, 4);
    Append(&total, 4);
    Append(body.data(), body.size());
    Append(&total, 4);
}

void
PcapNgWriter::Flush()
{
    std::size_t done = 0;
    while (m_fd >= 0 && done < m_buffer.size())
    {
        const ssize_t n = ::write(m_fd, m_buffer.data() + done, m_buffer.size() - done);
        if (n < 0 && errno == EINTR)
        {
            continue;
        }
        if (n <= 0)
        {
            const int error = n < 0 ? errno : EIO;
            Fail("write failed after " + std::to_string(m_frames) + " frames", error);
            break;
        }
        done += std::size_t(n);
    }
    m_buffer.clear();
}

bool
PcapNgWriter::Close()
{
    if (m_fd >= 0)
    {
        Flush();
    }
    if (m_fd >= 0)
    {
        if (::close(m_fd) != 0)
        {
            const int error = errno;
            m_fd = -1;
            Fail("closing failed", error);
        }
        m_fd = -1;
    }
    return !m_failed;
}

void
PcapNgWriter::Fail(const std::string& what, int error)
{
    if (m_fd >= 0)
    {
        ::close(m_fd);
        m_fd = -1;
    }
    m_buffer.clear();
    if (m_failed)
    {
        return; // the first error is the one that matters
    }
    m_failed = true;
    m_error = m_path + ": " + what + (error ? std::string(": ") + std::strerror(error) : std::string());
    NS_LOG_WARN(m_error);
    m_failedTrace(m_error);
}

bool
PcapNgWriter::IsFailed() const
{
    return m_failed;
}

std::string
PcapNgWriter::GetError() const
{
    return m_error;
}

std::string
PcapNgWriter::GetPath() const
{
    return m_path;
}

uint64_t
PcapNgWriter::GetFrames() const
{
    return m_frames;
}

} // namespace ns3
