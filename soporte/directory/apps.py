from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "soporte.directory"
    label = "directory"
    verbose_name = _("Directorio")

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from soporte.directory.signin import notify_locked_out

        user_locked_out.connect(notify_locked_out, dispatch_uid="soporte-lockout-mail")
