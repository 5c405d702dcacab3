from django.urls import path

from soporte.inventory import exports, views

app_name = "inventory"

urlpatterns = [
    path("equipos/", views.device_list, name="device_list"),
    path("equipos/nuevo/", views.device_form, name="device_new"),
    path("equipos/etiquetas.pdf", views.device_labels, name="device_labels"),
    path("equipos/exportar.<str:fmt>", exports.devices_export, name="device_export"),
    path("equipos/importar/", views.device_import_upload, name="device_import"),
    path(
        "equipos/importar/<int:import_id>/confirmar/",
        views.device_import_confirm,
        name="device_import_confirm",
    ),
    path("equipos/<int:device_id>/", views.device_detail, name="device_detail"),
    path("equipos/<int:device_id>/editar/", views.device_form, name="device_edit"),
    path("equipos/<int:device_id>/baja/", views.device_retire, name="device_retire"),
    path(
        "equipos/<int:device_id>/acceso-remoto/",
        views.device_remote_access,
        name="device_remote_access",
    ),
    path("equipos/<int:device_id>/etiqueta.pdf", views.device_label, name="device_label"),
    path(
        "equipos/<int:device_id>/mantenimiento/",
        views.device_maintenance,
        name="device_maintenance",
    ),
    path("articulos/", views.item_list, name="item_list"),
    path("articulos/exportar.<str:fmt>", exports.stock_export, name="stock_export"),
    path("articulos/nuevo/", views.item_form, name="item_new"),
    path("articulos/<int:item_id>/", views.item_detail, name="item_detail"),
    path("articulos/<int:item_id>/editar/", views.item_form, name="item_edit"),
    path(
        "articulos/<int:item_id>/etiqueta/<int:location_id>.pdf",
        views.bin_label,
        name="bin_label",
    ),
    path("movimientos/", views.movement_list, name="movement_list"),
    path("movimientos/exportar.<str:fmt>", exports.movements_export, name="movement_export"),
    path("movimientos/<int:movement_id>/", views.movement_detail, name="movement_detail"),
    path("entradas/", views.receipt_list, name="receipt_list"),
    path("entradas/nueva/", views.receipt_new, name="receipt_new"),
    path("entradas/<int:receipt_id>/", views.receipt_detail, name="receipt_detail"),
    path("entradas/<int:receipt_id>/documento/", views.receipt_document, name="receipt_document"),
    path("conteos/", views.count_list, name="count_list"),
    path("conteos/<int:count_id>/", views.count_detail, name="count_detail"),
    path("ordenes/", views.order_list, name="order_list"),
    path("ordenes/proponer/", views.order_propose, name="order_propose"),
    path("ordenes/<int:order_id>/", views.order_detail, name="order_detail"),
]
