"""Erlang C and Erlang A against published vectors and independent straightforward versions.

The Erlang A service level uses P(V > t) = π_N·A(x, y·e^{−θt})·exp(y(1 − e^{−θt}) − Nμt).
Derivation: with S_j(t) = P(offered wait > t | j callers ahead), dS_j/dt = −a_j(S_j − S_{j−1})
with a_j = Nμ + jθ and S_{−1} = 0. The weights c_j = y^j/((x+1)…(x+j)) satisfy
c_{j+1}·a_{j+1} = λ·c_j, so G(z, t) = Σ c_j z^j S_j(t) solves ∂G/∂t + θz ∂G/∂z = (λz − Nμ)G,
whose characteristics z = z₀e^{θt} give G(1, t) = A(x, y e^{−θt})·exp(y(1 − e^{−θt}) − Nμt).
`test_erlang_a_service_level_matches_the_tagged_caller_equations` checks it numerically.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from soporte.reports import erlang

AHT = 180.0
LAMBDA = 100 / 1800  # 100 calls per half hour: 10 erlangs with a 3-minute handle time

# research/domain.md §2.2: A = 10, AHT = 180 s, T = 20 s.
VECTORS = [
    (11, 0.6821182, 0.389614, 122.78, 0.9091),
    (12, 0.4493882, 0.640158, 40.44, 0.8333),
    (13, 0.2852705, 0.795595, 17.12, 0.7692),
    (14, 0.1741319, 0.888350, 7.836, 0.7142857),
    (15, 0.1020424, 0.941453, 3.674, 0.6667),
    (16, 0.0573403, 0.970560, 1.720, 0.6250),
]


@pytest.mark.parametrize(("n", "p_wait", "sl", "asa", "occ"), VECTORS)
def test_erlang_c_published_vectors(n, p_wait, sl, asa, occ):
    p = erlang.erlang_c_performance(n, calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=20)
    assert p.wait_probability == pytest.approx(p_wait, abs=5e-8)
    assert p.service_level == pytest.approx(sl, abs=5e-7)
    assert p.asa_seconds == pytest.approx(asa, abs=5e-3)
    assert p.occupancy == pytest.approx(occ, abs=5e-5)


def test_required_agents_for_80_20_with_shrinkage_and_occupancy_cap():
    base = dict(calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=20, service_level=0.8)
    assert erlang.required_agents(**base).agents == 14
    assert erlang.required_agents(**base, shrinkage=0.3).scheduled == 20
    capped = erlang.required_agents(**base, max_occupancy=0.70, shrinkage=0.3)
    assert (capped.agents, capped.scheduled) == (15, 22)
    # Second vector: 300 calls an hour, AHT 240 s (A = 20): 25 agents.
    second = erlang.required_agents(
        calls_per_second=300 / 3600, aht_seconds=240, target_seconds=20, service_level=0.8
    )
    assert second.agents == 25
    assert second.performance.service_level == pytest.approx(0.862151, abs=5e-7)
    assert second.performance.asa_seconds == pytest.approx(10.04, abs=5e-3)
    p24 = erlang.erlang_c_performance(
        24, calls_per_second=300 / 3600, aht_seconds=240, target_seconds=20
    )
    assert p24.service_level == pytest.approx(0.786422, abs=5e-7)


def test_three_rings_of_the_mexican_cadence_are_ten_seconds_of_target():
    # "80 % answered before the third ring": two full 5-second periods (1 s on / 4 s off).
    from soporte.calls.models import CADENCE_SECONDS

    on, off = CADENCE_SECONDS["mx"]
    target = (erlang_rings := 3 - 1) * (on + off)
    assert erlang_rings == 2 and target == 10.0
    need = erlang.required_agents(
        calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=target, service_level=0.8
    )
    # SL(10 s) with 14 agents = 1 − 0.1741319·e^(−4·10/180) = 86.06 %; 13 give 75.8 %.
    assert need.agents == 14
    assert need.performance.service_level == pytest.approx(0.860566, abs=5e-7)
    ninety = erlang.required_agents(
        calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=target, service_level=0.9
    )
    assert ninety.agents == 15


def erlang_c_exact(n: int, a: Fraction) -> Fraction:
    """P_wait straight from the textbook formula, in exact rational arithmetic."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_erlang_c_agrees_with_the_textbook_formula_on_a_thousand_random_inputs():
    rng = random.Random(17)
    for _ in range(1000):
        n = rng.randint(1, 120)
        a = Fraction(rng.randint(1, max(1, n * 100 - 1)), 100)
        if a >= n:
            continue
        exact = erlang_c_exact(n, a)
        got = erlang.erlang_c(n, float(a))
        assert abs(got - float(exact)) <= 1e-9 * float(exact), (n, a)


@pytest.mark.parametrize("agents", [1, 10, 100, 500, 1000])
def test_erlang_c_is_finite_from_one_to_a_thousand_agents(agents):
    traffic_per_agent = 0.85
    p = erlang.erlang_c_performance(
        agents,
        calls_per_second=agents * traffic_per_agent / AHT,
        aht_seconds=AHT,
        target_seconds=20,
    )
    assert 0 < p.wait_probability < 1 and 0 < p.service_level < 1
    assert math.isfinite(p.asa_seconds)
    a = erlang.erlang_a_performance(
        agents,
        calls_per_second=agents * 1.1 / AHT,  # overloaded: only Erlang A has an answer
        aht_seconds=AHT,
        target_seconds=20,
        patience_seconds=120,
    )
    assert 0 < a.abandon_probability < 1 and 0 <= a.service_level <= 1


def test_erlang_a_published_vectors():
    # pyworkforce's ErlangA regression (100 calls / 30 min, AHT 3 min, patience 5 min, N = 14).
    p = erlang.erlang_a_performance(
        14, calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=20, patience_seconds=300
    )
    assert p.wait_probability == pytest.approx(0.14526, abs=5e-6)
    assert p.abandon_probability == pytest.approx(0.013984, abs=5e-7)
    assert p.occupancy == pytest.approx(0.704297, abs=5e-7)
    assert p.asa_seconds == pytest.approx(0.069919 * 60, abs=5e-5)
    assert p.service_level == pytest.approx(0.916792, abs=5e-7)
    # research/shop-reports-blog-triage.md §F: patience 2 min.
    two = erlang.erlang_a_performance(
        14, calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=20, patience_seconds=120
    )
    assert two.wait_probability == pytest.approx(0.126976, abs=5e-7)
    assert two.abandon_probability == pytest.approx(0.022839, abs=5e-7)
    assert two.asa_seconds == pytest.approx(2.741, abs=5e-4)


@pytest.mark.parametrize("agents", [11, 14, 16, 25])
def test_erlang_a_becomes_erlang_c_as_patience_grows(agents):
    c = erlang.erlang_c_performance(
        agents, calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=20
    )
    previous = None
    for patience in (600, 6_000, 600_000, 60_000_000):
        a = erlang.erlang_a_performance(
            agents,
            calls_per_second=LAMBDA,
            aht_seconds=AHT,
            target_seconds=20,
            patience_seconds=patience,
        )
        gap = abs(a.wait_probability - c.wait_probability)
        assert previous is None or gap <= previous
        previous = gap
    assert a.wait_probability == pytest.approx(c.wait_probability, rel=1e-4)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-4)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-3)


def stationary(n, lam, mu, theta, cutoff=4000):
    """The Erlang A birth–death chain solved term by term (independent of the closed form)."""
    probs = [1.0]
    for k in range(1, cutoff):
        probs.append(probs[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
    total = math.fsum(probs)
    return [p / total for p in probs]


def served_within(n, mu, theta, t, ahead_max, steps=4000):
    """G_j(t) = P(answered by t | j ahead) from the tagged caller's equations, by RK4:
    dG_j/dt = a_j·G_{j−1} − (a_j + θ)·G_j, G_{−1} = 1, a_j = Nμ + jθ."""
    g = [0.0] * (ahead_max + 1)
    rates = [n * mu + j * theta for j in range(ahead_max + 1)]

    def deriv(v):
        return [
            rates[j] * (v[j - 1] if j else 1.0) - (rates[j] + theta) * v[j] for j in range(len(v))
        ]

    h = t / steps
    for _ in range(steps):
        k1 = deriv(g)
        k2 = deriv([g[i] + h / 2 * k1[i] for i in range(len(g))])
        k3 = deriv([g[i] + h / 2 * k2[i] for i in range(len(g))])
        k4 = deriv([g[i] + h * k3[i] for i in range(len(g))])
        g = [g[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) for i in range(len(g))]
    return g


@pytest.mark.parametrize(("n", "patience"), [(3, 60.0), (4, 200.0)])
def test_erlang_a_service_level_matches_the_tagged_caller_equations(n, patience):
    lam, aht, t = 1 / 60, 150.0, 20.0
    mu, theta = 1 / aht, 1 / patience
    probs = stationary(n, lam, mu, theta, cutoff=120)
    g = served_within(n, mu, theta, t, ahead_max=len(probs) - n - 1, steps=400)
    expected = math.fsum(probs[:n]) + math.fsum(probs[n + j] * g[j] for j in range(len(g)))
    got = erlang.erlang_a_performance(
        n, calls_per_second=lam, aht_seconds=aht, target_seconds=t, patience_seconds=patience
    )
    assert got.service_level == pytest.approx(expected, rel=1e-9)
    assert got.wait_probability == pytest.approx(math.fsum(probs[n:]), rel=1e-9)
    queue = math.fsum((k - n) * probs[k] for k in range(n, len(probs)))
    assert got.abandon_probability == pytest.approx(theta * queue / lam, rel=1e-9)


def test_erlang_a_needs_fewer_agents_than_erlang_c_when_callers_hang_up():
    c = erlang.required_agents(
        calls_per_second=LAMBDA, aht_seconds=AHT, target_seconds=20, service_level=0.8
    )
    a = erlang.required_agents(
        calls_per_second=LAMBDA,
        aht_seconds=AHT,
        target_seconds=20,
        service_level=0.8,
        patience_seconds=120,
    )
    assert a.agents <= c.agents
    assert a.performance.service_level >= 0.8


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        erlang.erlang_c_performance(0, calls_per_second=1, aht_seconds=1, target_seconds=1)
    with pytest.raises(ValueError):
        erlang.required_agents(
            calls_per_second=1, aht_seconds=1, target_seconds=1, service_level=1.5
        )
    with pytest.raises(ValueError):
        erlang.erlang_a_performance(
            2, calls_per_second=1, aht_seconds=1, target_seconds=1, patience_seconds=0
        )
