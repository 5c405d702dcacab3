"""Freshness: the desk's home shows the days since the last post and the month's cadence;
after three quiet days (configurable) the authors are reminded, and a scheduled post counts."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from soporte.knowledge import blog
from soporte.knowledge.models import BlogSettings, PostStatus


def test_the_desk_home_shows_days_since_the_last_post_and_the_cadence(personas, write_post, now):
    for days in (10, 7, 4):
        write_post(f"Entrada de hace {days} días", at=now - dt.timedelta(days=days))
    html = personas.client("agent").get(reverse("home")).content.decode()
    assert "4 días desde la última entrada." in html
    assert "Entradas en los últimos 30 días: 3." in html
    assert "Una entrada cada 3 días." in html
    assert "El blog lleva 3 días o más sin publicar" in html
    customer_home = personas.client("customer_a").get(reverse("home")).content.decode()
    assert "Frescura del blog" not in customer_home


def test_the_three_day_reminder_reaches_the_authors_once(personas, write_post, now, smtp, run_jobs):
    write_post("Última entrada", at=now - dt.timedelta(days=2, hours=23))
    assert blog.remind_authors(now=now) == 0  # not yet three days
    later = now + dt.timedelta(hours=2)
    assert blog.remind_authors(now=later) == 1
    assert blog.remind_authors(now=later + dt.timedelta(hours=1)) == 0  # once a day at most
    run_jobs()
    [message] = smtp.to(personas.agent.email)
    assert message["Subject"] == "El blog lleva 3 días sin publicar"
    assert "/conocimiento/blog/" in message.get_body(("plain",)).get_content()


def test_a_scheduled_post_counts_and_the_cadence_is_configurable(personas, write_post, now):
    write_post("Vieja", at=now - dt.timedelta(days=5))
    write_post("Mañana", status=PostStatus.SCHEDULED, publish_at=now + dt.timedelta(days=1))
    assert not blog.freshness(now=now).stale
    assert blog.remind_authors(now=now) == 0
    settings = BlogSettings.current()
    settings.reminder_days = 7
    settings.save()
    blog.publish_due_posts(now=now + dt.timedelta(days=1))
    assert not blog.freshness(now=now + dt.timedelta(days=6)).stale
    assert blog.freshness(now=now + dt.timedelta(days=8)).stale
