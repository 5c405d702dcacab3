"""Hand-written SELECTs for the hottest reads, turned into model instances as a queryset would.

Compiling a queryset costs 0.3-1.5 ms of Python on the project VM, more than SQLite takes to
answer it; a signed-in page paid that for its session and its user before doing anything else.
The few reads every request makes are written as SQL here, with each column converted by
Django's own converters (the backend's and the field's, exactly what a queryset applies) and
the row made into an instance with `Model.from_db`. Statements and converters depend only on
the model and the connection: they are built once per connection (each thread has its own).

Only quoted column and table names from the models' `_meta` are formatted into SQL; every
value is a parameter.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateTimeField, Field, JSONField

from soporte.lib import compat

_T = TypeVar("_T")
_M = TypeVar("_M", bound=models.Model)

_memos: WeakKeyDictionary[Any, dict[Hashable, Any]] = WeakKeyDictionary()


def memoised(key: Hashable, build: Callable[[], _T], using: str | None = None) -> _T:
    """`build()` once per database connection (statements, converters, plans)."""
    connection = transaction.get_connection(using)
    memo = _memos.get(connection)
    if memo is None:
        memo = _memos[connection] = {}
    if key not in memo:
        memo[key] = build()
    return cast(_T, memo[key])


def fetch(
    connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """`cursor.execute(sql, params)` and every row, as through `connection.cursor()`.

    On SQLite the statement goes to the driver with its placeholders rewritten once per
    statement: Django's cursor runs a regular expression over the SQL on every call (10–20 µs
    for the ticket page's 3 KB join) and wraps each call in four layers. Whenever queries
    are being recorded (DEBUG, `assertNumQueries`, `CaptureQueriesContext`) or an execute
    wrapper is installed, the statement goes through Django's cursor as usual, so it is
    counted and wrapped like any other."""
    if connection.vendor != "sqlite" or connection.queries_logged or connection.execute_wrappers:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    # What `connection.cursor()` does first: the per-request health check, the connection.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        return compat.driver_connection(connection).execute(compat.qmark(sql), params).fetchall()


@dataclass(frozen=True)
class Columns:
    """A model's concrete columns as `alias.column, …`, with what turns a row slice back
    into an instance."""

    model: type[models.Model]
    sql: str
    attnames: list[str]
    converters: list[tuple[int, Callable[[Any], Any]]]
    pk_index: int
    plain_init: bool

    def __len__(self) -> int:
        return len(self.attnames)

    def load(self, connection: BaseDatabaseWrapper, row: Sequence[Any], start: int = 0) -> Any:
        """The instance in `row[start:start + len(self)]`; None when its primary key is NULL
        (the missing side of a LEFT JOIN)."""
        values = list(row[start : start + len(self.attnames)])
        if values[self.pk_index] is None:
            return None
        for i, convert in self.converters:
            values[i] = convert(values[i])
        if not self.plain_init:
            return self.model.from_db(connection.alias, self.attnames, values)
        # Without `Model.__init__` (a setattr per field through the descriptors): a ticket
        # page builds a dozen instances of up to 40 fields.
        return compat.instance_from_row(self.model, self.attnames, values, connection.alias)


# SQLite hands Django's date-time text to a converter named by the column's alias
# ("x [soporte_utc]", the driver's PARSE_COLNAMES, which Django turns on): parsed once, with
# the zone, instead of the driver parsing a naive datetime that is then given its tzinfo.
UTC_CONVERTER = "soporte_utc"


def _utc_text(value: bytes) -> dt.datetime:
    """Django's text for a UTC date-time on SQLite ("2026-11-24 10:15:30.123456")."""
    text = value.decode()
    try:
        return dt.datetime.fromisoformat(text + "+00:00")
    except ValueError:  # text written with its own offset
        parsed = dt.datetime.fromisoformat(text)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


compat.register_sqlite_converter(UTC_CONVERTER, _utc_text)


def select(
    field: Any, alias: str, connection: BaseDatabaseWrapper
) -> tuple[str, Callable[[Any], Any] | None]:
    """A field's column as SELECT says it, and what turns its value into the field's Python
    value (None: nothing to do)."""
    quote = connection.ops.quote_name
    sql = f"{quote(alias)}.{quote(field.column)}"
    col = field.get_col(alias)
    convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
    if (
        connection.vendor == "sqlite"
        and field.get_internal_type() == "DateTimeField"
        and len(convs) == 1
        and settings.USE_TZ
        and connection.timezone == dt.UTC
    ):
        return f'{sql} AS "{field.column} [{UTC_CONVERTER}]"', None
    return sql, converter(col, connection)


def converter(col: Any, connection: BaseDatabaseWrapper) -> Callable[[Any], Any] | None:
    """One function turning a column's database value into its Python value: the backend's
    and the field's converters in the order a queryset applies them."""
    convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
    if not convs:
        return None
    if len(convs) == 1:
        only = convs[0]
        return lambda value: only(value, col, connection)

    def convert(value: Any) -> Any:
        for step in convs:
            value = step(value, col, connection)
        return value

    return convert


def columns(model: type[_M], alias: str, connection: BaseDatabaseWrapper) -> Columns:
    """Every concrete column of `model` from the table aliased `alias`."""
    fields = model._meta.concrete_fields
    parts: list[str] = []
    converters = []
    for i, field in enumerate(fields):
        sql, convert = select(field, alias, connection)
        parts.append(sql)
        if convert is not None:
            converters.append((i, convert))
    attnames = [field.attname for field in fields]
    return Columns(
        model=model,
        sql=", ".join(parts),
        attnames=attnames,
        converters=converters,
        pk_index=attnames.index(model._meta.pk.attname),
        plain_init=compat.plain_init(model),
    )


def table(model: type[models.Model], connection: BaseDatabaseWrapper) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def cache_related(instance: models.Model, name: str, value: models.Model | None) -> None:
    """What select_related leaves behind: `instance.<name>` answers without a query (None on
    a reverse one-to-one means "there is none", as after a select_related LEFT JOIN)."""
    compat.cache_related(instance, name, value)


@dataclass(frozen=True)
class Values:
    """Chosen columns of several joined tables, read back as a dict per row (what
    `QuerySet.values()` gives)."""

    sql: str
    keys: list[str]
    converters: list[tuple[int, Callable[[Any], Any]]]

    def load(self, connection: BaseDatabaseWrapper, row: Sequence[Any]) -> dict[str, Any]:
        values = list(row)
        for i, convert in self.converters:
            values[i] = convert(values[i])
        return dict(zip(self.keys, values, strict=True))


def values(
    connection: BaseDatabaseWrapper, spec: Sequence[tuple[str, str, type[models.Model], str]]
) -> Values:
    """`spec`: (key in the dict, table alias, model, field name) per column."""
    parts: list[str] = []
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for i, (_key, alias, model, name) in enumerate(spec):
        sql, convert = select(model._meta.get_field(name), alias, connection)
        parts.append(sql)
        if convert is not None:
            converters.append((i, convert))
    return Values(sql=", ".join(parts), keys=[key for key, *_ in spec], converters=converters)


@dataclass(frozen=True)
class Related:
    """`SELECT` a model with forward foreign keys followed (what `select_related(*paths)`
    loads): the statement's head, `root` aliased "r", and how to load each row."""

    head: str
    root: Columns
    joins: list[tuple[str, str, Columns]]  # (parent path, field name, columns), in order

    def load(self, connection: BaseDatabaseWrapper, row: Sequence[Any]) -> Any:
        root = self.root.load(connection, row)
        found: dict[str, Any] = {"": root}
        start = len(self.root)
        for parent_path, name, cols in self.joins:
            instance = cols.load(connection, row, start)
            start += len(cols)
            parent = found.get(parent_path)
            if parent is not None:
                cache_related(parent, name, instance)
            found[f"{parent_path}__{name}" if parent_path else name] = instance
        return root

    def rows(self, connection: BaseDatabaseWrapper, tail: str, params: Sequence[Any]) -> list[Any]:
        """Instances of `head + tail` (`tail`: WHERE/ORDER BY/LIMIT on alias "r")."""
        return [
            self.load(connection, row) for row in fetch(connection, self.head + " " + tail, params)
        ]


def related(
    connection: BaseDatabaseWrapper, model: type[models.Model], paths: Sequence[str]
) -> Related:
    """The plan for `model.objects.select_related(*paths)`: forward foreign keys and
    one-to-ones only, each joined with LEFT JOIN on its primary key."""
    quote = connection.ops.quote_name
    root = columns(model, "r", connection)
    select, joins_sql = [root.sql], []
    joins: list[tuple[str, str, Columns]] = []
    aliases = {"": ("r", model)}
    wanted: list[str] = []
    for path in paths:  # "a__b" needs "a" first
        parts = path.split("__")
        for i in range(1, len(parts) + 1):
            prefix = "__".join(parts[:i])
            if prefix not in wanted:
                wanted.append(prefix)
    for n, path in enumerate(wanted, start=1):
        parent_path, _, name = path.rpartition("__")
        parent_alias, parent_model = aliases[parent_path]
        field = parent_model._meta.get_field(name)
        target = field.related_model
        assert field.many_to_one or field.one_to_one, path
        assert not field.auto_created, path
        alias = f"j{n}"
        cols = columns(target, alias, connection)  # type: ignore[arg-type]
        select.append(cols.sql)
        joins_sql.append(
            f"LEFT JOIN {table(target, connection)} {quote(alias)} "  # type: ignore[arg-type]
            f"ON {quote(alias)}.{quote(target._meta.pk.column)} = "  # type: ignore[union-attr]
            f"{quote(parent_alias)}.{quote(field.column)}"  # type: ignore[union-attr,arg-type]
        )
        joins.append((parent_path, name, cols))
        aliases[path] = (alias, target)  # type: ignore[assignment]
    head = (
        f"SELECT {', '.join(select)} FROM {table(model, connection)} {quote('r')} "  # noqa: S608 - names from _meta
        + " ".join(joins_sql)
    )
    return Related(head=head, root=root, joins=joins)


# --- Bulk writes (the CTI batch: soporte/calls/sql.py) -------------------------------------


def param_converters(fields: list[Field]) -> list[Callable[[Any], Any]]:
    """Python value → database parameter, per field, chosen once per connection."""
    key = ("converters", *((f.model, f.name) for f in fields))
    return memoised(key, functools.partial(_choose_converters, fields))


def _choose_converters(fields: list[Field]) -> list[Callable[[Any], Any]]:
    """Python value → database parameter, per field.

    On SQLite the CTI batch's columns need only two conversions (aware datetimes to UTC text,
    JSON to text); Django's generic per-value preparation is most of a batch's cost there.
    Other databases get Django's own `get_db_prep_save`.
    """
    connection = transaction.get_connection()
    if connection.vendor != "sqlite":
        return [functools.partial(f.get_db_prep_save, connection=connection) for f in fields]
    adapt = connection.ops.adapt_datetimefield_value
    if settings.USE_TZ and connection.timezone == dt.UTC:
        adapt = functools.partial(_utc_param, adapt=adapt)
    out: list[Callable[[Any], Any]] = []
    for f in fields:
        if isinstance(f, DateTimeField):
            out.append(adapt)
        elif isinstance(f, JSONField):
            out.append(functools.partial(json.dumps, cls=f.encoder))
        elif f.get_internal_type() in (
            "CharField",
            "TextField",
            "SlugField",
        ) or f.get_internal_type() in (
            "BigAutoField",
            "ForeignKey",
            "PositiveSmallIntegerField",
            "FloatField",
            "BooleanField",
        ):
            out.append(_as_is)
        else:
            out.append(functools.partial(f.get_db_prep_save, connection=connection))
    return out


def _as_is(value: Any) -> Any:
    return value


def _utc_param(value: Any, *, adapt: Callable[[Any], Any]) -> Any:
    """SQLite's stored form of a UTC datetime (`str` of the naive value), as Django's
    `adapt_datetimefield_value` gives it for a database kept in UTC, without its checks; any
    other value goes through Django's."""
    if value is None:
        return None
    if type(value) is dt.datetime and value.tzinfo is dt.UTC:
        return value.isoformat(" ")[:-6]  # without its "+00:00"
    return adapt(value)


def param_rows(objs: Iterable[Any], fields: list[Field], tail: Callable[[Any], list[Any]]) -> list:
    convert = list(zip((f.attname for f in fields), param_converters(fields), strict=True))
    return [[c(getattr(o, name)) for name, c in convert] + tail(o) for o in objs]


# SQLite: rows go in multi-row statements of these sizes (the largest first, then the binary
# remainder), so a batch is a few statements, each prepared once per process and reused.
_CHUNK_SIZES = (64, 32, 16, 8, 4, 2, 1)
_SQLITE_SAFE_PARAMS = 999  # the lowest limit of any SQLite build


def chunks(count: int, width: int) -> Iterable[tuple[int, int]]:
    """(start, size) of each multi-row statement for `count` rows of `width` parameters."""
    start = 0
    for size in _CHUNK_SIZES:
        if size * width > _SQLITE_SAFE_PARAMS:
            continue
        while count - start >= size:
            yield start, size
            start += size


def insert_rows(model: type[Any], objs: list[Any]) -> None:
    """New rows (no ids needed back): on SQLite a few multi-row INSERTs, elsewhere one
    executemany. One statement per chunk, not one step per row: each step lets the writer
    process's other threads take the interpreter lock, which the writer then waits for."""
    connection = transaction.get_connection()
    fields, head, marks = memoised(("insert", model), functools.partial(_insert_plan, model))
    rows = param_rows(objs, fields, lambda _o: [])
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.executemany(head + marks, rows)
            return
        for start, size in chunks(len(rows), len(fields)):
            cursor.execute(
                head + ", ".join([marks] * size),
                [value for row in rows[start : start + size] for value in row],
            )


def _insert_plan(model: type[Any]) -> tuple[list[Field], str, str]:
    connection = transaction.get_connection()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted model column names are formatted in; every value is a parameter.
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    return fields, head, marks
