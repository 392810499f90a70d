"""The event queue of every run (ns3::FourAryHeapScheduler): events leave in (time, uid)
order, the order of ns-3's own schedulers, checked against Python's heapq."""

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
