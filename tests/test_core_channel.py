"""The laser channel and device on their own: one link, known geometry, known delay."""

from __future__ import annotations

import pytest

from core_support import SPEED_OF_LIGHT_MPS, drivers, run_and_collect, two_terminal_link


def test_single_hop_delay_is_distance_over_c_plus_serialisation():
    ns, test = drivers()
    distance_m = 3_000_000.0
    fabric = two_terminal_link([7e6, 0, 0], [7e6, distance_m, 0])
    test.Listen(fabric.port(1, 0))
    test.SendTrain(fabric.port(0, 0), 1.0, 1.0, 1, 998)
    arrivals = run_and_collect(ns, test, 5.0)
    ns.Simulator.Destroy()
    assert len(arrivals) == 1
    expected_s = 1.0 + distance_m / SPEED_OF_LIGHT_MPS + (998 + 2) * 8 / 10e9
    assert arrivals[0] * 1e-9 == pytest.approx(expected_s, abs=2e-9)


def test_light_time_for_a_receiver_moving_away():
    """Light chasing a receding terminal flies d / (c - v), longer than d / c."""
    ns, test = drivers()
    distance_m, speed_mps = 3_000_000.0, 7_500.0
    send_s = 2.0
    # Receiver at distance_m from the sender at send time, receding along the line.
    fabric = two_terminal_link([7e6, 0, 0], [7e6, distance_m - speed_mps * send_s, 0],
                               vel1=(0, speed_mps, 0))
    test.Listen(fabric.port(1, 0))
    test.SendTrain(fabric.port(0, 0), send_s, 1.0, 1, 998)
    arrivals = run_and_collect(ns, test, 5.0)
    ns.Simulator.Destroy()
    flight_s = arrivals[0] * 1e-9 - send_s - (998 + 2) * 8 / 10e9
    naive_s = distance_m / SPEED_OF_LIGHT_MPS
    expected_s = distance_m / (SPEED_OF_LIGHT_MPS - speed_mps)
    assert flight_s == pytest.approx(expected_s, abs=2e-9)
    assert flight_s - naive_s == pytest.approx(distance_m * speed_mps / SPEED_OF_LIGHT_MPS**2, rel=0.02)
