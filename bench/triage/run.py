"""Triage assistant benchmark (issue 23): quality on the held-out set, suggestion latency and
retraining time on 100,000 synthetic tickets.

    .venv/bin/python bench/triage/run.py                 # the figures of bench/RESULTS.md
    .venv/bin/python bench/triage/run.py --tickets 20000 # a quicker run

Targets: macro-F1 ≥ 0.80 on the held-out set (written from the seed's level definitions, never
trained on), the seed's four examples right, a suggestion under 20 ms at p95, retraining on
100,000 tickets under 60 s. Prints one JSON line per figure and the load average beside each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from soporte.triage import engine  # noqa: E402

OPENINGS = [
    "",
    "",
    "Hola, ",
    "Buenos días, ",
    "Buenas tardes. ",
    "Urgente: ",
    "Por favor ayuda, ",
    "Disculpen, ",
    "Qué tal, ",
    "Buen día, ",
]
CLOSINGS = [
    "",
    "",
    " gracias",
    " desde ayer",
    " desde esta mañana",
    " en la sucursal centro",
    " en contabilidad",
    ". Saludos",
    " otra vez",
    " y no sé qué hacer",
    " lo antes posible",
]
SWAPS = {
    "computadora": ["compu", "ordenador", "pc", "equipo", "laptop", "máquina"],
    "ordenador": ["computadora", "pc", "equipo"],
    "no prende": ["no enciende", "no arranca"],
    "se traba": ["se cuelga", "se tilda", "se congela"],
    "está": ["esta", "anda", "va"],
    "información": ["informacion", "datos", "archivos"],
}


def typo(text: str, rng: random.Random) -> str:
    """One slip of the finger: a dropped, doubled or swapped letter."""
    if len(text) < 6:
        return text
    i = rng.randrange(1, len(text) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def synthetic(n: int, seed: int = 7) -> list[engine.Example]:
    """`n` desk tickets made from the product's training descriptions: greetings, context,
    regional synonyms and typos added at random (the held-out set is never used)."""
    rng = random.Random(seed)
    base = engine.starting_set()
    out = []
    for _ in range(n):
        ex = rng.choice(base)
        text = ex.text
        for word, options in SWAPS.items():
            if word in text and rng.random() < 0.5:
                text = text.replace(word, rng.choice(options))
        if rng.random() < 0.3:
            text = typo(text, rng)
        text = rng.choice(OPENINGS) + text + rng.choice(CLOSINGS)
        out.append(engine.Example(text, ex.level, ex.area, ex.priority))
    return out


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def emit(**figures: object) -> None:
    print(json.dumps({**figures, "load": load()}, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--predictions", type=int, default=2000)
    args = parser.parse_args()

    started = time.perf_counter()
    model = engine.train(engine.starting_set())
    emit(step="starting model", seconds=round(time.perf_counter() - started, 2))

    heldout = engine.heldout_set()
    scores = engine.score(model, heldout)
    seeds = [(text, level, model.predict(text).level) for text, level in engine.SEED_EXAMPLES]
    emit(
        step="held-out set",
        count=scores.count,
        macro_f1=round(scores.macro_f1, 3),
        accuracy=round(scores.accuracy, 3),
        target_macro_f1=0.80,
        seeds_right=all(want == got for _t, want, got in seeds),
        confusion=scores.confusion,
    )

    texts = [e.text for e in heldout]
    for text in texts[:20]:  # warm caches (stems) as a running server would have
        model.predict(text)
    times = []
    for i in range(args.predictions):
        t0 = time.perf_counter()
        model.predict(texts[i % len(texts)])
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    emit(
        step="suggestion",
        count=len(times),
        p50_ms=round(statistics.median(times), 2),
        p95_ms=round(times[int(len(times) * 0.95)], 2),
        p99_ms=round(times[int(len(times) * 0.99)], 2),
        target_p95_ms=20,
    )

    desk = synthetic(args.tickets)
    started = time.perf_counter()
    retrained = engine.train(engine.starting_set() + desk)
    seconds = time.perf_counter() - started
    after = engine.score(retrained, heldout)
    emit(
        step="retraining",
        tickets=len(desk),
        seconds=round(seconds, 1),
        target_seconds=60,
        heldout_macro_f1_after=round(after.macro_f1, 3),
    )


if __name__ == "__main__":
    main()
