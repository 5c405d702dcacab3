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
