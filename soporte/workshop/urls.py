from django.urls import path

from soporte.workshop import views

app_name = "workshop"

urlpatterns = [
    path("reparaciones/", views.repair_list, name="repair_list"),
    path("reparaciones/nueva/", views.repair_new, name="repair_new"),
    path("reparaciones/<int:repair_id>/", views.repair_detail, name="repair_detail"),
    path("reparaciones/<int:repair_id>/recibo.pdf", views.repair_receipt, name="repair_receipt"),
    path("reparaciones/<int:repair_id>/firmar/<str:step>/", views.repair_sign, name="repair_sign"),
    path("reparaciones/<int:repair_id>/garantia/", views.warranty_return, name="warranty_return"),
    path("reparaciones/<int:repair_id>/<str:action>/", views.repair_action, name="repair_action"),
    path("registro/", views.register_page, name="register"),
    path("registro/exportar.<str:fmt>", views.register_export, name="register_export"),
]
