from django.urls import path

from soporte.workshop import sales_views, views

app_name = "workshop"

urlpatterns = [
    path("reparaciones/", views.repair_list, name="repair_list"),
    path("reparaciones/nueva/", views.repair_new, name="repair_new"),
    path("reparaciones/<int:repair_id>/", views.repair_detail, name="repair_detail"),
    path("reparaciones/<int:repair_id>/recibo.pdf", views.repair_receipt, name="repair_receipt"),
    path(
        "reparaciones/<int:repair_id>/fotos/<slug:key>.jpg",
        views.repair_photo,
        name="repair_photo",
    ),
    path("reparaciones/<int:repair_id>/firmar/<str:step>/", views.repair_sign, name="repair_sign"),
    path("reparaciones/<int:repair_id>/garantia/", views.warranty_return, name="warranty_return"),
    path("reparaciones/<int:repair_id>/<str:action>/", views.repair_action, name="repair_action"),
    path("registro/", views.register_page, name="register"),
    path("registro/exportar.<str:fmt>", views.register_export, name="register_export"),
    path("ventas/", sales_views.sale_list, name="sale_list"),
    path("ventas/nueva/", sales_views.sale_new, name="sale_new"),
    path("ventas/bitacora/", sales_views.sales_book, name="sales_book"),
    path(
        "ventas/bitacora/exportar.<str:fmt>",
        sales_views.sales_book_export,
        name="sales_book_export",
    ),
    path("ventas/<int:sale_id>/", sales_views.sale_detail, name="sale_detail"),
    path("ventas/<int:sale_id>/recibo.pdf", sales_views.sale_receipt, name="sale_receipt"),
    path("ventas/<int:sale_id>/devolver/", sales_views.sale_refund, name="sale_refund"),
    path("gastos/", sales_views.expense_list, name="expense_list"),
]
