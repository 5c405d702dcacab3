from django.urls import path

from soporte.tickets import views

app_name = "tickets"

urlpatterns = [
    # The desk (staff).
    path("", views.queue, name="queue"),
    path("nuevo/", views.ticket_new, name="new"),
    path("asignar/", views.bulk_assign, name="bulk_assign"),
    path("<int:number>/", views.ticket_detail, name="detail"),
    path("<int:number>/estado/", views.ticket_status, name="status"),
    path("<int:number>/asignar/", views.ticket_assign, name="assign"),
    path("<int:number>/prioridad/", views.ticket_priority, name="priority"),
    path("<int:number>/escalar/", views.ticket_escalate, name="escalate"),
    path("<int:number>/notas/", views.ticket_note, name="note"),
    # Both: the access gate decides (another organisation's file is a 404).
    path(
        "<int:number>/adjuntos/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    # The customer portal (virtual attention).
    path("mis-solicitudes/", views.portal_list, name="portal_list"),
    path("mis-solicitudes/nueva/", views.portal_new, name="portal_new"),
    path("mis-solicitudes/<int:number>/", views.portal_detail, name="portal_detail"),
    path("mis-solicitudes/<int:number>/responder/", views.portal_reply, name="portal_reply"),
    path("mis-solicitudes/<int:number>/aprobacion/", views.portal_approval, name="portal_approval"),
    path("mis-solicitudes/<int:number>/encuesta/", views.portal_survey, name="portal_survey"),
]
