#include "time-window-scheduler.h"

#include "ns3/assert.h"
#include "ns3/event-impl.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(TimeWindowScheduler);

TimeWindowScheduler::LookAhead TimeWindowScheduler::s_lookAhead = nullptr;
const TimeWindowScheduler* TimeWindowScheduler::s_latest = nullptr;

// Events compare with ns-3's operator<: the earlier time first, at the same time the
// earlier scheduled (smaller uid).
namespace
{
// Width bounds: 1 time step, and 2^40 steps (~18 min at ns resolution).
constexpr uint32_t MAX_SHIFT = 40;
// A window of ~1 us at ns resolution until the traffic says otherwise.
constexpr uint32_t FIRST_SHIFT = 10;
} // namespace

TypeId
TimeWindowScheduler::GetTypeId()
{
    static TypeId tid = TypeId("ns3::TimeWindowScheduler")
                            .SetParent<Scheduler>()
                            .SetGroupName("Netsim")
                            .AddConstructor<TimeWindowScheduler>();
    return tid;
}

TimeWindowScheduler::TimeWindowScheduler()
    : m_shift(FIRST_SHIFT),
      m_ring(RING),
      m_far(CreateObject<FourAryHeapScheduler>()),
      m_stepsPerSecond(double(Seconds(1).GetTimeStep()))
{
    m_due.reserve(256);
    s_latest = this;
}

TimeWindowScheduler::~TimeWindowScheduler()
{
    if (s_latest == this)
    {
        s_latest = nullptr;
    }
}

void
TimeWindowScheduler::PrefetchPlace(Time t, double laterS)
{
    if (const TimeWindowScheduler* queue = s_latest)
    {
        const uint64_t w = uint64_t(t.GetTimeStep() + int64_t(laterS * queue->m_stepsPerSecond)) >> queue->m_shift;
        if (w > queue->m_current && w - queue->m_current < RING)
        {
            __builtin_prefetch(&queue->m_ring[w & MASK], 1);
        }
    }
}

TimeWindowScheduler::LookAhead
TimeWindowScheduler::SetLookAhead(LookAhead lookAhead)
{
    return std::exchange(s_lookAhead, lookAhead);
}

uint32_t
TimeWindowScheduler::GetWindowShift() const
{
    return m_shift;
}

uint64_t
TimeWindowScheduler::WindowOf(const Scheduler::Event& ev) const
{
    return ev.key.m_ts >> m_shift;
}

void
TimeWindowScheduler::Insert(const Scheduler::Event& ev)
{
    if (m_size == 0)
    {
        m_current = WindowOf(ev); // nothing pending anywhere: any window may be the current
    }
    ++m_size;
    Place(ev);
}

void
TimeWindowScheduler::Place(const Scheduler::Event& ev)
{
    const uint64_t w = WindowOf(ev);
    if (w <= m_current)
    {
        // Usually the latest yet (a run schedules forward): appended.
        if (m_due.size() == m_head || m_due.back() < ev)
        {
            m_due.push_back(ev);
        }
        else
        {
            m_due.insert(std::upper_bound(m_due.begin() + m_head, m_due.end(), ev), ev);
        }
    }
    else if (w - m_current < RING)
    {
        const uint64_t slot = w & MASK;
        m_ring[slot].push_back(ev);
        m_occupied[slot / 64] |= uint64_t(1) << (slot % 64);
        ++m_inRing;
    }
    else
    {
        ++m_farInserts;
        m_far->Insert(ev);
    }
}

bool
TimeWindowScheduler::IsEmpty() const
{
    return m_size == 0;
}

Scheduler::Event
TimeWindowScheduler::PeekNext() const
{
    NS_ASSERT(m_size > 0);
    return m_due[m_head]; // never empty while anything is pending
}

Scheduler::Event
TimeWindowScheduler::RemoveNext()
{
    NS_ASSERT(m_size > 0);
    const Scheduler::Event next = m_due[m_head++];
    --m_size;
    ++m_pops;
    std::size_t left = m_due.size() - m_head;
    while (left <= LOOK_AHEAD && m_size > left)
    {
        // The next windows join the due events before they run out, so the look-ahead
        // sees as far at a window's first events as at any others.
        Advance();
        left = m_due.size() - m_head;
    }
    if (left > 0)
    {
        // The next events are known: start fetching the object of one a few places
        // ahead, and what the ones before it will read (their objects were asked for at
        // earlier pops).
        if (left > LOOK_AHEAD)
        {
            // An event object may straddle two cache lines.
            const char* ahead = reinterpret_cast<const char*>(m_due[m_head + LOOK_AHEAD].impl);
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + 63);
        }
        if (s_lookAhead)
        {
            s_lookAhead(&m_due[m_head], std::min(left, LOOK_AHEAD));
        }
    }
    else
    {
        m_due.clear();
        m_head = 0;
    }
    if (m_pops == CHECK_EVERY)
    {
        AdjustWidth();
    }
    return next;
}

void
TimeWindowScheduler::Advance()
{
    NS_ASSERT(m_size > m_due.size() - m_head);
    ++m_advances;
    // The due events not yet run move to the front; the next window's follow them (every
    // one of those is later: its window is).
    m_due.erase(m_due.begin(), m_due.begin() + m_head);
    m_head = 0;
    const std::size_t joined = m_due.size();
    // The next window: the first occupied bucket after the current one; the heap's first
    // only when the ring is empty (its windows all lie past the ring's reach).
    uint64_t next = UINT64_MAX;
    if (m_inRing == 0)
    {
        next = WindowOf(m_far->PeekNext());
    }
    else
    {
        const uint64_t start = (m_current + 1) & MASK;
        for (uint64_t scanned = 0; scanned < RING; scanned += 64)
        {
            const uint64_t at = (start + scanned) & MASK;
            // The 64 buckets from at (wrapping): the rest of at's word, then the next word's start.
            const uint32_t bit = at % 64;
            uint64_t bits = m_occupied[at / 64] >> bit;
            if (bit > 0)
            {
                bits |= m_occupied[(at / 64 + 1) % m_occupied.size()] << (64 - bit);
            }
            if (bits != 0)
            {
                next = m_current + 1 + scanned + std::countr_zero(bits);
                break;
            }
        }
        NS_ASSERT(next != UINT64_MAX);
        const uint64_t slot = next & MASK;
        auto& bucket = m_ring[slot];
        m_inRing -= bucket.size();
        m_due.insert(m_due.end(), bucket.begin(), bucket.end());
        bucket.clear(); // its array is kept for the window it serves next
        m_occupied[slot / 64] &= ~(uint64_t(1) << (slot % 64));
        std::sort(m_due.begin() + joined, m_due.end());
    }
    m_current = next;
    // The ring now reaches RING windows past the new current one: the heap's events in that
    // reach move into it (those of the current window to their sorted places).
    while (!m_far->IsEmpty() && WindowOf(m_far->PeekNext()) - next < RING)
    {
        Place(m_far->RemoveNext());
    }
    for (std::size_t i = joined; i < std::min(m_due.size(), LOOK_AHEAD + 1); ++i)
    {
        __builtin_prefetch(m_due[i].impl);
    }
}

void
TimeWindowScheduler::AdjustWidth()
{
    // A window of a few dozen events: sorting stays in the cache, the ring reaches far.
    const double perWindow = double(m_pops) / std::max<uint32_t>(m_advances, 1);
    uint32_t shift = m_shift;
    if (perWindow > 64 && shift > 0)
    {
        --shift;
    }
    else if (perWindow < 8 && m_farInserts > m_pops / 8 && shift < MAX_SHIFT)
    {
        ++shift; // many events beyond the ring's reach, and windows to spare
    }
    m_pops = m_advances = m_farInserts = 0;
    if (shift != m_shift)
    {
        Rebuild(shift);
    }
}

void
TimeWindowScheduler::Rebuild(uint32_t shift)
{
    std::vector<Scheduler::Event> all;
    all.reserve(m_size);
    all.insert(all.end(), m_due.begin() + m_head, m_due.end());
    m_due.clear();
    m_head = 0;
    for (auto& bucket : m_ring)
    {
        all.insert(all.end(), bucket.begin(), bucket.end());
        bucket.clear();
    }
    m_occupied.fill(0);
    m_inRing = 0;
    while (!m_far->IsEmpty())
    {
        all.push_back(m_far->RemoveNext());
    }
    m_shift = shift;
    if (all.empty())
    {
        return;
    }
    // The due events come first and in order, so the new due window is appended to.
    m_current = WindowOf(*std::min_element(all.begin(), all.end()));
    for (const auto& ev : all)
    {
        Place(ev);
    }
    m_farInserts = 0;
}

void
TimeWindowScheduler::Remove(const Scheduler::Event& ev)
{
    NS_ASSERT(m_size > 0);
    const auto same = [&ev](const Scheduler::Event& e) {
        return e.key.m_uid == ev.key.m_uid && e.key.m_ts == ev.key.m_ts;
    };
    const uint64_t w = WindowOf(ev);
    if (w <= m_current)
    {
        const auto it = std::find_if(m_due.begin() + m_head, m_due.end(), same);
        NS_ASSERT_MSG(it != m_due.end(), "TimeWindowScheduler::Remove: event not found");
        m_due.erase(it);
        if (m_head == m_due.size())
        {
            m_due.clear();
            m_head = 0;
        }
    }
    else if (w - m_current < RING)
    {
        const uint64_t slot = w & MASK;
        auto& bucket = m_ring[slot];
        const auto it = std::find_if(bucket.begin(), bucket.end(), same);
        NS_ASSERT_MSG(it != bucket.end(), "TimeWindowScheduler::Remove: event not found");
        bucket.erase(it);
        --m_inRing;
        if (bucket.empty())
        {
            m_occupied[slot / 64] &= ~(uint64_t(1) << (slot % 64));
        }
    }
    else
    {
        m_far->Remove(ev);
    }
    --m_size;
    if (m_due.empty() && m_size > 0)
    {
        Advance();
    }
}

} // namespace ns3
