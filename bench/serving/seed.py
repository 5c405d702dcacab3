"""Create the schema and seed 100k Item rows (idempotent)."""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "project"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servbench.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from servbench.models import Item  # noqa: E402

N = int(os.environ.get("SERVBENCH_ROWS", "100000"))


def main():
    Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", run_syncdb=True, verbosity=0)
    have = Item.objects.count()
    if have == N:
        print(f"seed: {N} items already present")
        return
    t0 = time.perf_counter()
    rng = random.Random(42)
    with transaction.atomic():
        Item.objects.all().delete()
        batch = []
        for i in range(1, N + 1):
            batch.append(
                Item(id=i, name=f"item-{i}-{rng.randrange(10**6)}", value=rng.randrange(10**6))
            )
            if len(batch) == 5000:
                Item.objects.bulk_create(batch)
                batch = []
        if batch:
            Item.objects.bulk_create(batch)
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        mode = cur.fetchone()[0]
    print(
        f"seed: {Item.objects.count()} items in {time.perf_counter() - t0:.1f}s (journal_mode={mode})"
    )


if __name__ == "__main__":
    main()
