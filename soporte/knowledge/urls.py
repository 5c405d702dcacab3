from django.contrib.sitemaps.views import sitemap
from django.urls import path

from soporte.knowledge import blog_views, feeds, views

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
    # The desk's blog.
    path("conocimiento/blog/", blog_views.desk_posts, name="desk_posts"),
    path("conocimiento/blog/nueva/", blog_views.post_form, name="post_new"),
    path("conocimiento/blog/importar/", blog_views.post_import, name="post_import"),
    path("conocimiento/blog/<int:post_id>/editar/", blog_views.post_form, name="post_edit"),
    path("conocimiento/comentarios/", blog_views.moderation, name="moderation"),
    path("conocimiento/comentarios/<int:comment_id>/", blog_views.moderate, name="moderate"),
    path("conocimiento/blog/ajustes/", blog_views.blog_settings, name="blog_settings"),
    # The public blog.
    path("blog/", blog_views.blog_home, name="blog_home"),
    path("blog/atom/", feeds.serve, {"fmt": "atom"}, name="feed_atom"),
    path("blog/rss/", feeds.serve, {"fmt": "rss"}, name="feed_rss"),
    path("blog/archivo/<int:year>/", blog_views.blog_archive, name="blog_year"),
    path("blog/archivo/<int:year>/<int:month>/", blog_views.blog_archive, name="blog_month"),
    path("blog/categoria/<slug:slug>/", blog_views.blog_category, name="blog_category"),
    path(
        "blog/categoria/<slug:slug>/atom/",
        feeds.serve,
        {"fmt": "atom"},
        name="feed_category_atom",
    ),
    path("blog/categoria/<slug:slug>/rss/", feeds.serve, {"fmt": "rss"}, name="feed_category_rss"),
    path("blog/etiqueta/<slug:slug>/", blog_views.blog_tag, name="blog_tag"),
    path("blog/portada/<str:key>.jpg", blog_views.blog_cover, name="blog_cover"),
    path("blog/comentarios/confirmar/<str:token>/", blog_views.blog_confirm, name="blog_confirm"),
    path("blog/<slug:slug>/", blog_views.blog_post, name="blog_post"),
    path("blog/<slug:slug>/comentar/", blog_views.blog_comment, name="blog_comment"),
    path("sitemap.xml", sitemap, {"sitemaps": blog_views.SITEMAPS}, name="sitemap"),
]
