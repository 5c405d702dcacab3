"""Soporte's settings plus one bench-only URL: POST /bench/insert (the plain comparison view)."""

from soporte.settings import *  # noqa: F403

ROOT_URLCONF = "bench.calls.bench_urls"
