#ifndef NETSIM_FOUR_ARY_HEAP_SCHEDULER_H
#define NETSIM_FOUR_ARY_HEAP_SCHEDULER_H

#include "ns3/scheduler.h"

#include <vector>

namespace ns3
{

/**
 * @brief An event queue kept as a 4-ary heap of (time, uid) keys.
 *
 * The same event order as ns-3's MapScheduler and PriorityQueueScheduler (keys are
 * unique, so every correct priority queue pops them alike), with half the levels of a
 * binary heap: a busy fabric holds ~10^5 pending packet arrivals, and the binary heap's
 * deeper levels were cache misses at every pop (~9 % of a run's packet time). A pop
 * walks the hole down along the smaller children to a leaf and lifts the last entry back
 * from there (Floyd's bottom-up deletion: ~3 comparisons per level), then starts
 * fetching the event that is due next. Runs use TimeWindowScheduler, which keeps the far
 * future in one of these.
 */
class FourAryHeapScheduler : public Scheduler
{
  public:
    static TypeId GetTypeId();

    FourAryHeapScheduler();
    ~FourAryHeapScheduler() override;

    void Insert(const Scheduler::Event& ev) override;
    bool IsEmpty() const override;
    Scheduler::Event PeekNext() const override;
    Scheduler::Event RemoveNext() override;
    /** Removes a pending event (a cancelled event's explicit removal): linear search. */
    void Remove(const Scheduler::Event& ev) override;

  private:
    static constexpr std::size_t ARITY = 4;

    /** Move the entry at hole up to where ev belongs, then store ev there. */
    void SiftUp(std::size_t hole, const Scheduler::Event& ev);
    /** Restore the heap below position i after its entry grew. */
    void SiftDown(std::size_t i);
    /** The earliest of the up to ARITY siblings from position first (heap size n). */
    std::size_t SmallestChild(std::size_t first, std::size_t n) const;

    std::vector<Scheduler::Event> m_heap;
};

} // namespace ns3

#endif
