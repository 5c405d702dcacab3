from importlib import import_module

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "soporte.jobs"
    label = "jobs"
    verbose_name = _("Trabajos en segundo plano")

    def ready(self) -> None:
        # Every app's tasks.py declares its jobs: the worker runs them, the admin names them.
        autodiscover_modules("tasks")
        from django.conf import settings

        for module in settings.SOPORTE_EXTRA_TASK_MODULES:
            import_module(module)
