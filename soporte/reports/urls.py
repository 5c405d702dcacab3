from django.urls import path

from soporte.reports import staffing_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("llamadas/", views.calls, name="calls"),
    path("llamadas/exportar.<str:fmt>", views.calls_export, name="calls_export"),
    path("llamadas/en-proceso/<int:build_id>/", views.build, name="build"),
    path("mesa/", views.desk, name="desk"),
    path("personal/", staffing_views.staffing_page, name="staffing"),
    path("personal/exportar.<str:fmt>", staffing_views.staffing_export, name="staffing_export"),
    path("mesa/<slug:table_id>/exportar.<str:fmt>", views.desk_export, name="desk_export"),
]
