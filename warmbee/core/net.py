"""Client addresses. ``X-Forwarded-For`` is believed only from configured trusted proxies (R15)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=32)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def in_networks(ip: str, cidrs: list[str] | tuple[str, ...]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in net for net in _networks(tuple(cidrs)))


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not in_networks(remote, trusted):
        return remote
    forwarded = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    # Walk from the nearest hop back; the first address that is not a trusted proxy is the client.
    for hop in reversed(forwarded):
        if not in_networks(hop, trusted):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return remote
            return hop
    return remote


def axes_client_ip(request, *args) -> str:
    return client_ip(request)
