"""Reference data read on every desk page, remembered per process for a few seconds.

The desk's calendar and holidays, its SLA policies and the agents and areas offered in forms
change a few times a year, yet the queue and ticket pages read them on every request: five
queries of ~0.15 ms of ORM each, half the database work of a page (bench/RESULTS.md,
"Tickets"). A function decorated with `@reference(Model, …)` keeps each result for `seconds`
in this process; a save or delete of one of those models in this process forgets it at once,
other processes see the change within `seconds`. Results are shared by every request of the
process: return immutable values (tuples, frozen dataclasses, dicts nobody mutates).

`forget_all()` empties every cache (tests roll rows back without signals).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, ParamSpec, TypeVar

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_SECONDS = 5.0
_caches: list[Reference[Any, Any]] = []


class Reference(Generic[P, R]):
    def __init__(self, func: Callable[P, R], seconds: float) -> None:
        self.func = func
        self.seconds = seconds
        self._values: dict[Hashable, tuple[float, R]] = {}
        self._lock = threading.Lock()
        functools.update_wrapper(self, func)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        key: Hashable = (args, tuple(sorted(kwargs.items())))
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = self.func(*args, **kwargs)
        with self._lock:
            self._values[key] = (now + self.seconds, value)
        return value

    def forget(self, **_signal: Any) -> None:
        with self._lock:
            self._values.clear()


def reference(
    *sources: type[models.Model], seconds: float = DEFAULT_SECONDS
) -> Callable[[Callable[P, R]], Reference[P, R]]:
    """Remember the function's results per arguments; forget them when a source row changes.

    A source may be a model or a many-to-many field's `through` model."""

    def decorate(func: Callable[P, R]) -> Reference[P, R]:
        cache = Reference(func, seconds)
        uid = f"refcache:{func.__module__}.{func.__qualname__}"
        for model in sources:
            label = model._meta.label
            post_save.connect(
                cache.forget, sender=model, weak=False, dispatch_uid=f"{uid}:s:{label}"
            )
            post_delete.connect(
                cache.forget, sender=model, weak=False, dispatch_uid=f"{uid}:d:{label}"
            )
            m2m_changed.connect(
                cache.forget, sender=model, weak=False, dispatch_uid=f"{uid}:m:{label}"
            )
        _caches.append(cache)
        return cache

    return decorate


def forget_all() -> None:
    for cache in _caches:
        cache.forget()
