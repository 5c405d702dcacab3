"""The task queue's own tables, beside django-tasks-db's: schedules, workers, effects.

The jobs themselves are django-tasks-db's `DBTaskResult` rows; `Job` is that table under the
desk's names, for the admin.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class Job(DBTaskResult):
    """A queued, running, finished or failed background job (django-tasks-db's row)."""

    class Meta:
        proxy = True
        verbose_name = _("trabajo")
        verbose_name_plural = _("trabajos")


class PeriodicSchedule(models.Model):
    """One row per periodic job: the worker whose conditional UPDATE moves `next_run_at`
    forward enqueues that period's run; every other worker's UPDATE matches no row."""

    name = models.CharField(_("trabajo"), max_length=200, primary_key=True)
    next_run_at = models.DateTimeField(_("próxima ejecución"))
    last_run_at = models.DateTimeField(_("última ejecución"), null=True, blank=True)
    last_worker = models.CharField(_("último proceso"), max_length=64, blank=True)
    runs = models.PositiveIntegerField(_("ejecuciones"), default=0)

    class Meta:
        verbose_name = _("trabajo periódico")
        verbose_name_plural = _("trabajos periódicos")

    def __str__(self) -> str:
        return self.name


class WorkerBeat(models.Model):
    """A worker's heartbeat: jobs held by a worker that stopped beating go back in the queue."""

    worker_id = models.CharField(_("proceso"), max_length=64, primary_key=True)
    host = models.CharField(_("máquina"), max_length=200)
    pid = models.PositiveIntegerField(_("PID"))
    started_at = models.DateTimeField(_("iniciado"))
    seen_at = models.DateTimeField(_("visto por última vez"))
    jobs_done = models.PositiveBigIntegerField(_("trabajos hechos"), default=0)

    class Meta:
        verbose_name = _("proceso de trabajo")
        verbose_name_plural = _("procesos de trabajo")
        indexes = [
            # The lease check: which workers beat recently.
            models.Index(fields=["seen_at"], name="jobs_workerbeat_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class JobEffect(models.Model):
    """A job's effect, claimed in the transaction that makes it (`tasks.first_time`)."""

    key = models.CharField(max_length=200, primary_key=True)
    done_at = models.DateTimeField()

    class Meta:
        verbose_name = _("efecto de un trabajo")
        verbose_name_plural = _("efectos de trabajos")
        indexes = [
            # Pruning old claims.
            models.Index(fields=["done_at"], name="jobs_jobeffect_done_idx"),
        ]

    def __str__(self) -> str:
        return self.key
