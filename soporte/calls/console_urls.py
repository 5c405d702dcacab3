"""URLs of the agent console, the wallboard, callbacks and the calls pages."""

from django.urls import URLPattern, path

from soporte.calls import views

urlpatterns: list[URLPattern] = [
    path("", views.call_list, name="list"),
    path("<int:call_id>/", views.call_detail, name="detail"),
    path("consola/", views.console, name="console"),
    path("consola/sonando/", views.ringing, name="ringing"),
    path("<int:call_id>/contestar/", views.answer, name="answer"),
    path("<int:call_id>/quien-llama/", views.record_caller, name="record_caller"),
    path("<int:call_id>/registrar/", views.register_caller, name="register_caller"),
    path("<int:call_id>/espera/", views.hold, name="hold"),
    path("<int:call_id>/retomar/", views.resume, name="resume"),
    path("<int:call_id>/ticket/abrir/", views.open_ticket, name="open_ticket"),
    path("<int:call_id>/ticket/vincular/", views.attach_ticket, name="attach_ticket"),
    path("<int:call_id>/transferir/", views.transfer, name="transfer"),
    path(
        "<int:call_id>/transferencias/<int:transfer_id>/aceptar/",
        views.transfer_accept,
        name="transfer_accept",
    ),
    path(
        "<int:call_id>/transferencias/<int:transfer_id>/conectar/",
        views.transfer_complete,
        name="transfer_complete",
    ),
    path(
        "<int:call_id>/transferencias/<int:transfer_id>/cancelar/",
        views.transfer_cancel,
        name="transfer_cancel",
    ),
    path("<int:call_id>/colgar/", views.hang_up, name="hang_up"),
    path("devoluciones/", views.callbacks, name="callbacks"),
    path("devoluciones/<int:callback_id>/hecho/", views.callback_done, name="callback_done"),
    path("tablero/", views.wallboard, name="wallboard"),
]
