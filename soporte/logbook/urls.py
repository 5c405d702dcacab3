from django.urls import path

from soporte.logbook import views

app_name = "logbook"

urlpatterns = [
    path("", views.logbook_list, name="list"),
]
