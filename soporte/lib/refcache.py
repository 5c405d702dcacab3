"""Reference data read on every desk page, remembered per process for a few seconds.

The desk's calendar and holidays, its SLA policies and the agents and areas offered in forms
change a few times a year, yet the queue and ticket pages read them on every request: five
queries of ~0.15 ms of ORM each, half the database work of a page (bench/RESULTS.md,
"Tickets"). A function decorated with `@reference(Model, …)` keeps each result for `seconds`
in this process; a save or delete of one of those models in this process forgets it at once,
other processes see the change within `seconds`. Results are shared by every request of the
process: return immutable values (tuples, frozen dataclasses, dicts nobody mutates).

`@keyed(Model, …)` is the same for lookups of many keys at once (the CTI batch's callers by
phone number): the keys a call misses are loaded together, and every answer, "none"
included, is kept until the window it was read in closes.

`forget_all()` empties every cache of both kinds (tests roll rows back without signals).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

P = ParamSpec("P")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_SECONDS = 5.0


class _Forgets(Protocol):
    def forget(self, **_signal: Any) -> None: ...


_caches: list[_Forgets] = []


class Reference(Generic[P, R]):
    """`max_entries`: for functions called with values from outside (a token), the cache is
    emptied when it holds that many, so unknown values cannot grow it without bound."""

    def __init__(self, func: Callable[P, R], seconds: float, max_entries: int = 0) -> None:
        self.func = func
        self.seconds = seconds
        self.max_entries = max_entries
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
            if self.max_entries and len(self._values) >= self.max_entries:
                self._values.clear()
            self._values[key] = (now + self.seconds, value)
        return value

    def forget(self, **_signal: Any) -> None:
        with self._lock:
            self._values.clear()


class Keyed(Generic[K, V]):
    """`load(missing keys) -> {key: value}` behind a window of `seconds`: within a window each
    key is loaded once (a key `load` leaves out is remembered as having no value); the next
    window starts empty. More than `max_entries` keys empty the window early."""

    def __init__(
        self, load: Callable[[set[K]], dict[K, V]], seconds: float, max_entries: int
    ) -> None:
        self.load = load
        self.seconds = seconds
        self.max_entries = max_entries
        self._window: tuple[float, dict[K, V | None]] = (0.0, {})
        self.__doc__ = load.__doc__

    def get_many(self, keys: set[K]) -> dict[K, V]:
        """The keys that have a value, with it."""
        moment = time.monotonic()
        until, known = self._window
        if until <= moment:
            known = {}
            self._window = (moment + self.seconds, known)
        missing = keys - known.keys()
        if missing:
            found: dict[K, V | None] = dict.fromkeys(missing)
            found.update(self.load(missing))
            if len(known) > self.max_entries:
                known.clear()
            known.update(found)
        return {k: v for k in keys if (v := known.get(k)) is not None}

    def forget(self, **_signal: Any) -> None:
        self._window = (0.0, {})


def _forget_on_change(cache: _Forgets, uid: str, sources: tuple[type[models.Model], ...]) -> None:
    for model in sources:
        label = model._meta.label
        post_save.connect(cache.forget, sender=model, weak=False, dispatch_uid=f"{uid}:s:{label}")
        post_delete.connect(cache.forget, sender=model, weak=False, dispatch_uid=f"{uid}:d:{label}")
        m2m_changed.connect(cache.forget, sender=model, weak=False, dispatch_uid=f"{uid}:m:{label}")
    _caches.append(cache)


def reference(
    *sources: type[models.Model], seconds: float = DEFAULT_SECONDS, max_entries: int = 0
) -> Callable[[Callable[P, R]], Reference[P, R]]:
    """Remember the function's results per arguments; forget them when a source row changes.

    A source may be a model or a many-to-many field's `through` model."""

    def decorate(func: Callable[P, R]) -> Reference[P, R]:
        cache = Reference(func, seconds, max_entries)
        _forget_on_change(cache, f"refcache:{func.__module__}.{func.__qualname__}", sources)
        return cache

    return decorate


def keyed(
    *sources: type[models.Model], seconds: float = DEFAULT_SECONDS, max_entries: int = 10_000
) -> Callable[[Callable[[set[K]], dict[K, V]]], Keyed[K, V]]:
    """A `Keyed` cache around `load`, forgotten when a source row changes in this process."""

    def decorate(load: Callable[[set[K]], dict[K, V]]) -> Keyed[K, V]:
        cache = Keyed(load, seconds, max_entries)
        _forget_on_change(cache, f"refcache:{load.__module__}.{load.__qualname__}", sources)
        return cache

    return decorate


def forget_all() -> None:
    for cache in _caches:
        cache.forget()
