"""Comments: one level deep, e-mail confirmation for the anonymous (real SMTP on loopback),
held for review when first, with links or with a listed word; honeypot and rate limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from soporte.knowledge import comments
from soporte.knowledge.models import BlogSettings, Comment, CommentStatus


@pytest.fixture
def post(write_post):
    return write_post("Cómo elegir un no-break")


def _say(
    client, post, body, name="Lucía Pérez", email="lucia@example.mx", ip="203.0.113.7", **extra
):
    return client.post(
        reverse("knowledge:blog_comment", args=[post.slug]),
        {"author_name": name, "author_email": email, "body": body, **extra},
        REMOTE_ADDR=ip,
    )


def _approved(author_email, post, now):
    return Comment.objects.create(
        post=post, author_name="Conocido", author_email=author_email, body="Antes.",
        status=CommentStatus.APPROVED, created_at=now - dt.timedelta(days=3),
    )  # fmt: skip


def test_an_anonymous_comment_is_confirmed_by_email_and_a_first_comment_is_held(
    personas, post, smtp, run_jobs
):
    reader = personas.client("anonymous")
    response = _say(reader, post, "¿Sirve para una impresora láser?")
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.status == CommentStatus.UNCONFIRMED
    assert run_jobs() >= 1
    [message] = smtp.to("lucia@example.mx")
    assert "Confirme su comentario" in message["Subject"]
    link = re.search(
        r"http://testserver(/blog/comentarios/confirmar/[^/\s]+/)",
        message.get_body(("plain",)).get_content(),
    ).group(1)
    page = reader.get(link)
    assert page.status_code == 200 and "cuando la mesa lo revise" in page.content.decode()
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HELD
    assert comment.hold_reason == "Primer comentario de esta dirección."
    assert (
        "láser" not in reader.get(reverse("knowledge:blog_post", args=[post.slug])).content.decode()
    )
    queue = personas.client("agent").get(reverse("knowledge:moderation")).content.decode()
    assert "¿Sirve para una impresora láser?" in queue
    personas.client("agent").post(
        reverse("knowledge:moderate", args=[comment.pk]), {"accion": "aprobar"}
    )
    assert "láser" in reader.get(reverse("knowledge:blog_post", args=[post.slug])).content.decode()
    assert reader.get("/blog/comentarios/confirmar/falso/").status_code == 404


def test_a_comment_with_links_is_held_even_from_a_known_address(personas, post, now):
    _approved("lucia@example.mx", post, now)
    _say(personas.client("anonymous"), post, "Compre aquí: https://ofertas.example.com")
    comment = Comment.objects.get(body__startswith="Compre")
    token = "tok-" + "a" * 20
    Comment.objects.filter(pk=comment.pk).update(confirm_token_hash=comments._token_hash(token))
    comments.confirm_comment(token=token, now=now)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HELD and comment.hold_reason == "Contiene enlaces."
    assert (
        comments.hold_reason(
            body="Sin enlaces", email="lucia@example.mx", blog=BlogSettings.current()
        )
        == ""
    )


def test_known_address_without_links_is_published_and_listed_words_are_held(personas, post, now):
    _approved("roberto.sanchez@example.mx", post, now)
    customer = personas.client("customer_a")
    customer.post(
        reverse("knowledge:blog_comment", args=[post.slug]), {"body": "Muy útil, gracias."}
    )
    assert Comment.objects.get(body="Muy útil, gracias.").status == CommentStatus.APPROVED
    customer.post(
        reverse("knowledge:blog_comment", args=[post.slug]), {"body": "Gane en el CASINO hoy"}
    )
    held = Comment.objects.get(body__startswith="Gane")
    assert held.status == CommentStatus.HELD and "casino" in held.hold_reason


def test_the_honeypot_stores_nothing(personas, post):
    response = _say(personas.client("anonymous"), post, "Spam", website="http://bot.example")
    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_the_rate_limit_per_address_and_per_ip(personas, post):
    reader = personas.client("anonymous")
    for n in range(3):
        assert _say(reader, post, f"Comentario {n}").status_code == 302
    refused = _say(reader, post, "Cuarto")
    assert refused.status_code == 429
    assert "muchos comentarios" in refused.content.decode()
    assert "Cuarto" in refused.content.decode()  # what was typed is kept in the form
    assert _say(reader, post, "Otra IP", ip="198.51.100.1").status_code == 429  # same address
    assert _say(reader, post, "Otro correo", email="otro@example.mx").status_code == 429  # same IP
    assert (
        _say(reader, post, "Otra persona", email="otro@example.mx", ip="198.51.100.1").status_code
        == 302
    )
    assert Comment.objects.count() == 4


def test_replies_are_one_level_deep_and_the_author_is_told(personas, post, now, smtp, run_jobs):
    first = _approved("lucia@example.mx", post, now)
    agent = personas.client("agent")
    agent.post(
        reverse("knowledge:blog_comment", args=[post.slug]),
        {"body": "Respuesta", "parent": first.pk},
    )
    reply = Comment.objects.get(body="Respuesta")
    assert reply.parent == first and reply.status == CommentStatus.APPROVED
    agent.post(
        reverse("knowledge:blog_comment", args=[post.slug]),
        {"body": "Respuesta a la respuesta", "parent": reply.pk},
    )
    assert Comment.objects.get(body="Respuesta a la respuesta").parent == first
    customer = personas.client("customer_a")
    customer.post(
        reverse("knowledge:blog_comment", args=[post.slug]), {"body": "Pregunta de cliente"}
    )
    run_jobs()
    notices = [m for m in smtp.to(personas.agent.email) if "Nuevo comentario" in m["Subject"]]
    assert notices and "Pregunta de cliente" in notices[0].get_body(("plain",)).get_content()


def test_bad_input_is_refused_with_a_clear_message(personas, post):
    reader = personas.client("anonymous")
    response = _say(reader, post, "x" * 3001)
    assert response.status_code == 422
    assert _say(reader, post, "Hola", email="no-es-correo").status_code == 422
    assert not Comment.objects.exists()


def test_a_supervisor_edits_the_hold_list_and_the_next_comment_is_held(personas, post, now):
    url = reverse("knowledge:blog_settings")
    fields = {"reminder_days": 5, "max_links": 0, "comments_per_hour": 3}
    refused = personas.client("agent").post(url, {**fields, "blocked_words": "rifa"})
    assert refused.status_code == 403
    assert personas.client("agent").get(url).status_code == 200  # the desk reads them
    supervisor = personas.client("supervisor")
    too_long = supervisor.post(url, {**fields, "blocked_words": "x" * 81})
    assert too_long.status_code == 422
    assert "rifa" not in BlogSettings.current().blocked_words
    saved = supervisor.post(url, {**fields, "blocked_words": "Rifa  gratis\n\nrifa  gratis\nbono"})
    assert saved.status_code == 302
    blog_settings = BlogSettings.current()
    assert blog_settings.blocked_words == "Rifa gratis\nbono"
    assert blog_settings.reminder_days == 5
    _approved("lucia@example.mx", post, now)  # a known address: held only by the list
    comment, _token = comments.add_comment(
        post=post, body="Hay una RIFA GRATIS aquí", author_name="Lucía",
        author_email="lucia@example.mx", ip_address="203.0.113.7", user=personas.customer_a,
        parent_id=None, honeypot="", now=now,
    )  # fmt: skip
    assert comment.status == CommentStatus.HELD
