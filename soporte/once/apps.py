from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnceConfig(AppConfig):
    name = "soporte.once"
    label = "once"
    verbose_name = _("Envíos únicos")
