"""The research note's ten calls (domain.md §2.1), every figure and variant checked by hand."""

from __future__ import annotations

import pytest

from soporte.reports.metrics import (
    CallRecord,
    Definitions,
    Tally,
    figures,
    occupancy,
    qa_rates,
    rings_for,
    service_level,
    service_level_variants,
    tally,
)


def answered(wait, talk, hold, acw, holds=0, transfer=""):
    return CallRecord(
        outcome="answered",
        wait_seconds=wait,
        talk_seconds=talk,
        hold_seconds=hold,
        hold_count=holds,
        wrap_seconds=acw,
        transfer=transfer,
    )


def abandoned(wait):
    return CallRecord(outcome="abandoned", wait_seconds=wait, abandon_place="queue")


TEN_CALLS = [
    answered(5, 240, 30, 60, holds=1),
    answered(12, 300, 0, 45),
    answered(25, 180, 60, 30, holds=2, transfer="warm"),
    abandoned(3),
    abandoned(40),
    answered(18, 420, 0, 90),
    answered(35, 150, 45, 30, holds=1, transfer="blind"),
    answered(8, 200, 0, 40),
    abandoned(22),
    answered(15, 260, 20, 50, holds=1),
]


def by_code(items):
    return {f.code: f.value for f in items}


@pytest.fixture
def counts():
    return tally(TEN_CALLS, Definitions(answer_target_seconds=20, short_abandon_seconds=5))


def test_the_ten_calls_give_the_research_notes_figures(counts):
    f = by_code(figures(counts, Definitions()))
    assert (f["offered"], f["answered"], f["abandoned"], f["short_abandons"]) == (10, 7, 3, 1)
    assert f["asa"] == pytest.approx(118 / 7)
    assert round(f["asa"], 2) == 16.86
    assert f["abandon_rate"] == pytest.approx(0.30)
    assert f["aht"] == pytest.approx(2250 / 7)
    assert round(f["aht"], 2) == 321.43
    assert f["hold_avg_held_call"] == pytest.approx(38.75)
    assert f["hold_avg_instance"] == pytest.approx(31.0)
    assert round(f["hold_avg_handled"], 2) == 22.14
    assert round(f["hold_rate"], 3) == 0.571
    assert round(f["transfer_rate"], 3) == 0.286
    assert f["transfer_rate_warm"] == pytest.approx(1 / 7)
    assert f["transfer_rate_blind"] == pytest.approx(1 / 7)
    assert occupancy(2250, 1350) == pytest.approx(0.625)


def test_service_level_formulas_side_by_side(counts):
    v = by_code(service_level_variants(counts))
    assert v["sl_offered"] == pytest.approx(0.50)
    assert v["sl_icmi1"] == pytest.approx(0.60)
    assert v["sl_icmi2"] == pytest.approx(5 / 7)
    assert v["sl_icmi3"] == pytest.approx(0.50)
    assert round(v["sl_icmi4"], 3) == 0.556
    # Like (1) without the short abandon: (5 + 1 − 1) / (10 − 1).
    assert v["sl_icmi5"] == pytest.approx(5 / 9)


@pytest.mark.parametrize(
    ("definitions", "expected"),
    [
        (Definitions(), 5 / 10),
        (Definitions(short_abandons_in_service_level=False), 5 / 9),
        (Definitions(abandons_in_service_level=False), 5 / 7),
    ],
)
def test_the_desks_service_level_follows_its_choices(definitions, expected):
    counts = tally(TEN_CALLS, definitions)
    assert service_level(counts, definitions) == pytest.approx(expected)
    [figure] = [f for f in figures(counts, definitions) if f.code == "service_level"]
    assert figure.value == pytest.approx(expected)
    assert "20 s" in figure.definition


def test_abandon_rate_without_short_abandons_is_two_of_nine():
    d = Definitions(short_abandons_in_abandon_rate=False)
    f = by_code(figures(tally(TEN_CALLS, d), d))
    assert round(f["abandon_rate"], 3) == 0.222


def test_the_answer_target_and_short_threshold_move_the_counts():
    # T = 10 s: only calls 1 and 8 answered in time; a 25 s short threshold makes two of the
    # three abandons short.
    d = Definitions(answer_target_seconds=10, short_abandon_seconds=25)
    counts = tally(TEN_CALLS, d)
    assert counts.answered_within_target == 2
    assert counts.short_abandons == 2
    assert by_code(service_level_variants(counts))["sl_offered"] == pytest.approx(0.2)


def test_nothing_counted_shows_no_figure_rather_than_zero():
    f = by_code(figures(Tally(), Definitions()))
    assert f["offered"] == 0
    assert f["asa"] is None and f["service_level"] is None and f["abandon_rate"] is None


def test_bad_definitions_are_refused():
    with pytest.raises(ValueError):
        Definitions(answer_target_seconds=0)
    with pytest.raises(ValueError):
        Definitions(short_abandon_seconds=-1)


@pytest.mark.parametrize(
    ("period", "ring_seconds", "rings"),
    [(6.0, 14, 3), (4.5, 14, 4), (5.0, 14, 3), (4.0, 14, 4), (5.0, 0.2, 1), (5.0, None, 0)],
)
def test_rings_from_seconds_by_cadence(period, ring_seconds, rings):
    assert rings_for(ring_seconds, period) == rings


@pytest.mark.parametrize(
    ("cadence", "period", "last_in_time", "first_late"),
    [("mx", 5.0, 10.0, 10.5), ("es", 4.5, 9.0, 9.1), ("us", 6.0, 12.0, 12.5)],
)
def test_answered_before_the_third_ring_by_cadence(cadence, period, last_in_time, first_late):
    calls = [
        CallRecord(outcome="answered", wait_seconds=s, ring_seconds=s, ring_period=period)
        for s in (0.5, last_in_time, first_late, 20.0)
    ]
    counts = tally(calls, Definitions())
    assert counts.answered_before_third_ring == 2, cadence
    assert by_code(figures(counts, Definitions()))["before_third_ring"] == pytest.approx(0.5)


def test_abandons_by_place_callbacks_fcr_and_qa():
    calls = [
        CallRecord(outcome="abandoned", wait_seconds=30, abandon_place="queue"),
        CallRecord(outcome="abandoned", wait_seconds=12, abandon_place="ringing"),
        CallRecord(
            outcome="answered",
            wait_seconds=4,
            hold_count=1,
            hold_seconds=75,
            holds_over_limit=1,
            hung_up_on_hold=True,
            callbacks_promised=2,
            callbacks_kept=1,
            survey_resolved=True,
            ticket_reopened=False,
            qa=(("T1", "passed"), ("H3", "failed"), ("C1", "na")),
        ),
        CallRecord(
            outcome="answered",
            wait_seconds=6,
            survey_resolved=False,
            ticket_reopened=True,
            qa=(("T1", "passed"), ("H3", "passed")),
        ),
        CallRecord(outcome="other", wait_seconds=30),
    ]
    counts = tally(calls, Definitions())
    f = by_code(figures(counts, Definitions()))
    assert (f["abandoned_in_queue"], f["abandoned_ringing"], f["abandoned_on_hold"]) == (1, 1, 1)
    assert f["other"] == 1 and f["offered"] == 4
    assert f["holds_over_limit"] == 1
    assert f["callbacks_promised"] == 2 and f["callbacks_kept"] == pytest.approx(0.5)
    assert f["fcr_survey"] == pytest.approx(0.5)
    assert f["fcr_not_reopened"] == pytest.approx(0.5)
    # C1 was "no aplica" on every call: no rate, rather than 0 % or 100 %.
    assert by_code(qa_rates(counts)) == {"qa_C1": None, "qa_H3": 0.5, "qa_T1": 1.0}


def test_tallies_add_up_like_the_whole():
    d = Definitions()
    whole = tally(TEN_CALLS, d)
    parts = Tally()
    parts.add(tally(TEN_CALLS[:4], d))
    parts.add(tally(TEN_CALLS[4:], d))
    assert parts == whole
