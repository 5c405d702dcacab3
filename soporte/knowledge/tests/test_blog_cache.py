"""The public blog's pages kept for anonymous readers (`blog_views._for_readers`): each reader
gets their own working CSRF token from a kept page, a current copy is answered 304, and a
publication or an approved comment shows at once; signed-in people get fresh pages."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from soporte.knowledge import blog, comments
from soporte.knowledge.models import Comment, CommentStatus, PostStatus


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_kept_post_page_gives_each_reader_a_token_that_works(personas, write_post):
    post = write_post("Limpie su teclado")
    url = reverse("knowledge:blog_post", args=[post.slug])
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get(url).content.decode()
    page_two = second.get(url).content.decode()  # from the cache
    assert "csrf-token-of-this-reader" not in page_two
    assert "Limpie su teclado" in page_two
    response = second.post(
        reverse("knowledge:blog_comment", args=[post.slug]),
        {
            "csrfmiddlewaretoken": _token(page_two), "author_name": "Ana",
            "author_email": "ana@example.mx", "body": "Gracias", "parent": "",
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert Comment.objects.filter(post=post, author_email="ana@example.mx").exists()
    # The first reader's token is theirs: it does not pass with the second reader's cookie
    # (a kept page that carried one reader's token to the next would fail above).
    refused = second.post(
        reverse("knowledge:blog_comment", args=[post.slug]),
        {"csrfmiddlewaretoken": _token(page_one), "author_name": "Ana", "body": "Otra"},
    )
    assert refused.status_code == 403


def test_a_current_copy_is_answered_not_modified(personas, write_post, now):
    post = write_post("Respaldos semanales")
    reader = Client()
    url = reverse("knowledge:blog_post", args=[post.slug])
    response = reader.get(url)
    etag = response["ETag"]
    assert etag.startswith('W/"')
    again = reader.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and not again.content
    write_post("Otra entrada", at=now)  # a publication: every kept page is stale
    assert reader.get(url, headers={"if-none-match": etag}).status_code == 200


def test_a_publication_and_an_approved_comment_show_at_once(personas, write_post, now):
    reader = Client()
    home = reverse("knowledge:blog_home")
    write_post("Primera entrada")
    assert "Primera entrada" in reader.get(home).content.decode()
    write_post("Segunda entrada", at=now)
    assert "Segunda entrada" in reader.get(home).content.decode()

    post = write_post("Con comentarios")
    url = reverse("knowledge:blog_post", args=[post.slug])
    assert "Tengo una duda" not in reader.get(url).content.decode()
    comment = Comment.objects.create(
        post=post, body="Tengo una duda", author_name="Luis", author_email="l@example.mx",
        status=CommentStatus.HELD, created_at=now,
    )  # fmt: skip
    assert "Tengo una duda" not in reader.get(url).content.decode()
    comments.moderate(actor=personas.agent, comment=comment, action="aprobar", now=now)
    assert "Tengo una duda" in reader.get(url).content.decode()


def test_signed_in_people_get_fresh_pages(personas, write_post, now):
    post = write_post("Visible")
    url = reverse("knowledge:blog_post", args=[post.slug])
    assert "ETag" in Client().get(url)
    agent = personas.client("agent")
    response = agent.get(url)
    assert "ETag" not in response
    assert "Salir" in response.content.decode()  # the agent's own menu, not a kept page
    blog.save_post(
        actor=personas.agent, post=post, title="Visible", body="x",
        status=PostStatus.UNPUBLISHED, now=now,
    )  # fmt: skip
    assert Client().get(url).status_code == 404
