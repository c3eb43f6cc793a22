from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def _once(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def paired(
    baseline: Callable[[], object], measured: Callable[[], object], *, repeat: int = 60
) -> tuple[float, float, float]:
    """Median seconds of each, and the median of the per-pair ratios.

    The two run alternately, so that a slow moment on a shared machine hits
    both sides of a pair and cancels out of the ratio.
    """
    baseline()
    measured()
    base_times, measured_times, ratios = [], [], []
    for _ in range(repeat):
        base = _once(baseline)
        other = _once(measured)
        base_times.append(base)
        measured_times.append(other)
        ratios.append(other / base)
    return (
        statistics.median(base_times),
        statistics.median(measured_times),
        statistics.median(ratios),
    )
