"""The blog: drafts, scheduled publication by the worker, unpublishing that hides and keeps,
covers without metadata, Spanish long dates, archive, search, Open Graph and the sitemap."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from soporte.knowledge import blog, tasks
from soporte.knowledge.models import Category, Post, PostStatus
from soporte.knowledge.templatetags.knowledge_tags import long_date
from soporte.lib import tasks as job_queue
from soporte.logbook.models import Entry


def test_a_scheduled_post_is_published_by_the_worker_at_its_time(
    personas, write_post, now, run_jobs
):
    at = now + dt.timedelta(hours=2)
    post = write_post("Consejos para el fin de año", status=PostStatus.SCHEDULED, publish_at=at)
    reader = personas.client("anonymous")
    url = reverse("knowledge:blog_post", args=[post.slug])
    assert reader.get(url).status_code == 404
    assert blog.publish_due_posts(now=at - dt.timedelta(seconds=1)) == []
    with time_machine.travel(at + dt.timedelta(seconds=30), tick=False):
        job_queue.enqueue(tasks.publish_scheduled_posts)
        assert run_jobs() == 1
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and post.published_at == at
    assert reader.get(url).status_code == 200
    entry = Entry.objects.get(subject_type="blog_post", subject_id=str(post.pk))
    assert "Consejos para el fin de año" in entry.summary


def test_a_schedule_in_the_past_is_refused(personas, write_post, now):
    import pytest

    with pytest.raises(blog.KnowledgeError) as exc:
        write_post("Tarde", status=PostStatus.SCHEDULED, publish_at=now - dt.timedelta(minutes=1))
    assert exc.value.code == "publish_at_past"
    assert not Post.objects.exists()


def test_drafts_and_unpublished_posts_are_hidden_from_readers_but_kept(personas, write_post, now):
    draft = write_post("Borrador", status=PostStatus.DRAFT)
    post = write_post("Publicada y retirada")
    blog.save_post(
        actor=personas.agent, post=post, title=post.title, body=post.body,
        status=PostStatus.UNPUBLISHED, now=now + dt.timedelta(hours=1),
    )  # fmt: skip
    for who in ("anonymous", "customer_a"):
        client = personas.client(who)
        for hidden in (draft, post):
            assert client.get(reverse("knowledge:blog_post", args=[hidden.slug])).status_code == 404
        home = client.get(reverse("knowledge:blog_home")).content.decode()
        assert "Borrador" not in home and "Publicada y retirada" not in home
    assert (
        personas.client("agent").get(reverse("knowledge:blog_post", args=[draft.slug])).status_code
        == 200
    )
    assert Post.objects.filter(pk=post.pk).exists()
    summaries = list(
        Entry.objects.filter(subject_type="blog_post", subject_id=str(post.pk))
        .order_by("number")
        .values_list("summary", flat=True)
    )
    assert len(summaries) == 2 and "retirada" in summaries[1]


def test_spanish_long_dates_as_the_seed_shows_them(settings):
    settings.TIME_ZONE = "America/Mexico_City"
    moment = dt.datetime(2019, 2, 10, 18, 0, tzinfo=dt.UTC)
    assert long_date(moment) == "domingo, 10 de febrero de 2019"
    with translation.override("en"):
        assert long_date(moment) == "Sunday, February 10, 2019"


def test_the_post_page_shows_the_long_date_reading_time_and_open_graph(personas, write_post, now):
    post = write_post("Cómo cuidar la batería", body="palabra " * 450, excerpt="Tres hábitos.")
    page = personas.client("anonymous").get(reverse("knowledge:blog_post", args=[post.slug]))
    html = page.content.decode()
    assert "lunes, 23 de noviembre de 2026" in html
    assert "3 minutos de lectura" in html
    assert '<meta property="og:title" content="Cómo cuidar la batería">' in html
    assert f'<link rel="canonical" href="http://testserver/blog/{post.slug}/">' in html


def _photo_with_exif() -> bytes:
    image = Image.new("RGB", (3000, 2000), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Cámara Secreta"  # Make
    exif[0x8825] = {2: (19.0, 25.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_cover_is_resized_and_its_metadata_stripped(personas, now):
    data = _photo_with_exif()
    assert Image.open(io.BytesIO(data)).getexif()
    response = personas.client("agent").post(
        reverse("knowledge:post_new"),
        {"title": "Con portada", "body": "Texto.", "status": "published",
         "cover": SimpleUploadedFile("foto.jpg", data, content_type="image/jpeg")},
    )  # fmt: skip
    assert response.status_code == 302
    post = Post.objects.get()
    stored = Image.open(blog.cover_path(post.cover))
    assert (stored.width, stored.height) == (post.cover_width, post.cover_height) == (945, 630)
    assert not stored.getexif()
    served = personas.client("anonymous").get(reverse("knowledge:blog_cover", args=[post.cover]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"


def test_a_file_that_is_not_an_image_is_refused_and_the_text_kept(personas):
    response = personas.client("agent").post(
        reverse("knowledge:post_new"),
        {"title": "Portada rota", "body": "Texto que se conserva.", "status": "draft",
         "cover": SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and "no es una imagen válida" in html
    assert "Texto que se conserva." in html and not Post.objects.exists()


def test_archive_category_tag_and_search_pages(personas, write_post, now):
    news = Category.objects.create(name="Novedades", slug="novedades")
    write_post(
        "Impresoras nuevas", category=news, tags=["hardware"], at=now - dt.timedelta(days=40)
    )
    write_post("Respaldos semanales", at=now)
    client = personas.client("anonymous")
    october = client.get(reverse("knowledge:blog_month", args=[2026, 10])).content.decode()
    assert "Impresoras nuevas" in october and "Respaldos semanales" not in october
    category = client.get(reverse("knowledge:blog_category", args=["novedades"])).content.decode()
    assert "Impresoras nuevas" in category and "Respaldos semanales" not in category
    tag = client.get(reverse("knowledge:blog_tag", args=["hardware"])).content.decode()
    assert "Impresoras nuevas" in tag
    found = client.get(reverse("knowledge:blog_home"), {"q": "impresión"}).content.decode()
    assert "Impresoras nuevas" in found and "Respaldos semanales" not in found
    assert client.get(reverse("knowledge:blog_month", args=[2026, 13])).status_code == 404


def test_the_sitemap_lists_posts_and_public_articles_only(
    personas, write_post, printer_article, internal_article
):
    write_post("Entrada pública")
    write_post("Entrada en borrador", status=PostStatus.DRAFT)
    xml = personas.client("anonymous").get(reverse("knowledge:sitemap")).content.decode()
    assert "/blog/entrada-publica/" in xml
    assert "borrador" not in xml
    assert f"/ayuda/{printer_article.slug}/" in xml
    assert internal_article.slug not in xml


def test_desk_blog_pages_are_staff_only(personas, write_post):
    post = write_post("Una")
    for url in (
        reverse("knowledge:desk_posts"),
        reverse("knowledge:post_new"),
        reverse("knowledge:post_edit", args=[post.pk]),
        reverse("knowledge:moderation"),
    ):
        assert personas.client("agent").get(url).status_code == 200, url
        assert personas.client("customer_a").get(url).status_code == 403, url
        assert personas.client("anonymous").get(url).status_code == 302, url


def test_the_archive_months_are_the_local_months_that_have_posts(personas, write_post, now):
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    first = dt.datetime(now.year - 1, 3, 1, tzinfo=zone)
    # 00:30 on the 1st in the desk's zone is still the previous month in UTC, and the other
    # way round: the months are the desk's.
    moments = [
        first + dt.timedelta(minutes=30),
        first - dt.timedelta(minutes=30),
        first + dt.timedelta(days=40),
        first + dt.timedelta(days=41),
        first + dt.timedelta(days=400),
    ]
    for n, moment in enumerate(moments):
        write_post(f"Entrada {n}", at=moment)
    write_post("Borrador", status=PostStatus.DRAFT, at=first + dt.timedelta(days=100))
    expected = list(Post.objects.live().datetimes("published_at", "month", order="DESC"))
    assert blog.archive_months() == expected
    assert [(m.year, m.month) for m in expected] == [
        ((first + dt.timedelta(days=400)).year, (first + dt.timedelta(days=400)).month),
        (now.year - 1, 4),
        (now.year - 1, 3),
        (now.year - 1, 2),
    ]
    assert blog.archive_months(limit=2) == expected[:2]
