"""Rate limits for forms open to people without an account."""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/h" → (5, 3600): calls allowed, window in seconds."""
    count, period = rate.split("/")
    return int(count), _SECONDS[period]


def allow(scope: str, key: str, rate: str) -> bool:
    """Take one of the window's `limit` places for `key`; false once all are taken.

    Each place is a cache entry claimed with `cache.add`, which every backend
    makes atomic (the database cache through its unique key, Redis with SET NX).
    A counter would need an atomic increment, which the database cache lacks:
    concurrent attempts would then slip through uncounted."""
    limit, window = parse_rate(rate)
    started = int(time.time()) // window
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return any(
        cache.add(f"ratelimit:{scope}:{digest}:{started}:{place}", 1, timeout=window)
        for place in range(limit)
    )


def client_address(request: HttpRequest) -> str:
    """The caller's address, as a rate-limit key: behind our own proxy the one it
    saw, else the socket's. An IPv6 address counts by its /64, which one
    household or server holds whole."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TTC_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = forwarded.split(",")[-1].strip()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def mailbox(email: str) -> str:
    """An e-mail address as a rate-limit key: one mailbox, whatever +tag or case."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
