from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "soporte.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from soporte.tickets import sla
        from soporte.tickets.models import DeskCalendar, Holiday, SlaPolicy

        # A new calendar, holiday or policy moves every open ticket's targets.
        for model in (DeskCalendar, Holiday, SlaPolicy):
            for signal in (post_save, post_delete):
                signal.connect(
                    sla.recheck_open_tickets,
                    sender=model,
                    dispatch_uid=f"tickets_sla_recheck_{signal is post_save}_{model.__name__}",
                )
