"""Articles: sanitised Markdown, revisions kept and diffable, a ticket's solution as a draft."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from soporte.inventory.models import DeviceKind as InventoryDeviceKind
from soporte.knowledge import services
from soporte.knowledge.models import Article, ArticleRevision, ArticleStatus, DeviceKind, Visibility
from soporte.lib.errors import Forbidden
from soporte.tickets import services as ticket_services
from soporte.tickets.models import Channel, Status


def test_markdown_is_rendered_and_scripts_never_reach_a_reader(write_article):
    article = write_article(
        "Limpiar el ventilador",
        "## Pasos\n\n**Apague** el equipo.\n\n<script>alert(1)</script>\n\n"
        "[Manual](javascript:alert(2)) y [sitio](https://example.mx)",
    )
    html = article.body_html
    assert "<h2>Pasos</h2>" in html
    assert "<strong>Apague</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html
    assert 'href="https://example.mx"' in html


def test_every_change_of_text_is_a_revision_and_the_diff_shows_it(personas, write_article, now):
    article = write_article("PC lenta", "Cierre programas.")
    services.save_article(
        actor=personas.agent,
        article=article,
        title="PC lenta",
        body="Cierre programas.\nReinicie el equipo.",
        visibility=Visibility.PUBLIC,
        status=ArticleStatus.PUBLISHED,
        now=now + dt.timedelta(hours=1),
    )
    revisions = ArticleRevision.objects.filter(article=article).order_by("number")
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[0].body == "Cierre programas."
    lines = services.diff(revisions[0], revisions[1])
    assert "+Reinicie el equipo." in lines
    page = personas.client("agent").get(
        reverse("knowledge:article_diff", args=[article.pk]) + "?de=1&a=2"
    )
    assert page.status_code == 200
    assert "+Reinicie el equipo." in page.content.decode()


def test_a_customer_cannot_write_articles(personas, now):
    with pytest.raises(Forbidden):
        services.save_article(actor=personas.customer_a, title="x", body="y", now=now)


def test_bad_input_is_refused_with_a_code_and_the_form_keeps_the_text(personas):
    client = personas.client("agent")
    response = client.post(
        reverse("knowledge:article_new"),
        {"title": "Sin contenido", "body": "", "level": "1", "visibility": "public",
         "status": "draft", "tags": ", ".join(f"t{i}" for i in range(12))},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Sin contenido" in response.content.decode()
    assert not Article.objects.exists()
    with pytest.raises(services.KnowledgeError) as exc:
        services.parse_tags(", ".join(f"t{i}" for i in range(12)))
    assert exc.value.code == "too_many_tags"


def test_the_agent_writes_and_publishes_an_article_from_the_form(personas):
    client = personas.client("agent")
    response = client.post(
        reverse("knowledge:article_new"),
        {"title": "El monitor parpadea", "body": "Revise el cable **HDMI**.", "level": "1",
         "visibility": "public", "status": "published", "tags": "Monitores, cables",
         "device_kinds": ["monitor"], "review_date": "2027-01-15"},
    )  # fmt: skip
    article = Article.objects.get()
    assert response.status_code == 302
    assert article.is_public and article.device_kind_list == ["monitor"]
    assert sorted(t.name for t in article.tags.all()) == ["Monitores", "cables"]
    public = personas.client("anonymous").get(
        reverse("knowledge:help_article", args=[article.slug])
    )
    assert "<strong>HDMI</strong>" in public.content.decode()


def test_device_kinds_are_the_inventory_codes():
    assert DeviceKind.choices == InventoryDeviceKind.choices


def test_publish_the_solution_of_a_resolved_ticket_in_one_click(personas, now):
    ticket = ticket_services.open_ticket(
        actor=personas.agent,
        data=ticket_services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="El escáner no digitaliza",
            description="Marca error de conexión USB.",
            channel=Channel.PHONE,
        ),
        now=now,
    )
    ticket_services.add_note(
        ticket=ticket, author=personas.agent, body="Cambiamos el cable USB.", now=now
    )
    ticket_services.add_note(
        ticket=ticket, author=personas.agent, body="Clave del admin: 1234", internal=True, now=now
    )
    client = personas.client("agent")
    url = reverse("knowledge:article_from_ticket", args=[ticket.number])
    refused = client.post(url)
    assert refused.status_code == 302 and not Article.objects.exists()
    ticket = ticket_services.assign_ticket(
        ticket=ticket, actor=personas.agent, agent=personas.agent.agent, now=now
    )
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        ticket = ticket_services.change_status(
            ticket=ticket, actor=personas.agent, to_status=status, now=now
        )
    response = client.post(url)
    article = Article.objects.get()
    assert response["Location"] == reverse("knowledge:article_edit", args=[article.pk])
    assert article.source_ticket == ticket
    assert article.status == ArticleStatus.DRAFT and article.visibility == Visibility.INTERNAL
    assert "Marca error de conexión USB." in article.body
    assert "Cambiamos el cable USB." in article.body
    assert "1234" not in article.body  # internal notes stay out
    assert client.post(url)["Location"] == response["Location"]  # a second click: same draft
    assert Article.objects.count() == 1
    related = client.get(reverse("knowledge:ticket_related", args=[ticket.number]))
    assert "Publicar la solución" in related.content.decode()


def test_articles_past_their_review_date_are_listed_for_their_owner(personas, write_article, now):
    write_article("Revisar ya", "texto", review_date=now.date() - dt.timedelta(days=1))
    write_article("Revisar luego", "texto", review_date=now.date() + dt.timedelta(days=30))
    page = personas.client("agent").get(reverse("knowledge:desk_articles")).content.decode()
    section = page.split("Mis artículos por revisar")[1].split("</article>")[0]
    assert "Revisar ya" in section and "Revisar luego" not in section


def test_the_ticket_page_loads_its_related_articles(personas, printer_article, now):
    ticket = ticket_services.open_ticket(
        actor=personas.agent,
        data=ticket_services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="No imprime",
            description="La impresora marca error.",
            channel=Channel.PHONE,
        ),
        now=now,
    )
    agent = personas.client("agent")
    page = agent.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert reverse("knowledge:ticket_related", args=[ticket.number]) in page
    related = agent.get(reverse("knowledge:ticket_related", args=[ticket.number])).content.decode()
    assert "La impresora no imprime" in related
    assert reverse("knowledge:help_article", args=[printer_article.slug]) in related
