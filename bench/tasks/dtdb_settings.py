"""The smallest Django project that runs django-tasks-db's own `db_worker` (bench only)."""

import os

import dj_database_url

SECRET_KEY = "bench"  # noqa: S105
USE_TZ = True
INSTALLED_APPS = ["django_tasks", "django_tasks_db"]
DATABASES = {"default": dj_database_url.parse(os.environ["BENCH_DATABASE_URL"])}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
