"""A fixed-window counter in the cache, for forms open to people without an account."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/h" → (5, 3600): calls allowed, window in seconds."""
    count, period = rate.split("/")
    return int(count), _SECONDS[period]


def allow(scope: str, key: str, rate: str) -> bool:
    """Count one attempt for `key`; false once the window's allowance is spent.

    `cache.add` starts a window only if none is running, and `incr` is atomic in
    every shared cache backend, so concurrent attempts are all counted."""
    limit, window = parse_rate(rate)
    cache_key = f"ratelimit:{scope}:{key}"
    if cache.add(cache_key, 1, timeout=window):
        return limit >= 1
    try:
        return cache.incr(cache_key) <= limit
    except ValueError:  # the window ran out between add and incr
        cache.add(cache_key, 1, timeout=window)
        return True


def client_address(request: HttpRequest) -> str:
    """The caller's address: behind our own proxy the one it saw, else the socket's."""
    if settings.TTC_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
