from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SoporteConfig(AppConfig):
    name = "soporte"
    verbose_name = "Soporte"


class AxesConfig(AxesAppConfig):
    """django-axes under a name the desk reads in the admin ("Axes" says nothing to it); its
    models' names come from soporte/locale/es, since its own catalogue has no Spanish."""

    verbose_name = _("Bloqueos de acceso")
