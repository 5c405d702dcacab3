"""The address a request came from, behind the proxies the desk trusts.

Behind a load balancer every request's REMOTE_ADDR is the balancer's: throttling sign-in per
address (django-axes) would lock the whole desk out at once. X-Forwarded-For says who the
client was, but anybody can send that header, so it is read only when the connection comes
from a proxy listed in `SOPORTE_TRUSTED_PROXIES` (addresses or networks), and then from the
right: each trusted proxy appends the address it received from, so the right-most address
that is not a trusted proxy is the client (what a client wrote to the left is ignored).
Without the setting (the default) REMOTE_ADDR is the address and the header is never read.

django-ipware would do the walking, but it trusts proxies by comparing the header's entries
with string prefixes; the networks here are compared as addresses (`ipaddress`).
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_ip(request: Any) -> str:
    """The client's address (django-axes' `AXES_CLIENT_IP_CALLABLE`, the reset throttle)."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    networks = _networks(tuple(settings.SOPORTE_TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))[:2000]
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if _trusted(hop, networks):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return remote  # a garbled header: the proxy's own address, never the garbage
    return remote
