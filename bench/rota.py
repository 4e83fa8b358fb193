"""Rota solver benchmark: one scheme's quarter, a national run and the gap to the exact optimum
on small problems, with the quality figures of each. Writes its section of bench/RESULTS.md.

    .venv/bin/python bench/rota.py

Budgets (issue 6): a scheme's quarter (30 visitors, 4 suites, 13 weeks) in at most 1 s; a
national run (43 schemes, 1,300 visitors, 180 suites) in at most 30 s; no trainee without a
mentor and no conflict, ever. The instances are random but seeded, so runs are comparable.
"""

import datetime
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import replace_section  # noqa: E402
from visits import scheduling  # noqa: E402
from visits.scheduling import Person, Problem, Slot  # noqa: E402

BUDGET_SCHEME_S = 1.0
BUDGET_NATIONAL_S = 30.0
MONDAY = datetime.date(2027, 1, 4)


def scheme_problem(rng: random.Random, visitors: int, suites: int, weeks: int = 13, seed=0):
    """A scheme like the real ones: some trainees, a few conflicts, holidays, most visitors
    one or two visits a month, about a third willing to do nights, last year's pairs."""
    mondays = [MONDAY + datetime.timedelta(weeks=i) for i in range(weeks)]
    people = []
    for i in range(visitors):
        nights = rng.random() < 0.35
        people.append(
            Person(
                id=i,
                trainee=rng.random() < 0.15,
                conflicts=frozenset(s for s in range(suites) if rng.random() < 0.04),
                unavailable_weeks=frozenset(w for w in mondays if rng.random() < 0.12),
                max_per_month=rng.choice([1, 2, 2, 2, 3]),
                nights_ok=nights,
                preferred_bands=frozenset(rng.sample(scheduling.BANDS[:3], 2)),
                needs_night=nights and rng.random() < 0.8,
            )
        )
    slots = [
        Slot(key=f"{w}/{s}", suite=s, week=week)
        for w, week in enumerate(mondays)
        for s in range(suites)
    ]
    past = Counter(frozenset(rng.sample(range(visitors), 2)) for _ in range(4 * suites * weeks))
    return Problem(people=people, slots=slots, past_pairs=dict(past), seed=seed)


def timed(problem):
    start = time.perf_counter()
    plan = scheduling.solve(problem)
    return time.perf_counter() - start, plan


def scheme_run() -> tuple[list[str], bool]:
    times, lines, ok = [], [], True
    for seed in range(5):
        problem = scheme_problem(random.Random(seed), 30, 4, seed=seed)
        seconds, plan = timed(problem)
        figures = scheduling.figures(problem, plan)
        times.append(seconds)
        ok &= figures.trainees_without_mentor == 0 and figures.conflicts == 0
        lines.append(f"- seed {seed}: {seconds * 1000:.0f} ms; {figures.line()}")
    worst = max(times)
    ok &= worst <= BUDGET_SCHEME_S
    head = (
        f"One scheme's quarter (30 visitors, 4 suites, 13 weeks), five seeded instances: "
        f"slowest {worst * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms "
        f"(budget {BUDGET_SCHEME_S:.0f} s)."
    )
    return [head, "", *lines], ok


def national_run() -> tuple[list[str], bool]:
    rng = random.Random(43)
    # 43 schemes sharing 1,300 visitors and 180 suites, sized like the real ones.
    suites = [4] * 8 + [5] * 20 + [3] * 15
    suites[0] += 180 - sum(suites)
    visitors = [round(1300 * s / 180) for s in suites]
    visitors[0] += 1300 - sum(visitors)
    totals = Counter()
    total_s, worst_dev = 0.0, 0.0
    for n, (v, s) in enumerate(zip(visitors, suites, strict=True)):
        problem = scheme_problem(rng, v, s, seed=n)
        seconds, plan = timed(problem)
        total_s += seconds
        f = scheduling.figures(problem, plan)
        totals.update(
            filled=f.filled,
            fillable=f.fillable,
            slots=f.slots,
            repeated=f.repeated_pairs,
            unmentored=f.trainees_without_mentor,
            conflicts=f.conflicts,
            no_night=f.willing_without_night,
        )
        worst_dev = max(worst_dev, f.largest_fair_deviation)
    ok = total_s <= BUDGET_NATIONAL_S and totals["unmentored"] == totals["conflicts"] == 0
    return [
        f"National run ({len(suites)} schemes, {sum(visitors):,} visitors, {sum(suites)} suites, "
        f"13 weeks): {total_s:.1f} s (budget {BUDGET_NATIONAL_S:.0f} s); filled "
        f"{totals['filled']:,}/{totals['fillable']:,} fillable (of {totals['slots']:,} slots), "
        f"largest deviation from fair load {worst_dev:.2f}, repeated pairs {totals['repeated']}, "
        f"trainees without a mentor {totals['unmentored']}, conflicts {totals['conflicts']}, "
        f"willing visitors without a night {totals['no_night']}."
    ], ok


def exact_gap() -> list[str]:
    """Small problems where every plan can be tried: the solver against the optimum."""
    rows = []
    for seed in range(8):
        rng = random.Random(100 + seed)
        problem = scheme_problem(rng, 6, 2, weeks=2, seed=seed)
        plan = scheduling.solve(problem)
        best = scheduling.exact_plan(problem, plan.bands)
        got, opt = scheduling.figures(problem, plan), scheduling.figures(problem, best)
        rows.append((got, opt))
    filled_gap = sum(o.filled - g.filled for g, o in rows)
    repeat_gap = sum(g.repeated_pairs - o.repeated_pairs for g, o in rows)
    dev_gap = max(g.largest_fair_deviation - o.largest_fair_deviation for g, o in rows)
    return [
        f"Against the exact optimum (8 small problems: 6 visitors, 2 suites, 2 weeks; exhaustive "
        f"search with the same time bands): slots filled gap {filled_gap}, repeated pairs gap "
        f"{repeat_gap}, largest fair-load deviation gap {max(dev_gap, 0):.2f}."
    ]


def main() -> int:
    scheme_lines, scheme_ok = scheme_run()
    national_lines, national_ok = national_run()
    gap_lines = exact_gap()
    lines = [
        "## Rota solver",
        "",
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC by `bench/rota.py`.",
        "",
        *scheme_lines,
        "",
        *national_lines,
        "",
        *gap_lines,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    replace_section(ROOT / "bench" / "RESULTS.md", "## Rota solver", text)
    return 0 if scheme_ok and national_ok else 1


if __name__ == "__main__":
    sys.exit(main())
