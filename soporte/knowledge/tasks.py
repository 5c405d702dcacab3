"""The blog's background jobs: publish scheduled posts at their time, and remind the authors
when the blog has been quiet for too long."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.knowledge import blog
from soporte.lib.tasks import periodic


@periodic(seconds=60, title=_("Publicar las entradas programadas del blog"))
def publish_scheduled_posts(now: dt.datetime) -> None:
    blog.publish_due_posts(now=now)


@periodic(seconds=3600, title=_("Recordar a los autores que el blog necesita una entrada"))
def remind_blog_authors(now: dt.datetime) -> None:
    blog.remind_authors(now=now)
