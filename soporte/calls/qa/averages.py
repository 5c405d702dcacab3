"""QA over a period: average score per agent and per level, each rule's pass rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Case, CharField, Count, F, When
from django.utils.translation import gettext as _

from soporte.calls.models import Scorecard, ScoreLine, Verdict
from soporte.calls.qa.rules import RULE_ORDER, rule_name
from soporte.directory.models import Agent, User


@dataclass(frozen=True)
class GroupAverage:
    key: int | None
    label: str
    calls: int
    average: float | None


@dataclass(frozen=True)
class RuleRate:
    rule: str
    name: str
    passed: int
    failed: int
    not_applicable: int
    pending: int
    overridden: int

    @property
    def rate(self) -> float | None:
        decided = self.passed + self.failed
        return round(100.0 * self.passed / decided, 1) if decided else None


@dataclass(frozen=True)
class Averages:
    start_at: dt.datetime
    end_at: dt.datetime
    calls: int
    average: float | None
    overrides: int
    agents: list[GroupAverage]
    levels: list[GroupAverage]
    rules: list[RuleRate]


def _avg(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


def scorecards_visible_to(viewer: User) -> Any:
    """Whose scorecards a person may average (issue 21, item 7): supervisors and
    administrators everyone's, an agent only their own, anyone else none."""
    if viewer.is_manager:
        return Scorecard.objects.all()
    if viewer.is_desk_staff:
        return Scorecard.objects.filter(agent__user=viewer)
    return Scorecard.objects.none()


def averages(*, start_at: dt.datetime, end_at: dt.datetime, viewer: User | None = None) -> Averages:
    """QA over the calls started in [start_at, end_at): average score per agent and per level
    (of the agent when the call was scored) and each rule's pass rate. Overrides count. With a
    viewer, only the scorecards they may see (`scorecards_visible_to`)."""
    scope = Scorecard.objects.all() if viewer is None else scorecards_visible_to(viewer)
    cards = scope.filter(call__started_at__gte=start_at, call__started_at__lt=end_at)
    total = cards.aggregate(n=Count("id"), avg=Avg("score"))
    names = {
        a.pk: a.name
        for a in Agent.objects.select_related("user").filter(
            pk__in=cards.exclude(agent=None).values("agent")
        )
    }
    agents = [
        GroupAverage(
            key=row["agent"],
            label=names.get(row["agent"], _("Sin agente")),
            calls=row["n"],
            average=_avg(row["avg"]),
        )
        for row in cards.values("agent").annotate(n=Count("id"), avg=Avg("score")).order_by()
    ]
    agents.sort(key=lambda g: (g.average is None, -(g.average or 0), g.label))
    levels = sorted(
        (
            GroupAverage(
                key=row["level"],
                label=_("Nivel %(n)d") % {"n": row["level"]} if row["level"] else _("Sin nivel"),
                calls=row["n"],
                average=_avg(row["avg"]),
            )
            for row in cards.values("level").annotate(n=Count("id"), avg=Avg("score")).order_by()
        ),
        key=lambda g: (g.key is None, g.key or 0),
    )
    lines = ScoreLine.objects.filter(scorecard__in=cards).annotate(
        final_verdict=Case(
            When(override="", then=F("verdict")), default=F("override"), output_field=CharField()
        )
    )
    counts: dict[str, dict[str, int]] = {}
    for row in lines.values("rule", "final_verdict").annotate(n=Count("id")).order_by():
        counts.setdefault(row["rule"], {})[row["final_verdict"]] = row["n"]
    overridden = dict(
        lines.exclude(override="").values_list("rule").annotate(n=Count("id")).order_by()
    )
    rules = [
        RuleRate(
            rule=rule,
            name=rule_name(rule),
            passed=counts[rule].get(Verdict.PASSED, 0),
            failed=counts[rule].get(Verdict.FAILED, 0),
            not_applicable=counts[rule].get(Verdict.NOT_APPLICABLE, 0),
            pending=counts[rule].get(Verdict.PENDING, 0),
            overridden=overridden.get(rule, 0),
        )
        for rule in RULE_ORDER
        if rule in counts
    ]
    return Averages(
        start_at=start_at,
        end_at=end_at,
        calls=total["n"],
        average=_avg(total["avg"]),
        overrides=sum(overridden.values()),
        agents=agents,
        levels=levels,
        rules=rules,
    )
