#include "four-ary-heap-scheduler.h"

#include "ns3/assert.h"
#include "ns3/event-impl.h"

#include <algorithm>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(FourAryHeapScheduler);

// Events compare with ns-3's operator<: the earlier time first, at the same time the
// earlier scheduled (smaller uid).

TypeId
FourAryHeapScheduler::GetTypeId()
{
    static TypeId tid = TypeId("ns3::FourAryHeapScheduler")
                            .SetParent<Scheduler>()
                            .SetGroupName("Netsim")
                            .AddConstructor<FourAryHeapScheduler>();
    return tid;
}

FourAryHeapScheduler::FourAryHeapScheduler()
{
    m_heap.reserve(1024);
}

FourAryHeapScheduler::~FourAryHeapScheduler() = default;

void
FourAryHeapScheduler::Insert(const Scheduler::Event& ev)
{
    m_heap.emplace_back();
    SiftUp(m_heap.size() - 1, ev);
}

bool
FourAryHeapScheduler::IsEmpty() const
{
    return m_heap.empty();
}

Scheduler::Event
FourAryHeapScheduler::PeekNext() const
{
    NS_ASSERT(!m_heap.empty());
    return m_heap.front();
}

Scheduler::Event
FourAryHeapScheduler::RemoveNext()
{
    NS_ASSERT(!m_heap.empty());
    const Scheduler::Event next = m_heap.front();
    const Scheduler::Event last = m_heap.back();
    m_heap.pop_back();
    const std::size_t n = m_heap.size();
    if (n > 0)
    {
        // Bottom-up: the hole goes down along the smallest children to a leaf, the last
        // entry comes back up from there (it is usually large, so it rarely climbs).
        std::size_t hole = 0;
        for (std::size_t child = 1; child < n; child = ARITY * hole + 1)
        {
            const std::size_t best = SmallestChild(child, n);
            m_heap[hole] = m_heap[best];
            hole = best;
        }
        SiftUp(hole, last);
        // The next event's object is read when it runs, after this one: fetch it now.
        __builtin_prefetch(m_heap.front().impl);
    }
    return next;
}

void
FourAryHeapScheduler::Remove(const Scheduler::Event& ev)
{
    const auto it = std::find_if(m_heap.begin(), m_heap.end(), [&ev](const Scheduler::Event& e) {
        return e.key.m_uid == ev.key.m_uid && e.key.m_ts == ev.key.m_ts;
    });
    NS_ASSERT_MSG(it != m_heap.end(), "FourAryHeapScheduler::Remove: event not found");
    const std::size_t i = it - m_heap.begin();
    const Scheduler::Event last = m_heap.back();
    m_heap.pop_back();
    if (i == m_heap.size())
    {
        return; // it was the last entry
    }
    // The last entry fills the gap: it belongs above it or below it.
    if (i > 0 && last < m_heap[(i - 1) / ARITY])
    {
        SiftUp(i, last);
    }
    else
    {
        m_heap[i] = last;
        SiftDown(i);
    }
}

void
FourAryHeapScheduler::SiftUp(std::size_t hole, const Scheduler::Event& ev)
{
    while (hole > 0)
    {
        const std::size_t parent = (hole - 1) / ARITY;
        if (!(ev < m_heap[parent]))
        {
            break;
        }
        m_heap[hole] = m_heap[parent];
        hole = parent;
    }
    m_heap[hole] = ev;
}

std::size_t
FourAryHeapScheduler::SmallestChild(std::size_t first, std::size_t n) const
{
    std::size_t best = first;
    const std::size_t end = std::min(first + ARITY, n);
    for (std::size_t c = first + 1; c < end; ++c)
    {
        if (m_heap[c] < m_heap[best])
        {
            best = c;
        }
    }
    return best;
}

void
FourAryHeapScheduler::SiftDown(std::size_t i)
{
    const std::size_t n = m_heap.size();
    const Scheduler::Event ev = m_heap[i];
    for (std::size_t child = ARITY * i + 1; child < n; child = ARITY * i + 1)
    {
        const std::size_t best = SmallestChild(child, n);
        if (!(m_heap[best] < ev))
        {
            break;
        }
        m_heap[i] = m_heap[best];
        i = best;
    }
    m_heap[i] = ev;
}

} // namespace ns3
