"""Soporte's settings plus one bench-only URL: /bench/plain/<id> (the comparison view)."""

from soporte.settings import *  # noqa: F403

ROOT_URLCONF = "bench.tickets.bench_urls"
