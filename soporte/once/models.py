"""The claims of one-time form tokens and API idempotency keys, with the first answer."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Submission(models.Model):
    """One form token or idempotency key of one person, claimed by the first request that
    brought it. `done` once that request answered; the repeat gets that answer."""

    class State(models.TextChoices):
        PENDING = "pending", _("En curso")
        DONE = "done", _("Respondido")

    # Whose key: "u<user id>" for a signed-in person, "t<digest>" for an API bearer token. Two
    # people who happen to send the same key never see each other's answer.
    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    # "POST /path" and, for the API, the body's SHA-256: a key reused for another request is
    # refused instead of answered with the other request's result.
    fingerprint = models.CharField(max_length=400)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=2000, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("envío único")
        verbose_name_plural = _("envíos únicos")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="once_submission_unique"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "done"]), name="once_submission_state_valid"
            ),
        ]
        indexes = [
            # The nightly purge of old claims (`forget_before`).
            models.Index(fields=["created_at"], name="once_submission_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
