"""The demo desk has a knowledge base and a blog kept alive."""

from __future__ import annotations

import datetime as dt

from soporte import demo
from soporte.knowledge import blog, services
from soporte.knowledge.models import Article, Comment, CommentStatus, Post, PostStatus


def test_demo_knowledge(db, now):
    demo.load_demo(now=now)
    public = Article.objects.public()
    assert public.count() >= 12
    assert {a.level for a in public} == {1, 2, 3, 4}
    assert Article.objects.exclude(visibility="public").exists()
    for typed, expected in [
        ("mi pc esta muy lenta", "Mi computadora está lenta"),
        ("se calienta", "La PC se calienta y se apaga sola"),
        ("perdí información", "Perdí archivos: qué hacer primero"),
        ("el servidor no contesta", "El servidor no responde"),
        ("no imprime", "La impresora no imprime"),
    ]:
        assert services.suggest(actor=None, text=typed)[0].title == expected, typed
    dates = list(
        Post.objects.live().order_by("published_at").values_list("published_at", flat=True)
    )
    first, last = dates[0], dates[-1]
    assert first is not None and last is not None
    assert last - first >= dt.timedelta(days=55)
    assert Post.objects.filter(status=PostStatus.SCHEDULED).exists()
    assert not blog.freshness(now=now).stale
    assert Comment.objects.filter(status=CommentStatus.APPROVED).count() >= 3
    assert Comment.objects.filter(status=CommentStatus.HELD).exists()
