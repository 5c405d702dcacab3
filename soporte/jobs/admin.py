"""Background jobs in the admin: failed ones with their error and a "Reintentar" button."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from soporte.jobs.models import Job, PeriodicSchedule, WorkerBeat
from soporte.jobs.services import STATUS_LABELS, retry_job
from soporte.lib import clock, tasks
from soporte.lib.errors import DomainError

# The library's English admin gives way to this one.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


def job_title(path: str) -> str:
    spec = tasks.spec_for(path)
    return str(spec.title) if spec else path


class StatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("estado")
    parameter_name = "estado"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(value), label) for value, label in STATUS_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        value = self.value()
        return queryset.filter(status=value) if value else queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("title", "status_label", "attempts", "enqueued_at", "finished_at", "error")
    list_filter = (StatusFilter,)
    ordering = ("-enqueued_at", "id")
    search_fields = ("task_path", "exception_class_path")
    fields = (
        "title",
        "status_label",
        "attempts",
        "args_kwargs",
        "enqueued_at",
        "next_attempt",
        "started_at",
        "finished_at",
        "return_value",
        "error",
        "formatted_traceback",
        "worker_ids",
        "id",
        "task_path",
    )
    readonly_fields = fields
    change_form_template = "admin/jobs/job/change_form.html"
    actions = ["retry_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("trabajo"), ordering="task_path")
    def title(self, obj: Job) -> str:
        return job_title(obj.task_path)

    @admin.display(description=gettext_lazy("estado"), ordering="status")
    def status_label(self, obj: Job) -> str:
        return str(STATUS_LABELS.get(obj.status, obj.status))

    @admin.display(description=gettext_lazy("intentos"))
    def attempts(self, obj: Job) -> int:
        return len(obj.worker_ids)

    @admin.display(description=gettext_lazy("próximo intento"))
    def next_attempt(self, obj: Job) -> Any:
        if obj.status != TaskResultStatus.READY or obj.run_after == get_date_max():
            return "—"
        return obj.run_after

    @admin.display(description=gettext_lazy("error"))
    def error(self, obj: Job) -> str:
        return obj.exception_class_path.rsplit(".", 1)[-1] if obj.exception_class_path else "—"

    @admin.display(description=gettext_lazy("traza del error"))
    def formatted_traceback(self, obj: Job) -> str:
        if not obj.traceback:
            return "—"
        return format_html("<pre>{}</pre>", obj.traceback)

    @admin.action(description=gettext_lazy("Reintentar los trabajos fallidos seleccionados"))
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        retried = 0
        for job_id in queryset.filter(status=TaskResultStatus.FAILED).values_list("pk", flat=True):
            retry_job(job_id=str(job_id), now=clock.now())
            retried += 1
        self.message_user(
            request, _("%(count)d trabajo(s) de nuevo en la cola.") % {"count": retried}
        )

    def get_urls(self) -> list[URLPattern]:
        retry = path(
            "<path:object_id>/reintentar/",
            self.admin_site.admin_view(require_POST(self.retry_view)),
            name="jobs_job_retry",
        )
        return [retry, *super().get_urls()]

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = get_object_or_404(Job, pk=object_id)
        try:
            retry_job(job_id=str(job.pk), now=clock.now())
        except DomainError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
        else:
            self.message_user(request, _("El trabajo está de nuevo en la cola."))
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = context.get("original")
        context["can_retry"] = obj is not None and obj.status == TaskResultStatus.FAILED
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(PeriodicSchedule)
class PeriodicScheduleAdmin(admin.ModelAdmin):
    list_display = ("title", "every", "next_run_at", "last_run_at", "last_worker", "runs")
    ordering = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("trabajo"), ordering="name")
    def title(self, obj: PeriodicSchedule) -> str:
        return job_title(obj.name)

    @admin.display(description=gettext_lazy("cada"))
    def every(self, obj: PeriodicSchedule) -> str:
        spec = tasks.spec_for(obj.name)
        return str(spec.every) if spec and spec.every else "—"


@admin.register(WorkerBeat)
class WorkerBeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "host", "pid", "started_at", "seen_at", "jobs_done")
    ordering = ("worker_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
