from django.urls import path

from soporte.knowledge import views

app_name = "knowledge"

urlpatterns = [
    # The desk (staff).
    path("conocimiento/", views.desk_articles, name="desk_articles"),
    path("conocimiento/articulos/nuevo/", views.article_form, name="article_new"),
    path("conocimiento/articulos/<int:article_id>/", views.article_detail, name="article_detail"),
    path(
        "conocimiento/articulos/<int:article_id>/editar/", views.article_form, name="article_edit"
    ),
    path(
        "conocimiento/articulos/<int:article_id>/cambios/", views.article_diff, name="article_diff"
    ),
    path(
        "conocimiento/desde-ticket/<int:number>/",
        views.article_from_ticket,
        name="article_from_ticket",
    ),
    path("conocimiento/relacionados/<int:number>/", views.ticket_related, name="ticket_related"),
    # The help centre (anybody: published public articles only).
    path("ayuda/", views.help_home, name="help_home"),
    path("ayuda/sugerencias/", views.help_suggest, name="help_suggest"),
    path("ayuda/<slug:slug>/", views.help_article, name="help_article"),
    path("ayuda/<slug:slug>/util/", views.help_feedback, name="help_feedback"),
]
