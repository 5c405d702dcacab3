"""The admin edits categories and the blog's settings; articles are read there, never deleted."""

from __future__ import annotations

from django.urls import reverse


def test_admin_reads_articles_but_cannot_delete_them(personas, printer_article):
    admin = personas.client("admin")
    assert admin.get(reverse("admin:knowledge_article_changelist")).status_code == 200
    url = reverse("admin:knowledge_article_delete", args=[printer_article.pk])
    assert admin.post(url, {"post": "yes"}).status_code == 403
    assert admin.get(reverse("admin:knowledge_category_add")).status_code == 200
    assert admin.get(reverse("admin:knowledge_blogsettings_changelist")).status_code == 200
    assert (
        personas.client("agent").get(reverse("admin:knowledge_article_changelist")).status_code
        == 302
    )
