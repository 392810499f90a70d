"""The event queues (ns3::FourAryHeapScheduler, ns3::TimeWindowScheduler): events leave in
(time, uid) order, the order of ns-3's own schedulers, checked against Python's heapq; the
look-ahead sees the events due next."""

from __future__ import annotations

import heapq

import numpy as np

from core_support import drivers


def _event(ns, ts: int, uid: int):
    ev = ns.Scheduler.Event()
    ev.impl = ns.cppyy.nullptr
    ev.key.m_ts, ev.key.m_uid, ev.key.m_context = ts, uid, 0
    return ev


def test_events_leave_in_time_then_uid_order_through_inserts_pops_and_removals():
    """20,000 operations as a simulation makes them (inserts at now + a delay, pops of the
    earliest, removals of pending events), times from a narrow range so that many events
    share one instant and the uid decides: every pop is heapq's smallest (time, uid)."""
    ns, _ = drivers()
    queue = ns.CreateObject[ns.FourAryHeapScheduler]()
    rng = np.random.default_rng(3)
    oracle: list[tuple[int, int]] = []
    pending: set[tuple[int, int]] = set()
    now, uid, popped = 0, 0, 0
    for op in rng.random(20_000):
        if op < 0.55 or not pending:
            key = (now + int(rng.integers(0, 40)), uid)
            uid += 1
            queue.Insert(_event(ns, *key))
            heapq.heappush(oracle, key)
            pending.add(key)
        elif op < 0.95:
            ev = queue.RemoveNext()
            while oracle[0] not in pending:  # removed earlier
                heapq.heappop(oracle)
            expected = heapq.heappop(oracle)
            assert (ev.key.m_ts, ev.key.m_uid) == expected
            pending.discard(expected)
            now, popped = expected[0], popped + 1
        else:
            key = sorted(pending)[int(rng.integers(0, len(pending)))]
            queue.Remove(_event(ns, *key))
            pending.discard(key)
    assert popped > 5_000
    rest = []
    while not queue.IsEmpty():
        ev = queue.RemoveNext()
        rest.append((ev.key.m_ts, ev.key.m_uid))
    assert rest == sorted(pending)


_WINDOW_DRIVER = """
namespace netsim_window_test {
// Runs ops through a TimeWindowScheduler as a simulation would: kind 0 inserts at
// now + delay (uids in order), 1 pops the earliest (now becomes its time), 2 removes the
// pending event at rank `pick` (a fraction) in uid order. Returns the popped (ts, uid)
// pairs, then the rest drained; records the window widths the queue went through.
std::vector<uint64_t> shifts;
std::vector<uint64_t> Drive(const std::vector<int>& kinds, const std::vector<uint64_t>& delays,
                            const std::vector<double>& picks) {
    auto queue = ns3::CreateObject<ns3::TimeWindowScheduler>();
    std::map<uint32_t, uint64_t> pending;
    std::vector<uint64_t> out;
    uint64_t now = 0;
    uint32_t uid = 0;
    shifts.clear();
    auto event = [](uint64_t ts, uint32_t id) {
        ns3::Scheduler::Event ev;
        ev.impl = nullptr;
        ev.key.m_ts = ts; ev.key.m_uid = id; ev.key.m_context = 0;
        return ev;
    };
    for (size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i] == 0 || pending.empty()) {
            queue->Insert(event(now + delays[i], uid));
            pending[uid] = now + delays[i];
            ++uid;
        } else if (kinds[i] == 1) {
            auto ev = queue->RemoveNext();
            out.push_back(ev.key.m_ts); out.push_back(ev.key.m_uid);
            pending.erase(ev.key.m_uid);
            now = ev.key.m_ts;
        } else {
            auto it = std::next(pending.begin(), size_t(picks[i] * pending.size()));
            queue->Remove(event(it->second, it->first));
            pending.erase(it);
        }
        if (shifts.empty() || shifts.back() != queue->GetWindowShift()) shifts.push_back(queue->GetWindowShift());
    }
    while (!queue->IsEmpty()) {
        auto ev = queue->RemoveNext();
        out.push_back(ev.key.m_ts); out.push_back(ev.key.m_uid);
    }
    return out;
}
}
"""


def test_time_windows_pop_in_time_then_uid_order_as_windows_narrow_and_widen():
    """The queue of every run (ns3::TimeWindowScheduler) against heapq over 400,000
    operations in three phases: a dense burst (hundreds of events per microsecond window,
    so the windows narrow), a sparse stretch whose delays reach past the ring (so they
    widen), then a mix of same-instant ties, next-window, in-ring and far delays with
    removals from every part. Every pop and the final drain must be heapq's order, and the
    width must have moved both ways (else a phase tested nothing)."""
    ns, _ = drivers()
    ns.cppyy.cppdef(_WINDOW_DRIVER)
    rng = np.random.default_rng(11)
    phases = [
        # (ops, share of inserts, share of pops, delays drawn from)
        (150_000, 0.5, 0.49, lambda n: rng.integers(0, 2_000, n)),
        (100_000, 0.5, 0.49, lambda n: rng.integers(0, 50_000_000, n)),
        (150_000, 0.5, 0.45, lambda n: rng.choice([0, 1, 1_000, 200_000, 5_000_000_000], n)
         * rng.integers(1, 4, n) + rng.integers(0, 3, n)),
    ]
    kinds, delays = [], []
    for n, insert, pop, draw in phases:
        r = rng.random(n)
        kinds.append(np.where(r < insert, 0, np.where(r < insert + pop, 1, 2)))
        delays.append(draw(n))
    kinds = np.concatenate(kinds).astype(int)
    delays = np.concatenate(delays).astype(np.uint64)
    picks = rng.random(len(kinds))

    std = ns.cppyy.gbl.std
    got = list(ns.cppyy.gbl.netsim_window_test.Drive(
        std.vector["int"](kinds.tolist()), std.vector["uint64_t"](delays.tolist()),
        std.vector["double"](picks.tolist())))

    oracle: list[tuple[int, int]] = []
    pending: dict[int, int] = {}
    expected: list[int] = []
    now = uid = 0
    for kind, delay, pick in zip(kinds.tolist(), delays.tolist(), picks.tolist()):
        if kind == 0 or not pending:
            heapq.heappush(oracle, (now + delay, uid))
            pending[uid] = now + delay
            uid += 1
        elif kind == 1:
            while oracle[0][1] not in pending:  # removed earlier
                heapq.heappop(oracle)
            ts, popped = heapq.heappop(oracle)
            del pending[popped]
            expected += [ts, popped]
            now = ts
        else:
            victim = sorted(pending)[int(pick * len(pending))]
            del pending[victim]
    expected += [v for key in sorted((ts, u) for u, ts in pending.items()) for v in key]
    assert got == expected
    shifts = list(ns.cppyy.gbl.netsim_window_test.shifts)
    steps = np.diff(shifts)
    assert (steps < 0).any() and (steps > 0).any(), shifts


_LOOK_AHEAD_DRIVER = """
#include <set>
namespace netsim_look_ahead_test {
// What the queue's look-ahead is shown at each pop, against an ordered set of the pending
// events: it must be the first min(LOOK_AHEAD, pending) of them, in order.
std::set<std::pair<uint64_t, uint32_t>>* g_pending = nullptr;
uint64_t g_calls = 0, g_short = 0, g_wrong = 0;
void Record(const ns3::Scheduler::Event* next, std::size_t count) {
    ++g_calls;
    const std::size_t want = std::min<std::size_t>(ns3::TimeWindowScheduler::LOOK_AHEAD, g_pending->size());
    g_short += count < want;
    auto it = g_pending->begin();
    for (std::size_t i = 0; i < count; ++i, ++it) {
        g_wrong += it == g_pending->end() || it->first != next[i].key.m_ts || it->second != next[i].key.m_uid;
    }
}
// kind 0 inserts at now + delay, 1 pops; returns the pops that left events pending.
uint64_t Drive(const std::vector<int>& kinds, const std::vector<uint64_t>& delays) {
    std::set<std::pair<uint64_t, uint32_t>> pending;
    g_pending = &pending;
    g_calls = g_short = g_wrong = 0;
    const auto before = ns3::TimeWindowScheduler::SetLookAhead(&Record);
    auto queue = ns3::CreateObject<ns3::TimeWindowScheduler>();
    uint64_t now = 0, busyPops = 0;
    uint32_t uid = 0;
    for (size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i] == 0 || pending.empty()) {
            ns3::Scheduler::Event ev;
            ev.impl = nullptr;
            ev.key.m_ts = now + delays[i]; ev.key.m_uid = uid++; ev.key.m_context = 0;
            pending.insert({ev.key.m_ts, ev.key.m_uid});
            queue->Insert(ev);
        } else {
            // The look-ahead runs inside RemoveNext, when the popped event has left.
            const auto first = *pending.begin();
            pending.erase(pending.begin());
            auto ev = queue->RemoveNext();
            g_wrong += ev.key.m_ts != first.first || ev.key.m_uid != first.second;
            now = ev.key.m_ts;
            busyPops += !pending.empty();
        }
    }
    ns3::TimeWindowScheduler::SetLookAhead(before);
    g_pending = nullptr;
    return busyPops;
}
}
"""


def test_the_look_ahead_sees_the_next_events_across_window_boundaries():
    """At every pop that leaves events pending, the look-ahead is shown the next
    min(LOOK_AHEAD, pending) events in (time, uid) order, a window's first events
    included: the next window joins the due ones before they run out. 200,000 operations
    with delays of a few windows (many windows a few events each, so boundaries come
    every few pops) and a burst of same-instant ties; the pending events are an ordered
    std::set kept beside the queue."""
    ns, _ = drivers()
    ns.cppyy.cppdef(_LOOK_AHEAD_DRIVER)
    rng = np.random.default_rng(5)
    n = 200_000
    kinds = (rng.random(n) >= 0.5).astype(int)
    delays = np.where(rng.random(n) < 0.1, 0, rng.integers(0, 20_000, n)).astype(np.uint64)
    test = ns.cppyy.gbl.netsim_look_ahead_test
    busy_pops = test.Drive(ns.cppyy.gbl.std.vector["int"](kinds.tolist()),
                           ns.cppyy.gbl.std.vector["uint64_t"](delays.tolist()))
    assert busy_pops > 50_000
    assert test.g_calls == busy_pops
    assert (test.g_short, test.g_wrong) == (0, 0)
