"""Erlang C (M/M/N) and Erlang A (M/M/N+M, callers who hang up) for the staffing planner.

Pure functions, no factorials and no powers of large numbers: Erlang B by its recurrence
B(0) = 1, B(k) = a·B / (k + a·B), which stays in (0, 1] from 1 to thousands of agents, and
Erlang C from it: C = N·B / (N − a·(1 − B)) (research/domain.md §2.2).

Erlang A follows Mandelbaum & Zeltyn's Palm queue. With x = N·μ/θ and y = λ/θ (θ = 1 /
mean patience), the waiting states' weights relative to "all N busy" are
c_j = y^j / ((x+1)(x+2)…(x+j)), whose sum A(x, y) is summed in logarithms (it reaches e^1000
with a thousand agents). Then, with E the Erlang B of N agents:

    P(wait)    = A·E / (1 + (A − 1)·E)
    P(abandon) = P(wait) · (1/(ρA) + 1 − 1/ρ),  ρ = y/x = λ/(Nμ)
    ASA        = P(abandon) / θ                (mean wait of every caller)
    P(V > t)   = π_N · A(x, y·e^{−θt}) · exp(y(1 − e^{−θt}) − Nμt)   (offered wait V)

the last one from the generating function of the tagged caller's queue position (derived in
the test module's docstring). The service level, "answered within T" among all callers, is
P(no wait) + π_N·[A − e^{−θT}·F(T) − θ∫₀ᵀ e^{−θs}·F(s) ds] with F(s) = P(V > s)/π_N, the
integral by 16-point Gauss–Legendre (the integrand is smooth).

All times are in seconds; rates per second.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

MAX_AGENTS = 5000


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of `agents` servers offered `traffic` erlangs (stable recurrence)."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a caller waits (M/M/N); 1 when the agents cannot keep up (N ≤ a)."""
    if agents <= traffic:
        return 1.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1 - b))


@dataclass(frozen=True)
class Performance:
    agents: int
    wait_probability: float
    service_level: float  # answered within the target time, among all callers
    asa_seconds: float  # mean wait (Erlang C: of every caller; Erlang A: of every caller)
    occupancy: float
    abandon_probability: float = 0.0  # Erlang A only

    @property
    def stable(self) -> bool:
        return self.wait_probability < 1.0


@functools.lru_cache(maxsize=65_536)
def erlang_c_performance(
    agents: int, *, calls_per_second: float, aht_seconds: float, target_seconds: float
) -> Performance:
    """Erlang C's figures for `agents`: P(wait), SL(T) = 1 − P·e^{−(N−a)T/AHT}, ASA, a/N."""
    _check(agents, calls_per_second, aht_seconds, target_seconds)
    a = calls_per_second * aht_seconds
    if agents <= a:
        return Performance(agents, 1.0, 0.0, math.inf, 1.0)
    p = erlang_c(agents, a)
    sl = 1.0 - p * math.exp(-(agents - a) * target_seconds / aht_seconds)
    return Performance(agents, p, sl, p * aht_seconds / (agents - a), a / agents)


def _log_a_series(x: float, y: float) -> float:
    """log A(x, y) = log Σ_{j≥0} y^j / ((x+1)…(x+j)), summed outward from its largest term
    (term j over term j−1 is y/(x+j): they grow while j < y − x), by ratios, no powers."""
    if y <= 0:
        return 0.0
    peak = max(0, math.floor(y - x))
    if peak == 0:
        log_peak = 0.0
    elif peak < 64:
        log_peak = math.fsum(math.log(y / (x + i)) for i in range(1, peak + 1))
    else:
        log_peak = peak * math.log(y) - (math.lgamma(x + peak + 1) - math.lgamma(x + 1))
    total = 1.0
    term, j = 1.0, peak
    while True:  # after the peak: each term smaller than the last
        j += 1
        term *= y / (x + j)
        total += term
        if term < 1e-17 * total:
            break
    term, j = 1.0, peak
    while j > 0:  # before it, back to j = 0
        term *= (x + j) / y
        j -= 1
        total += term
        if term < 1e-17 * total:
            break
    return log_peak + math.log(total)


@functools.lru_cache(maxsize=4)
def _gauss_legendre(n: int) -> tuple[tuple[float, float], ...]:
    """Nodes and weights on [−1, 1] (Newton on the Legendre polynomial, once per process)."""
    out = []
    for i in range(1, n + 1):
        z = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p1, p2 = 1.0, 0.0
            for k in range(1, n + 1):
                p1, p2 = ((2 * k - 1) * z * p1 - (k - 1) * p2) / k, p1
            dp = n * (z * p1 - p2) / (z * z - 1)
            dz = p1 / dp
            z -= dz
            if abs(dz) < 1e-15:
                break
        out.append((z, 2 / ((1 - z * z) * dp * dp)))
    return tuple(out)


@functools.lru_cache(maxsize=65_536)  # a week's grid repeats its loads; the page, its export
def erlang_a_performance(
    agents: int,
    *,
    calls_per_second: float,
    aht_seconds: float,
    target_seconds: float,
    patience_seconds: float,
) -> Performance:
    """Erlang A's figures for `agents` (stable at any load: callers who wait too long leave)."""
    _check(agents, calls_per_second, aht_seconds, target_seconds)
    if not patience_seconds > 0:
        raise ValueError("patience must be positive")
    lam, mu, theta = calls_per_second, 1.0 / aht_seconds, 1.0 / patience_seconds
    n = agents
    x, y = n * mu / theta, lam / theta
    if lam == 0:
        return Performance(n, 0.0, 1.0, 0.0, 0.0)
    b = erlang_b(n, lam / mu)
    log_a = _log_a_series(x, y)
    if b <= 0.0:
        return Performance(n, 0.0, 1.0, 0.0, lam / (n * mu))
    # log π_N = log E − log((1 − E) + A·E), with A possibly far beyond a double.
    log_b = math.log(b)
    log_den = _logaddexp(math.log1p(-b) if b < 1 else -math.inf, log_a + log_b)
    log_pi_n = log_b - log_den
    p_wait = math.exp(log_pi_n + log_a)
    rho = y / x
    p_ab_given_wait = math.exp(-log_a) / rho + 1.0 - 1.0 / rho
    p_abandon = min(1.0, max(0.0, p_wait * p_ab_given_wait))

    def log_f(s: float) -> float:  # log F(s) = log(P(V > s) / π_N)
        shrink = math.exp(-theta * s)
        return _log_a_series(x, y * shrink) + y * (1.0 - shrink) - n * mu * s

    t = target_seconds
    # ∫₀ᵀ e^{−θs}F(s) ds by 8-point Gauss–Legendre on panels short enough for the integrand's
    # decay (about e^{−(Nμ + θ − λ)s}): a thousand agents decay within a fraction of a second.
    panels = max(1, math.ceil(abs(n * mu + theta - lam) * t / 3.0)) if t > 0 else 0
    width = t / panels if panels else 0.0
    integral = 0.0
    for k in range(panels):
        half = width / 2.0
        mid = k * width + half
        integral += half * math.fsum(
            w * math.exp(-theta * (mid + half * z) + log_f(mid + half * z) + log_pi_n)
            for z, w in _gauss_legendre(8)
        )
    served_delayed = p_wait - math.exp(-theta * t + log_f(t) + log_pi_n) - theta * integral
    sl = min(1.0, max(0.0, (1.0 - p_wait) + served_delayed))
    return Performance(
        n,
        p_wait,
        sl,
        p_abandon / theta,
        lam * (1.0 - p_abandon) / (n * mu),
        p_abandon,
    )


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    hi, lo = max(a, b), min(a, b)
    return hi + math.log1p(math.exp(lo - hi))


def _check(agents: int, calls_per_second: float, aht_seconds: float, target: float) -> None:
    if not 1 <= agents <= MAX_AGENTS:
        raise ValueError("agents out of range")
    if calls_per_second < 0 or not aht_seconds > 0 or target < 0:
        raise ValueError("rates and times must be positive")


@dataclass(frozen=True)
class Requirement:
    agents: int  # on the phones at once
    scheduled: int  # with shrinkage: ceil(agents / (1 − shrinkage))
    performance: Performance


def required_agents(
    *,
    calls_per_second: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    patience_seconds: float | None = None,
) -> Requirement:
    """The fewest agents meeting the service level (and the occupancy cap), Erlang C, or
    Erlang A when `patience_seconds` is given; `scheduled` adds shrinkage."""
    if not 0 < service_level < 1 or not 0 < max_occupancy <= 1 or not 0 <= shrinkage < 1:
        raise ValueError("targets out of range")
    traffic = calls_per_second * aht_seconds

    @functools.cache  # the search and the answer ask for the same head counts again
    def perf(agents: int) -> Performance:
        if patience_seconds is None:
            return erlang_c_performance(
                agents,
                calls_per_second=calls_per_second,
                aht_seconds=aht_seconds,
                target_seconds=target_seconds,
            )
        return erlang_a_performance(
            agents,
            calls_per_second=calls_per_second,
            aht_seconds=aht_seconds,
            target_seconds=target_seconds,
            patience_seconds=patience_seconds,
        )

    if traffic == 0:
        return Requirement(0, 0, Performance(0, 0.0, 1.0, 0.0, 0.0))
    cap = math.ceil(round(traffic / max_occupancy, 9))
    if patience_seconds is None:
        agents = _fewest(perf, max(math.floor(traffic) + 1, cap), service_level)
    else:
        # Callers who hang up shorten the queue: Erlang A's answer is at or below Erlang C's,
        # usually by one or two, so it is found by stepping down from there.
        c_perf = functools.cache(
            functools.partial(
                erlang_c_performance,
                calls_per_second=calls_per_second,
                aht_seconds=aht_seconds,
                target_seconds=target_seconds,
            )
        )
        agents = _fewest(c_perf, max(math.floor(traffic) + 1, cap), service_level)
        while agents > 1:
            fewer = perf(agents - 1)
            if fewer.service_level < service_level or fewer.occupancy > max_occupancy:
                break
            agents -= 1
        if perf(agents).service_level < service_level:  # pragma: no cover - defensive
            agents = _fewest(perf, agents, service_level)
    return Requirement(agents, math.ceil(round(agents / (1 - shrinkage), 9)), perf(agents))


def _fewest(perf: Callable[[int], Performance], low: int, service_level: float) -> int:
    """The fewest agents from `low` up whose service level meets the target: the service level
    grows with the head count, so double up to a bound, then bisect."""
    low = max(1, low)
    hi = low
    while perf(hi).service_level < service_level:
        if hi >= MAX_AGENTS:
            raise ValueError("no head count up to the maximum meets the target")
        low = hi + 1
        hi = min(MAX_AGENTS, hi * 2)
    while low < hi:
        mid = (low + hi) // 2
        if perf(mid).service_level >= service_level:
            hi = mid
        else:
            low = mid + 1
    return hi
