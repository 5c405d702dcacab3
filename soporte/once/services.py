"""Forgetting old claims: the table of form tokens and idempotency keys stays small."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from soporte.once.models import Submission


@transaction.atomic
def forget_before(*, before: dt.datetime) -> int:
    """Delete the claims made before `before`, answered or not (a claim still pending that
    long belongs to a request that died); returns how many. The repeat of a forgotten key is
    a new request, which is why the window is hours, not minutes."""
    deleted, _by_model = Submission.objects.filter(created_at__lt=before).delete()
    return deleted
