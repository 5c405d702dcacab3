"""The address a server on host:port is reached at: the default SITE_URL (settings) and what
`soporte run` prints. Pure, so settings can import it."""

from __future__ import annotations

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})  # noqa: S104 - compared, not bound


def served_url(host: str, port: int) -> str:
    """`http://host:port`; a wildcard host is reached on loopback, an IPv6 one in brackets."""
    shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"
