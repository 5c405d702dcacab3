"""Triage use cases: suggest, decide (a person, never the assistant), retrain, swap models.

Rules enforced here:
- a suggestion never changes a ticket by itself: `decide` is the only writer, and it needs a
  member of the desk (issue 23, item 1);
- accepting a level moves the ticket through `tickets.services.escalate_ticket`, with a hand-off
  note written from the request (X1, X2), so routing and the SLA policy of the new level apply
  exactly as for an escalation (item 4);
- the label a ticket teaches is the level it was finally resolved at, after its escalations;
- a retrained model replaces the one in use only after a supervisor has seen its accuracy on
  the desk's recent tickets and accepted it, or by the explicit rule `auto_activate` (item 2).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import pickle
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from soporte.directory.models import Area, User
from soporte.lib.errors import DomainError, Forbidden
from soporte.tickets import services as tickets_services
from soporte.tickets.models import Priority, Status, Ticket
from soporte.triage import engine
from soporte.triage.models import (
    Decision,
    ModelSource,
    ModelStatus,
    ModelVersion,
    Suggestion,
    TriageSettings,
)

# The newest resolved tickets kept out of training to measure a candidate (at most this many,
# and at most a fifth of the desk's resolved tickets).
RECENT_LIMIT = 2000
# Retraining reads at most this many resolved tickets, newest first.
TRAINING_LIMIT = 200_000
LABELLED = (Status.RESOLVED, Status.CLOSED)


class TriageError(DomainError):
    code = "triage_error"


# --- loading models ------------------------------------------------------------------------

_loaded: dict[tuple[int, str], engine.Model] = {}
_loaded_lock = threading.Lock()


def load(version: ModelVersion) -> engine.Model:
    """The fitted model of a stored version (unpickled once per process and version)."""
    key = (version.pk, version.blob_sha256)
    found = _loaded.get(key)
    if found is not None:
        return found
    # The blob is read only here, once per process and version: pages and suggestions read
    # the row without it (a model trained on 100,000 tickets is tens of megabytes).
    blob = bytes(ModelVersion.objects.values_list("blob", flat=True).get(pk=version.pk))
    if hashlib.sha256(blob).hexdigest() != version.blob_sha256:
        raise TriageError(_("El modelo guardado está dañado: reentrénelo."), code="model_corrupt")
    model = pickle.loads(blob)  # noqa: S301 - hash-checked blob written by `_store`
    with _loaded_lock:
        _loaded.clear()  # one or two versions are in play; the old ones are not used again
        _loaded[key] = model
    return model


def _store(
    model: engine.Model,
    *,
    status: str,
    source: str,
    now: dt.datetime,
    actor: User | None,
    seconds: float,
    examples: int,
    desk_tickets: int,
    recent: engine.Scores | None,
    previous: tuple[ModelVersion, engine.Scores] | None,
) -> ModelVersion:
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    heldout = engine.score(model, engine.heldout_set())
    last = ModelVersion.objects.aggregate(v=Max("version"))["v"] or 0
    return ModelVersion.objects.create(
        version=last + 1,
        status=status,
        source=source,
        engine_version=engine.ENGINE_VERSION,
        trained_at=now,
        trained_by=actor,
        training_seconds=round(seconds, 2),
        example_count=examples,
        desk_ticket_count=desk_tickets,
        heldout_accuracy=heldout.accuracy,
        heldout_macro_f1=heldout.macro_f1,
        recent_count=recent.count if recent else 0,
        recent_accuracy=recent.accuracy if recent and recent.count else None,
        recent_macro_f1=recent.macro_f1 if recent and recent.count else None,
        previous_recent_accuracy=previous[1].accuracy if previous and previous[1].count else None,
        previous_version=previous[0].version if previous else None,
        confusion=(recent if recent and recent.count else heldout).confusion,
        blob=blob,
        blob_sha256=hashlib.sha256(blob).hexdigest(),
    )


@functools.lru_cache(maxsize=1)
def _starting_model() -> engine.Model:
    """The same shipped examples always give the same model (SGD with a fixed seed): trained
    once per process, however many databases (a test suite's) ask for it."""
    return engine.train(engine.starting_set())


def active_version(*, now: dt.datetime) -> ModelVersion:
    """The model in use. On the first day there is none: the starting model is trained from
    the product's own examples (under a second, nothing downloaded) and put in use."""
    found = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).defer("blob").first()
    if found is not None and found.engine_version == engine.ENGINE_VERSION:
        return found
    with transaction.atomic():
        # The settings row is the lock: two first requests train one starting model.
        TriageSettings.current()
        TriageSettings.objects.select_for_update().get(pk=1)
        found = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
        if found is not None and found.engine_version == engine.ENGINE_VERSION:
            return found
        started = time.perf_counter()
        examples = engine.starting_set()
        model = _starting_model()
        if found is not None:  # a model of an older engine: features changed, retire it
            found.status = ModelStatus.RETIRED
            found.save(update_fields=["status"])
        return _store(
            model,
            status=ModelStatus.ACTIVE,
            source=ModelSource.STARTING,
            now=now,
            actor=None,
            seconds=time.perf_counter() - started,
            examples=len(examples),
            desk_tickets=0,
            recent=None,
            previous=None,
        )


# --- suggesting ----------------------------------------------------------------------------


def ticket_text(subject: str, description: str) -> str:
    return f"{subject}. {description}"[: engine.MAX_TEXT]


def predict(text: str, *, now: dt.datetime) -> tuple[ModelVersion, engine.Prediction]:
    """A suggestion for any text (a call's need typed in the console, a draft ticket)."""
    version = active_version(now=now)
    return version, load(version).predict(text[: engine.MAX_TEXT])


def suggestion_for(*, ticket: Ticket, now: dt.datetime) -> Suggestion | None:
    """The ticket's suggestion, made the first time the desk looks at an open ticket. Only a
    record of advice: the ticket itself is not touched."""
    existing = Suggestion.objects.filter(ticket=ticket).select_related("model_version").first()
    if existing is not None or not ticket.is_open:
        return existing
    version, prediction = predict(ticket_text(ticket.subject, ticket.description), now=now)
    with transaction.atomic():
        suggestion, _created = Suggestion.objects.get_or_create(
            ticket=ticket,
            defaults={
                "model_version": version,
                "level": prediction.level,
                "area_code": prediction.area,
                "priority": prediction.priority or Priority.NORMAL,
                "confidence": min(1.0, prediction.confidence),
                "area_confidence": prediction.area_confidence,
                "priority_confidence": prediction.priority_confidence,
                "words": list(prediction.words),
                "by_rule": prediction.by_rule,
                "from_level": ticket.level,
                "created_at": now,
            },
        )
    return suggestion


def is_shown(suggestion: Suggestion, *, threshold: float | None = None) -> bool:
    """Below the desk's threshold nothing is shown (and an answered one is not asked again)."""
    if threshold is None:
        threshold = TriageSettings.current().threshold
    return suggestion.decision == Decision.PENDING and suggestion.confidence >= threshold


# --- a person decides ----------------------------------------------------------------------


def handoff_note(ticket: Ticket, suggestion: Suggestion, level: int) -> tuple[str, str]:
    """The hand-off note (reason, what was tried) written from the request itself, so whoever
    receives the ticket reads the customer's words first (X2)."""
    request = " ".join(f"{ticket.subject}: {ticket.description}".split())
    if len(request) > 400:
        request = request[:399] + "…"
    reason = _("Clasificado al llegar como nivel %(level)d. La solicitud dice: «%(request)s».") % {
        "level": level,
        "request": request,
    }
    if suggestion.words and level == suggestion.level:
        reason += " " + _("El asistente lo sugirió por: %(words)s.") % {
            "words": ", ".join(f"«{w}»" for w in suggestion.words)
        }
    tried = _(
        "Nada todavía: se clasificó al recibirlo, antes de atenderlo en el nivel %(from)d."
    ) % {"from": ticket.level}
    return reason, tried


@dataclass(frozen=True)
class Choice:
    level: int
    area_code: str
    priority: str


@transaction.atomic
def decide(*, suggestion: Suggestion, actor: User, choice: Choice, now: dt.datetime) -> Suggestion:
    """A member of the desk accepts the suggestion or picks another level, area or priority.

    A new level or area moves the ticket like an escalation (routing, hand-off note, the SLA
    policy of the new level); a new priority goes through `set_priority`. Rules X1, X2."""
    if not getattr(actor, "is_desk_staff", False):
        raise Forbidden(_("Solo el personal de la mesa decide el triaje."))
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.decision != Decision.PENDING:
        raise TriageError(_("Esta sugerencia ya se decidió."), code="already_decided")
    ticket = Ticket.objects.select_related("requester", "area").get(pk=suggestion.ticket_id)
    if not ticket.is_open:
        raise TriageError(_("El ticket ya no está abierto."), code="not_open")
    if choice.level not in engine.LEVELS:
        raise TriageError(_("El nivel debe ser 1, 2, 3 o 4."), code="invalid_level")
    if choice.priority not in Priority.values:
        raise TriageError(_("Prioridad desconocida."), code="invalid_priority")
    area = None
    if choice.area_code:
        area = Area.objects.filter(code=choice.area_code).first()
        if area is None:
            raise TriageError(_("Esa área no existe en la mesa."), code="invalid_area")
    if choice.level < ticket.level:
        raise TriageError(
            _("El ticket ya está en el nivel %(level)d: el triaje no lo baja de nivel.")
            % {"level": ticket.level},
            code="level_down",
        )
    moves = choice.level != ticket.level or (area is not None and area.pk != ticket.area_id)
    if moves:
        with tickets_services.desk_language():
            reason, tried = handoff_note(ticket, suggestion, choice.level)
        tickets_services.escalate_ticket(
            ticket=ticket,
            actor=actor,
            to_level=choice.level,
            to_area=area,
            customer_name=ticket.requester.full_name,
            reason=reason,
            tried=tried,
            now=now,
        )
    if choice.priority != ticket.priority:
        with tickets_services.desk_language():
            why = _("Triaje: prioridad elegida al clasificar la solicitud.")
        tickets_services.set_priority(
            ticket=ticket, actor=actor, priority=choice.priority, now=now, reason=why
        )
    suggested = Choice(suggestion.level, suggestion.area_code, suggestion.priority)
    suggestion.decision = Decision.ACCEPTED if choice == suggested else Decision.OVERRIDDEN
    suggestion.decided_at = now
    suggestion.decided_by = actor
    suggestion.chosen_level = choice.level
    suggestion.chosen_area_code = choice.area_code
    suggestion.chosen_priority = choice.priority
    suggestion.save()
    return suggestion


# --- learning ------------------------------------------------------------------------------


def desk_examples(*, limit: int = TRAINING_LIMIT) -> list[engine.Example]:
    """The desk's resolved tickets, newest first, labelled with the level each was finally
    resolved at (its level after every escalation), its area and its priority."""
    rows = (
        Ticket.objects.filter(status__in=LABELLED, resolved_at__isnull=False)
        .order_by("-resolved_at", "-id")
        .values_list("subject", "description", "level", "area__code", "priority")[:limit]
    )
    return [
        engine.Example(ticket_text(s, d), level, area or "", priority)
        for s, d, level, area, priority in rows
    ]


def split_recent(
    examples: Sequence[engine.Example],
) -> tuple[list[engine.Example], list[engine.Example]]:
    """(recent, older): the newest fifth (at most RECENT_LIMIT) measures, the rest trains."""
    n_recent = min(RECENT_LIMIT, len(examples) // 5)
    return list(examples[:n_recent]), list(examples[n_recent:])


def has_new_labels(*, now: dt.datetime) -> bool:
    """Whether a ticket was resolved since the model in use was trained: the weekly run has
    nothing to learn otherwise (and a candidate to review would be noise)."""
    current = active_version(now=now)
    return Ticket.objects.filter(status__in=LABELLED, resolved_at__gte=current.trained_at).exists()


def train_candidate(*, now: dt.datetime, actor: User | None = None) -> ModelVersion:
    """Retrain on the product's examples plus the desk's resolved tickets; measure the new model
    and the one in use on the same recent tickets; store the new one as a candidate (or put it
    in use at once when the desk's explicit rule allows and it is at least as good)."""
    current = active_version(now=now)
    started = time.perf_counter()
    recent, older = split_recent(desk_examples())
    examples = engine.starting_set() + older
    model = engine.train(examples)
    seconds = time.perf_counter() - started
    recent_scores = engine.score(model, recent)
    previous_scores = engine.score(load(current), recent)
    settings_row = TriageSettings.current()
    with transaction.atomic():
        candidate = _store(
            model,
            status=ModelStatus.CANDIDATE,
            source=ModelSource.DESK,
            now=now,
            actor=actor,
            seconds=seconds,
            examples=len(examples),
            desk_tickets=len(older),
            recent=recent_scores,
            previous=(current, previous_scores),
        )
        # Only the newest candidate is up for review.
        ModelVersion.objects.filter(status=ModelStatus.CANDIDATE).exclude(pk=candidate.pk).update(
            status=ModelStatus.REJECTED
        )
        if settings_row.auto_activate and _measure(candidate) >= _previous_measure(candidate):
            _swap(candidate, actor=None, now=now)
    return candidate


def _measure(version: ModelVersion) -> float:
    """The figure shown to the supervisor: accuracy on the desk's recent tickets, or on the
    product's held-out set while the desk has too few resolved tickets to measure."""
    if version.recent_accuracy is not None:
        return round(version.recent_accuracy, 4)
    return round(version.heldout_accuracy, 4)


def _previous_measure(version: ModelVersion) -> float:
    if version.recent_accuracy is not None and version.previous_recent_accuracy is not None:
        return round(version.previous_recent_accuracy, 4)
    current = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).defer("blob").first()
    return round(current.heldout_accuracy, 4) if current else 0.0


def shown_figure(version: ModelVersion) -> str:
    """The accuracy exactly as the review form shows it and sends it back."""
    return f"{_measure(version):.4f}"


def _swap(candidate: ModelVersion, *, actor: User | None, now: dt.datetime) -> None:
    ModelVersion.objects.filter(status=ModelStatus.ACTIVE).update(status=ModelStatus.RETIRED)
    candidate.status = ModelStatus.ACTIVE
    candidate.decided_at = now
    candidate.decided_by = actor
    candidate.save(update_fields=["status", "decided_at", "decided_by"])


def _manager(actor: User) -> None:
    if not getattr(actor, "is_manager", False):
        raise Forbidden(_("Solo un supervisor decide qué modelo usa la mesa."))


@transaction.atomic
def activate(
    *, version: ModelVersion, actor: User, shown_accuracy: str, now: dt.datetime
) -> ModelVersion:
    """The supervisor puts a candidate in use, having seen its accuracy: the form sends back the
    figure it showed, and a swap with another figure (or none) is refused."""
    _manager(actor)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ModelStatus.CANDIDATE:
        raise TriageError(_("Ese modelo ya no está por revisar."), code="not_candidate")
    if shown_accuracy.strip() != shown_figure(version):
        raise TriageError(
            _("Revise la exactitud del modelo nuevo antes de ponerlo en uso."),
            code="accuracy_not_shown",
        )
    _swap(version, actor=actor, now=now)
    return version


@transaction.atomic
def reject(*, version: ModelVersion, actor: User, now: dt.datetime) -> ModelVersion:
    _manager(actor)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ModelStatus.CANDIDATE:
        raise TriageError(_("Ese modelo ya no está por revisar."), code="not_candidate")
    version.status = ModelStatus.REJECTED
    version.decided_at = now
    version.decided_by = actor
    version.save(update_fields=["status", "decided_at", "decided_by"])
    return version


@transaction.atomic
def update_settings(
    *, actor: User, threshold: float, auto_activate: bool, now: dt.datetime
) -> TriageSettings:
    _manager(actor)
    if not 0 <= threshold <= 1:
        raise TriageError(_("La confianza mínima va de 0 a 100 %."), code="invalid_threshold")
    row = TriageSettings.current()
    row.threshold = threshold
    row.auto_activate = auto_activate
    row.updated_at = now
    row.updated_by = actor
    row.save()
    return row


# --- what the supervisor sees ---------------------------------------------------------------


@dataclass(frozen=True)
class LevelDecisions:
    level: int
    accepted: int
    overridden: int
    pending: int


@dataclass(frozen=True)
class Review:
    per_level: list[LevelDecisions]
    # rows: level suggested 1..4; columns: level finally resolved at 1..4
    confusion: list[list[int]]
    resolved: int
    misleading: list[tuple[str, int]]


def review(*, since: dt.datetime) -> Review:
    """Decisions per suggested level, the confusion matrix of suggested against final level on
    the tickets resolved since `since`, and the words most often behind a wrong suggestion."""
    rows = list(
        Suggestion.objects.filter(created_at__gte=since)
        .order_by("created_at", "id")
        .values_list("level", "decision", "words", "ticket__status", "ticket__level")
    )
    counts: Counter[tuple[int, str]] = Counter((level, decision) for level, decision, *_ in rows)
    confusion = [[0] * 4 for _level in engine.LEVELS]
    misleading: Counter[str] = Counter()
    resolved = 0
    for level, _decision, words, status, final in rows:
        if status not in LABELLED:
            continue
        resolved += 1
        confusion[level - 1][final - 1] += 1
        if level != final:
            misleading.update(str(w) for w in words)
    return Review(
        per_level=[
            LevelDecisions(
                level,
                counts[(level, Decision.ACCEPTED)],
                counts[(level, Decision.OVERRIDDEN)],
                counts[(level, Decision.PENDING)],
            )
            for level in engine.LEVELS
        ],
        confusion=confusion,
        resolved=resolved,
        misleading=misleading.most_common(10),
    )


def describe(prediction: engine.Prediction) -> dict[str, Any]:
    return {
        "level": prediction.level,
        "confidence": round(prediction.confidence, 3),
        "area": prediction.area,
        "area_confidence": round(prediction.area_confidence, 3),
        "priority": prediction.priority,
        "priority_confidence": round(prediction.priority_confidence, 3),
        "words": list(prediction.words),
        "by_rule": prediction.by_rule,
    }
