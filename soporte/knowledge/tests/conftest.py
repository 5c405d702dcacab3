"""Fixtures of the knowledge tests: a few articles, public and internal, on the personas."""

from __future__ import annotations

import pytest

from soporte.knowledge import services
from soporte.knowledge.models import ArticleStatus, Visibility


@pytest.fixture
def write_article(personas, now):
    """`write_article(title, body, visibility=PUBLIC, status=PUBLISHED, **fields)`."""

    def write(title, body, visibility=Visibility.PUBLIC, status=ArticleStatus.PUBLISHED, **fields):
        return services.save_article(
            actor=personas.agent,
            title=title,
            body=body,
            visibility=visibility,
            status=status,
            now=now,
            **fields,
        )

    return write


@pytest.fixture
def printer_article(write_article):
    return write_article(
        "La impresora no imprime",
        "Revise que la **impresora** tenga papel y tóner.\n\n1. Apáguela.\n2. Enciéndala.",
        tags=["Impresoras"],
        device_kinds=["printer"],
    )


@pytest.fixture
def internal_article(write_article):
    return write_article(
        "Contraseña del servidor de impresión",
        "Clave maestra de la cola de impresoras: solo para la mesa.",
        visibility=Visibility.INTERNAL,
    )


@pytest.fixture
def draft_article(write_article):
    return write_article(
        "Borrador sobre impresoras en red",
        "Aún sin revisar: impresoras compartidas.",
        status=ArticleStatus.DRAFT,
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_feed_cache():
    """Feeds and the archive are cached per process until a publication commits; a test's
    publications are rolled back without that signal."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def write_post(personas, now):
    """`write_post(title, body="…", status=PUBLISHED, **fields)` by the agent."""
    from soporte.knowledge import blog
    from soporte.knowledge.models import PostStatus

    def write(title, body="Texto de la entrada.", status=PostStatus.PUBLISHED, at=None, **fields):
        return blog.save_post(
            actor=fields.pop("actor", personas.agent),
            title=title,
            body=body,
            status=status,
            now=at or now,
            **fields,
        )

    return write


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback (aiosmtpd), as the tickets' mail tests use."""
    from aiosmtpd.controller import Controller

    from soporte.tickets.tests.test_mail_notifications import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.DEFAULT_FROM_EMAIL = "Mesa de ayuda <soporte@mesa.example.mx>"
    yield inbox
    controller.stop()
