"""Importing an old blog: a WordPress export (WXR) and an Atom feed."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from soporte.knowledge import importer
from soporte.knowledge.models import Comment, CommentStatus, Post, PostStatus

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Blog de Reparaciones Anáhuac</title>
  <wp:wxr_version>1.2</wp:wxr_version>
  <item>
    <title>Cinco señales de que su disco duro va a fallar</title>
    <dc:creator><![CDATA[admin]]></dc:creator>
    <content:encoded><![CDATA[<p>Si escucha <strong>clics</strong>, respalde ya.</p><script>alert(1)</script><ul><li>Ruidos</li><li>Lentitud</li></ul>]]></content:encoded>
    <excerpt:encoded><![CDATA[Las señales que anuncian una falla.]]></excerpt:encoded>
    <wp:post_date_gmt><![CDATA[2019-02-10 17:00:00]]></wp:post_date_gmt>
    <wp:post_name><![CDATA[senales-disco-duro]]></wp:post_name>
    <wp:status><![CDATA[publish]]></wp:status>
    <wp:post_type><![CDATA[post]]></wp:post_type>
    <category domain="category" nicename="consejos"><![CDATA[Consejos]]></category>
    <category domain="post_tag" nicename="discos"><![CDATA[discos]]></category>
    <wp:comment>
      <wp:comment_author><![CDATA[Marta]]></wp:comment_author>
      <wp:comment_author_email><![CDATA[marta@example.mx]]></wp:comment_author_email>
      <wp:comment_date_gmt><![CDATA[2019-02-11 12:00:00]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Me salvó la tesis.]]></wp:comment_content>
      <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
    </wp:comment>
    <wp:comment>
      <wp:comment_author><![CDATA[Bot]]></wp:comment_author>
      <wp:comment_content><![CDATA[casino]]></wp:comment_content>
      <wp:comment_approved><![CDATA[spam]]></wp:comment_approved>
    </wp:comment>
  </item>
  <item>
    <title>Borrador sin terminar</title>
    <content:encoded><![CDATA[<p>Pendiente</p>]]></content:encoded>
    <wp:post_name><![CDATA[borrador-sin-terminar]]></wp:post_name>
    <wp:status><![CDATA[draft]]></wp:status>
    <wp:post_type><![CDATA[post]]></wp:post_type>
  </item>
  <item>
    <title>Contacto</title>
    <content:encoded><![CDATA[<p>Página</p>]]></content:encoded>
    <wp:status><![CDATA[publish]]></wp:status>
    <wp:post_type><![CDATA[page]]></wp:post_type>
  </item>
</channel>
</rss>
""".encode()

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Blog anterior</title><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-05-01T10:00:00Z</updated>
  <entry>
    <title>Cómo limpiar una impresora</title>
    <link href="https://viejo.example.mx/2024/05/limpiar-impresora/"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <published>2024-05-01T10:00:00Z</published><updated>2024-05-01T10:00:00Z</updated>
    <content type="html">&lt;p&gt;Use un &lt;em&gt;paño seco&lt;/em&gt;.&lt;/p&gt;</content>
    <category term="impresoras"/>
  </entry>
</feed>
""".encode()


def test_a_wordpress_export_is_imported_with_dates_categories_tags_and_comments(personas, now):
    response = personas.client("agent").post(
        reverse("knowledge:post_import"),
        {"archivo": SimpleUploadedFile("blog.xml", WXR, content_type="application/xml")},
    )
    assert response.status_code == 200
    assert "Importadas: 2 entradas y 1 comentarios." in response.content.decode()
    post = Post.objects.get(slug="senales-disco-duro")
    assert post.status == PostStatus.PUBLISHED
    assert post.published_at.isoformat() == "2019-02-10T17:00:00+00:00"
    assert post.category.name == "Consejos" and [t.name for t in post.tags.all()] == ["discos"]
    assert "**clics**" in post.body and "- Ruidos" in post.body
    assert "<script>" not in post.body_html and "<strong>clics</strong>" in post.body_html
    assert post.excerpt == "Las señales que anuncian una falla."
    assert Post.objects.get(slug="borrador-sin-terminar").status == PostStatus.DRAFT
    assert not Post.objects.filter(title="Contacto").exists()
    [comment] = Comment.objects.filter(post=post)
    assert comment.author_name == "Marta" and comment.status == CommentStatus.APPROVED
    page = personas.client("anonymous").get(reverse("knowledge:blog_post", args=[post.slug]))
    assert "domingo, 10 de febrero de 2019" in page.content.decode()
    again = importer.import_posts(actor=personas.agent, data=WXR, now=now)
    assert again.created == [] and len(again.skipped) == 2
    assert Post.objects.count() == 2


def test_an_atom_feed_is_imported(personas, now):
    result = importer.import_posts(actor=personas.agent, data=ATOM, now=now)
    assert result.created == ["Cómo limpiar una impresora"]
    post = Post.objects.get(slug="limpiar-impresora")
    assert post.body == "Use un *paño seco*." and post.status == PostStatus.PUBLISHED
    assert post.published_at.year == 2024


def test_a_bad_file_is_refused_and_nothing_is_imported(personas):
    client = personas.client("agent")
    for data in (b"no es xml", b"<html><body>hola</body></html>",
                 b'<!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>'):  # fmt: skip
        response = client.post(
            reverse("knowledge:post_import"), {"archivo": SimpleUploadedFile("x.xml", data)}
        )
        assert response.status_code == 422
    assert not Post.objects.exists()
    assert personas.client("customer_a").get(reverse("knowledge:post_import")).status_code == 403
