from django.urls import path

from soporte.triage import views

app_name = "triage"

urlpatterns = [
    # On a ticket's page (an htmx fragment) and the person's decision.
    path("tickets/<int:number>/", views.ticket_panel, name="ticket_panel"),
    path("tickets/<int:number>/decidir/", views.ticket_decide, name="ticket_decide"),
    # A call's need typed in the console, before it is a ticket (read-only).
    path("vista-previa/", views.preview, name="preview"),
    # Supervisors.
    path("", views.supervisor, name="supervisor"),
    path("matriz.<str:fmt>", views.confusion_export, name="confusion_export"),
    path("reentrenar/", views.retrain, name="retrain"),
    path("modelos/<int:version_id>/activar/", views.activate, name="activate"),
    path("modelos/<int:version_id>/descartar/", views.reject, name="reject"),
    path("ajustes/", views.update_settings, name="settings"),
]
