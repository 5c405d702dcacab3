from django.urls import path

from soporte.logbook import views

app_name = "logbook"

urlpatterns = [
    path("", views.logbook_list, name="list"),
    path("por-firmar/", views.review, name="review"),
    path("<int:logbook_id>/punto-de-control/", views.checkpoint_download, name="checkpoint"),
    path("<int:logbook_id>/", views.logbook_detail, name="detail"),
    path("<int:logbook_id>/exportar/", views.logbook_export, name="export"),
    path("<int:logbook_id>/pdf/", views.logbook_pdf, name="pdf"),
    path("<int:logbook_id>/notas/nueva/", views.entry_new, name="entry_new"),
    path("<int:logbook_id>/notas/<int:number>/", views.entry_detail, name="entry_detail"),
    path("<int:logbook_id>/notas/<int:number>/agregar/", views.entry_add, name="entry_add"),
    path("<int:logbook_id>/notas/<int:number>/anular/", views.entry_annul, name="entry_annul"),
    path(
        "<int:logbook_id>/notas/<int:number>/firmar/",
        views.entry_countersign,
        name="entry_countersign",
    ),
    path(
        "<int:logbook_id>/notas/<int:number>/firma-en-sitio/",
        views.entry_sign_on_site,
        name="entry_sign_on_site",
    ),
    path(
        "<int:logbook_id>/notas/<int:number>/firmas/<int:signature_id>/firma.png",
        views.signature_drawing,
        name="signature_drawing",
    ),
    path("equipos/<str:equipment_id>/pdf/", views.equipment_pdf, name="equipment_pdf"),
]
