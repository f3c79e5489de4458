"""The sliding window and `Retry-After` formatting, without a server."""

from __future__ import annotations

from ac_export.emulator.limits import SlidingWindow, retry_after_header


def test_sliding_window_admits_limit_events_per_window() -> None:
    window = SlidingWindow(limit=5, seconds=1.0)
    assert [window.try_acquire(10.0 + i * 0.1, 1.0) for i in range(5)] == [None] * 5
    assert window.try_acquire(10.5, 1.0) == 0.5
    assert window.try_acquire(11.0, 1.0) is None
    assert window.remaining() == 0


def test_time_scale_shrinks_the_window() -> None:
    window = SlidingWindow(limit=1, seconds=60.0)
    assert window.try_acquire(0.0, 60.0) is None
    assert window.try_acquire(0.5, 60.0) == 0.5
    assert window.try_acquire(1.0, 60.0) is None


def test_retry_after_is_whole_seconds_unless_scaled() -> None:
    assert retry_after_header(0.2, 1.0) == "1"
    assert retry_after_header(1.2, 1.0) == "2"
    assert retry_after_header(0.1234, 10.0) == "0.124"
    assert retry_after_header(0.0, 10.0) == "0.001"
