"""Settings come from the environment; production refuses the development secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SOPORTE_MODE"}}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import soporte.settings"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_the_development_secret():
    result = _import_settings(SOPORTE_MODE="production")
    assert result.returncode != 0
    assert "refuses to start with the development SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret():
    result = _import_settings(SOPORTE_MODE="production", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_sqlite_keeps_every_acknowledged_commit_on_disk():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only settings")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = cursor.fetchone()[0]
    assert synchronous == 2, "FULL: fsync on every commit"
    assert busy_timeout >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_database_uses_wal(tmp_path):
    script = (
        "import django, os; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="soporte.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "wal", result.stderr
    assert (tmp_path / "soporte.sqlite3").exists()


def test_time_zone_comes_from_the_environment():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import soporte.settings as s; print(s.TIME_ZONE)",
        ],
        env={**os.environ, "TIME_ZONE": "Europe/Madrid"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "Europe/Madrid"


def test_with_redis_every_node_shares_the_cache_and_the_channel_layer():
    code = (
        "import json, soporte.settings as s; "
        "print(json.dumps([s.CACHES['default'], s.CHANNEL_LAYERS['default'], str(s.MEDIA_ROOT)]))"
    )
    environ = dict(
        os.environ,
        REDIS_URL="redis://10.0.0.5:6379/2",
        SOPORTE_REDIS_PREFIX="mesa-norte",
        MEDIA_ROOT="/mnt/compartido",
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )
    import json

    cache, layer, media = json.loads(result.stdout)
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert (cache["LOCATION"], cache["KEY_PREFIX"]) == ("redis://10.0.0.5:6379/2", "mesa-norte")
    assert layer["CONFIG"] == {"hosts": ["redis://10.0.0.5:6379/2"], "prefix": "mesa-norte"}
    assert media == "/mnt/compartido"


def _site_url(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", "import soporte.settings as s; print(s.SITE_URL)"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_follows_the_port_the_desk_is_served_on():
    assert _site_url() == "http://127.0.0.1:8000"
    assert _site_url(PORT="18801") == "http://127.0.0.1:18801"
    assert _site_url(HOST="0.0.0.0", PORT="18801") == "http://127.0.0.1:18801"  # noqa: S104
    assert _site_url(HOST="soporte.lan", PORT="9000") == "http://soporte.lan:9000"
    # A desk behind a proxy says where people reach it.
    assert _site_url(PORT="18801", SITE_URL="https://mesa.example.mx") == "https://mesa.example.mx"


def test_run_gives_its_web_server_and_worker_the_address_it_serves():
    from soporte.management.commands.run import child_env

    env = child_env({"PATH": "/usr/bin"}, host="127.0.0.1", port=18801)
    assert env["PORT"] == "18801"
    assert env["SITE_URL"] == "http://127.0.0.1:18801"
    kept = child_env({"SITE_URL": "https://mesa.example.mx"}, host="0.0.0.0", port=18801)  # noqa: S104
    assert kept["SITE_URL"] == "https://mesa.example.mx"
