"""Rota solver benchmark (issue 19): the production solver against an exact reference on random
scheme quarters, one scheme's quarter against its time limit, and a national run in parallel
with its peak memory. Writes its section of bench/RESULTS.md.

    .venv/bin/python bench/rota.py                       # everything, about 10-15 minutes
    .venv/bin/python bench/rota.py --instances 4 --reference-seconds 10   # a quick look

The production solver is `rota_solver.solve` with the default time limit (deterministic
seconds, scheduling.DEFAULT_TIME_LIMIT_SECONDS). The reference is the same CP-SAT model given
a long limit (--reference-seconds, default 20): where it proves each aim optimal (column
"proved") its figures are the optimum; where it does not, they are the best known.

Budgets: slots filled equal to the reference on every instance, worst deviation within 0.1,
repeated pairs equal; a scheme's quarter within 10 s; the national run (43 schemes, 1,300
visitors, 180 suites, a process per CPU) within 60 s and 500 MB. The instances are random but
seeded, so runs are comparable; timings depend on the machine's load (the time limit does not:
it is CP-SAT's deterministic time, so the plans are the same on any load).
"""

import argparse
import datetime
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

# The solver needs no database, but words it gives (why a slot is unfilled) go through
# Django's translation functions: English, with no project settings.
if not settings.configured:
    settings.configure(USE_I18N=False)

from bench.run import replace_section  # noqa: E402
from visits import rota_solver, scheduling  # noqa: E402
from visits.scheduling import Person, Problem, Slot  # noqa: E402

BUDGET_SCHEME_S = 10.0
BUDGET_NATIONAL_S = 60.0
BUDGET_NATIONAL_MB = 500
DEVIATION_TOLERANCE = 0.1
MONDAY = datetime.date(2027, 1, 4)


def scheme_problem(rng: random.Random, visitors: int, suites: int, weeks=13, seed=0, trainees=0.15):
    """A scheme like the real ones: some trainees, a few conflicts, holidays, most visitors
    one or two visits a month (some with a maximum for the quarter), about a third willing to
    do nights (some had one this year), last year's pairs."""
    mondays = [MONDAY + datetime.timedelta(weeks=i) for i in range(weeks)]
    people = []
    for i in range(visitors):
        nights = rng.random() < 0.35
        people.append(
            Person(
                id=i,
                trainee=rng.random() < trainees,
                conflicts=frozenset(s for s in range(suites) if rng.random() < 0.04),
                unavailable_weeks=frozenset(w for w in mondays if rng.random() < 0.12),
                max_per_month=rng.choice([1, 2, 2, 2, 3]),
                max_per_quarter=rng.choice([None, None, None, 3, 4]),
                nights_ok=nights,
                preferred_bands=frozenset(rng.sample(scheduling.BANDS[:3], 2)),
                needs_night=nights and rng.random() < 0.8,
                nights_past_year=int(nights and rng.random() < 0.2),
            )
        )
    slots = [
        Slot(key=f"{w}/{s}", suite=s, week=week)
        for w, week in enumerate(mondays)
        for s in range(suites)
    ]
    past = Counter(frozenset(rng.sample(range(visitors), 2)) for _ in range(4 * suites * weeks))
    return Problem(people=people, slots=slots, past_pairs=dict(past), seed=seed)


def comparison_instance(n: int) -> tuple[Problem, str]:
    rng = random.Random(1000 + n)
    visitors, suites = rng.randint(30, 60), rng.randint(4, 8)
    trainees = rng.uniform(0.0, 0.5)
    problem = scheme_problem(rng, visitors, suites, seed=n, trainees=trainees)
    actual = sum(p.trainee for p in problem.people)
    return problem, f"{visitors} visitors ({actual} trainees), {suites} suites"


def compare(job: tuple[int, float]) -> dict:
    """One instance: the production solver, then the reference (in a worker process)."""
    n, reference_s = job
    problem, label = comparison_instance(n)
    greedy = scheduling.solve_greedy(problem)
    start = time.perf_counter()
    plan = rota_solver.solve(problem)
    seconds = time.perf_counter() - start
    reference = rota_solver.solve(problem, time_limit=reference_s)
    greedy.most_fillable = plan.most_fillable
    got, best, old = (rota_solver.figures(problem, p) for p in (plan, reference, greedy))
    return {
        "n": n,
        "label": label,
        "seconds": seconds,
        "method": plan.method,
        "got": got,
        "best": best,
        "greedy": old,
        "proved": reference.optimality_gap.get("proved", []),
    }


def comparison_run(instances: int, reference_s: float) -> tuple[list[str], bool]:
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        rows = list(pool.map(compare, [(n, reference_s) for n in range(instances)]))
    lines = [
        "| # | instance | greedy filled | filled | reference filled | deviation | reference "
        "deviation | repeats | reference repeats | time | method | reference proved |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for r in rows:
        got, best = r["got"], r["best"]
        fine = (
            got.filled >= best.filled
            and got.largest_fair_deviation <= best.largest_fair_deviation + DEVIATION_TOLERANCE
            and got.repeated_pairs <= best.repeated_pairs
            and got.hard_rule_breaches == 0
        )
        ok &= fine
        lines.append(
            f"| {r['n']} | {r['label']} | {r['greedy'].filled} | {got.filled} | {best.filled} "
            f"| {got.largest_fair_deviation:.2f} | {best.largest_fair_deviation:.2f} "
            f"| {got.repeated_pairs} | {best.repeated_pairs} | {r['seconds']:.1f} s "
            f"| {r['method']} | {', '.join(r['proved']) or 'none'} |" + ("" if fine else " ✗")
        )
    equal_filled = sum(r["got"].filled == r["best"].filled for r in rows)
    within = sum(
        r["got"].largest_fair_deviation <= r["best"].largest_fair_deviation + DEVIATION_TOLERANCE
        for r in rows
    )
    equal_repeats = sum(r["got"].repeated_pairs <= r["best"].repeated_pairs for r in rows)
    greedy_short = sum(r["greedy"].filled < r["got"].filled for r in rows)
    head = (
        f"Production solver (time limit {scheduling.DEFAULT_TIME_LIMIT_SECONDS:g} s) against the "
        f"reference (the same model, {reference_s:g} s) on {len(rows)} random quarters of 30-60 "
        f"visitors, 4-8 suites, 13 weeks, up to half trainees, with conflicts, unavailable weeks, "
        f"quarter maximums and past pairings: slots filled equal on {equal_filled}/{len(rows)}, "
        f"worst deviation within {DEVIATION_TOLERANCE} on {within}/{len(rows)}, repeated pairs "
        f"no more on {equal_repeats}/{len(rows)}; the greedy method alone filled fewer on "
        f"{greedy_short}. Times are wall-clock on a shared 2-core machine."
    )
    return [head, "", *lines], ok


def scheme_run() -> tuple[list[str], bool]:
    times, lines, ok = [], [], True
    for seed in range(5):
        problem = scheme_problem(random.Random(seed), 30, 4, seed=seed)
        start = time.perf_counter()
        plan = rota_solver.solve(problem)
        seconds = time.perf_counter() - start
        figures = rota_solver.figures(problem, plan)
        times.append(seconds)
        ok &= figures.hard_rule_breaches == 0
        lines.append(f"- seed {seed}: {seconds:.1f} s, {plan.method}; {figures.line()}")
    worst = max(times)
    ok &= worst <= BUDGET_SCHEME_S
    head = (
        f"One scheme's quarter (30 visitors, 4 suites, 13 weeks), five seeded instances: "
        f"slowest {worst:.1f} s, median {statistics.median(times):.1f} s "
        f"(budget {BUDGET_SCHEME_S:.0f} s)."
    )
    return [head, "", *lines], ok


def national_scheme(job: tuple[int, int, int, int]) -> dict:
    n, visitors, suites, seed = job
    problem = scheme_problem(random.Random(seed), visitors, suites, seed=n)
    plan = rota_solver.solve(problem)
    f = rota_solver.figures(problem, plan)
    return {
        "filled": f.filled,
        "most": f.most_fillable,
        "slots": f.slots,
        "deviation": f.largest_fair_deviation,
        "repeated": f.repeated_pairs,
        "breaches": f.hard_rule_breaches,
        "no_night": f.willing_without_night,
        "method": plan.method,
        "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def national_run() -> tuple[list[str], bool]:
    # 43 schemes sharing 1,300 visitors and 180 suites, sized like the real ones; each solved on
    # its own (schemes share nobody), a process per CPU.
    suites = [4] * 8 + [5] * 20 + [3] * 15
    suites[0] += 180 - sum(suites)
    visitors = [round(1300 * s / 180) for s in suites]
    visitors[0] += 1300 - sum(visitors)
    jobs = [(n, v, s, 4300 + n) for n, (v, s) in enumerate(zip(visitors, suites, strict=True))]
    workers = min(2, os.cpu_count() or 1)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(national_scheme, jobs))
    seconds = time.perf_counter() - start
    cpu_s = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = cpu_s.ru_utime + cpu_s.ru_stime  # the workers' CPU time: what an idle machine needs
    own_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = max(r["rss_kb"] for r in rows) / 1024
    peak_mb = own_mb + workers * worker_mb  # every process at its own peak at once: a ceiling
    total = Counter()
    for r in rows:
        total.update({k: r[k] for k in ("filled", "most", "slots", "repeated", "breaches")})
        total.update(no_night=r["no_night"])
    methods = Counter(r["method"] for r in rows)
    worst_dev = max(r["deviation"] for r in rows)
    ok = seconds <= BUDGET_NATIONAL_S and peak_mb <= BUDGET_NATIONAL_MB and not total["breaches"]
    return [
        f"National run ({len(suites)} schemes, {sum(visitors):,} visitors, {sum(suites)} suites, "
        f"13 weeks, {workers} processes): {seconds:.1f} s (budget {BUDGET_NATIONAL_S:.0f} s; "
        f"{cpu_s:.0f} CPU seconds, so {cpu_s / workers:.0f} s on {workers} idle cores); "
        f"peak memory at most {peak_mb:.0f} MB (this process {own_mb:.0f} MB + {workers} × "
        f"{worker_mb:.0f} MB, budget {BUDGET_NATIONAL_MB} MB); filled {total['filled']:,} of "
        f"{total['most']:,} fillable together ({total['slots']:,} slots), largest deviation from "
        f"a fair share {worst_dev:.2f}, repeated pairs {total['repeated']}, hard-rule breaches "
        f"{total['breaches']}, willing visitors without a night {total['no_night']}; methods: "
        + ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))
        + "."
    ], ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--reference-seconds", type=float, default=20.0)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    started = time.perf_counter()
    national_lines, national_ok = national_run()
    scheme_lines, scheme_ok = scheme_run()
    compare_lines, compare_ok = comparison_run(args.instances, args.reference_seconds)
    lines = [
        "## Rota solver",
        "",
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC by `bench/rota.py "
        f"--instances {args.instances} --reference-seconds {args.reference_seconds:g}` "
        f"({time.perf_counter() - started:.0f} s in all).",
        "",
        *national_lines,
        "",
        *scheme_lines,
        "",
        *compare_lines,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        replace_section(ROOT / "bench" / "RESULTS.md", "## Rota solver", text)
    return 0 if scheme_ok and national_ok and compare_ok else 1


if __name__ == "__main__":
    sys.exit(main())
