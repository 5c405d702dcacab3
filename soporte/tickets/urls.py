from django.urls import path

from soporte.tickets.views import desk, portal

app_name = "tickets"

urlpatterns = [
    # The desk (staff).
    path("", desk.queue, name="queue"),
    path("nuevo/", desk.ticket_new, name="new"),
    path("asignar/", desk.bulk_assign, name="bulk_assign"),
    path("<int:number>/", desk.ticket_detail, name="detail"),
    path("<int:number>/estado/", desk.ticket_status, name="status"),
    path("<int:number>/asignar/", desk.ticket_assign, name="assign"),
    path("<int:number>/prioridad/", desk.ticket_priority, name="priority"),
    path("<int:number>/escalar/", desk.ticket_escalate, name="escalate"),
    path("<int:number>/notas/", desk.ticket_note, name="note"),
    # Both: the access gate decides (another organisation's file is a 404).
    path(
        "<int:number>/adjuntos/<int:attachment_id>/",
        desk.attachment_download,
        name="attachment",
    ),
    # The customer portal (virtual attention).
    path("mis-solicitudes/", portal.portal_list, name="portal_list"),
    path("mis-solicitudes/nueva/", portal.portal_new, name="portal_new"),
    path("mis-solicitudes/<int:number>/", portal.portal_detail, name="portal_detail"),
    path("mis-solicitudes/<int:number>/responder/", portal.portal_reply, name="portal_reply"),
    path(
        "mis-solicitudes/<int:number>/aprobacion/", portal.portal_approval, name="portal_approval"
    ),
    path("mis-solicitudes/<int:number>/encuesta/", portal.portal_survey, name="portal_survey"),
]
