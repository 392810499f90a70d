#ifndef NETSIM_TIME_WINDOW_SCHEDULER_H
#define NETSIM_TIME_WINDOW_SCHEDULER_H

#include "four-ary-heap-scheduler.h"

#include "ns3/nstime.h"
#include "ns3/ptr.h"
#include "ns3/scheduler.h"

#include <array>
#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief An event queue of time windows: the window due now sorted, the next ones in a
 * ring of unsorted buckets, the far future in a 4-ary heap.
 *
 * A calendar queue (Brown 1988) with exact (time, uid) order, the order of ns-3's own
 * schedulers: time is cut into windows of 2^k time steps; an event lands in the bucket of
 * its window with one append, and a bucket is sorted once, when its window becomes the
 * current one (an event inserted into the current window goes straight to its sorted
 * place). Windows further ahead than the ring reaches wait in a FourAryHeapScheduler. The
 * width follows the traffic (a few dozen events per window), checked every 2^16 pops;
 * it changes the speed, never the order.
 *
 * Because the current window is a sorted array, the events due next are known: a pop
 * fetches the event object LOOK_AHEAD + 1 places ahead and hands the LOOK_AHEAD events
 * after it, in order, to a look-ahead function (SetLookAhead) that fetches what they
 * will read, a step further each pop — in a million-satellite fabric nearly every object
 * an arrival touches is a cache miss, and one object leads to the next. The next windows
 * become current while no more than LOOK_AHEAD due events are left, their events sorted
 * after those, so a window's first events are seen as far ahead as any.
 */
class TimeWindowScheduler : public Scheduler
{
  public:
    /** How many pending events the look-ahead sees at each pop. */
    static constexpr std::size_t LOOK_AHEAD = 6;
    /**
     * Fetches into the cache what pending events will read when they run: the `count`
     * events due next, in order (the next one first). It may only fetch: it is called
     * again for the same events at the following pops.
     */
    using LookAhead = void (*)(const Scheduler::Event* next, std::size_t count);

    static TypeId GetTypeId();
    TimeWindowScheduler();
    ~TimeWindowScheduler() override;

    void Insert(const Scheduler::Event& ev) override;
    bool IsEmpty() const override;
    Scheduler::Event PeekNext() const override;
    Scheduler::Event RemoveNext() override;
    /** Removes a pending event (a cancelled event's explicit removal): linear search. */
    void Remove(const Scheduler::Event& ev) override;

    /** Sets the function every queue calls for the events due next (null: none); the one before. */
    static LookAhead SetLookAhead(LookAhead lookAhead);

    /**
     * Fetch, for writing, the bucket an event due `laterS` seconds after `t` will be
     * appended to in the queue last created (the run's): a sender knows roughly when
     * its arrival is due some hundred nanoseconds before it schedules it, and at a
     * million nodes the ring's bucket headers are a miss at nearly every insert. Only a
     * fetch: a wrong guess costs the fetch.
     */
    static void PrefetchPlace(Time t, double laterS);

    /** The width of a window now: 2^k time steps. */
    uint32_t GetWindowShift() const;

  private:
    static constexpr uint32_t RING_BITS = 12;
    static constexpr uint64_t RING = uint64_t(1) << RING_BITS; // buckets ahead of the current
    static constexpr uint64_t MASK = RING - 1;
    static constexpr uint32_t CHECK_EVERY = 1 << 16;           // pops between width checks

    uint64_t WindowOf(const Scheduler::Event& ev) const;
    /** Puts ev where its window belongs (current, ring or heap). */
    void Place(const Scheduler::Event& ev);
    /** Makes the earliest pending window past the current one the current one: its events join the due ones, after them. */
    void Advance();
    /** Looks at the last CHECK_EVERY pops and narrows or widens the windows. */
    void AdjustWidth();
    /** Re-places every pending event under a new window width. */
    void Rebuild(uint32_t shift);

    uint32_t m_shift;
    uint64_t m_current = 0;                        // the window of m_due
    std::vector<Scheduler::Event> m_due;           // windows <= m_current, in order from m_head
    std::size_t m_head = 0;                        // the next event's place in m_due
    std::vector<std::vector<Scheduler::Event>> m_ring; // window w at w & MASK
    std::array<uint64_t, RING / 64> m_occupied{}; // a bit per nonempty bucket
    std::size_t m_inRing = 0;
    Ptr<FourAryHeapScheduler> m_far;               // windows >= m_current + RING
    std::size_t m_size = 0;
    // Since the last width check:
    uint32_t m_pops = 0;
    uint32_t m_advances = 0;
    uint32_t m_farInserts = 0;

    double m_stepsPerSecond; // for PrefetchPlace's guess

    static LookAhead s_lookAhead;
    static const TimeWindowScheduler* s_latest; // the queue PrefetchPlace serves
};

} // namespace ns3

#endif
