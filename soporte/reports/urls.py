from django.urls import path

from soporte.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("llamadas/", views.calls, name="calls"),
    path("llamadas/exportar.<str:fmt>", views.calls_export, name="calls_export"),
]
