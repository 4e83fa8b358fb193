"""The rota solvers on random instances: the hard rules always hold, and they are repeatable.
The greedy method and the exact CP-SAT one (visits.rota_solver) are both checked; the exact
one on smaller examples with a short time limit, so this file stays well under a minute."""

import datetime
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from visits import rota_solver, scheduling
from visits.scheduling import NIGHT, Person, Problem, Slot

QUICK = 0.2  # deterministic seconds: plenty for these small examples

MONDAY = datetime.date(2027, 1, 4)


@st.composite
def problems(draw, max_people=14, max_suites=4, max_weeks=8):
    weeks = [MONDAY + datetime.timedelta(weeks=i) for i in range(draw(st.integers(1, max_weeks)))]
    suites = list(range(draw(st.integers(1, max_suites))))
    people = []
    for pid in range(draw(st.integers(0, max_people))):
        people.append(
            Person(
                id=pid,
                trainee=draw(st.booleans()),
                conflicts=frozenset(draw(st.sets(st.sampled_from(suites), max_size=2))),
                unavailable_weeks=frozenset(draw(st.sets(st.sampled_from(weeks), max_size=4))),
                max_per_month=draw(st.integers(0, 4)),
                max_per_quarter=draw(st.none() | st.integers(0, 6)),
                nights_ok=draw(st.booleans()),
                needs_night=draw(st.booleans()),
                nights_promised=draw(st.integers(0, 2)),
                nights_past_year=draw(st.integers(0, 1)),
            )
        )
    slots = [
        Slot(key=(suite, i, n), suite=suite, week=week)
        for suite in suites
        for i, week in enumerate(weeks)
        for n in range(draw(st.integers(1, 2)))
    ]
    pairs = draw(st.lists(st.tuples(st.integers(0, max_people), st.integers(0, max_people))))
    past = {frozenset(p): 1 for p in pairs if p[0] != p[1]}
    return Problem(people=people, slots=slots, past_pairs=past, seed=draw(st.integers(0, 9)))


def assert_keeps_every_hard_rule(problem, plan):
    people = {p.id: p for p in problem.people}
    assert set(plan.pairs) | set(plan.unfilled) == {s.key for s in problem.slots}
    assert not set(plan.pairs) & set(plan.unfilled)
    found = scheduling.breaches(problem, plan.pairs, plan.bands)
    broken = {key: rules for key, rules in found.items() if key in plan.pairs}
    assert not broken, (broken, plan)
    slots = {s.key: s for s in problem.slots}
    nights = Counter()
    for key, (a, b) in plan.pairs.items():
        slot = slots[key]
        assert a != b
        assert slot.suite not in people[a].conflicts | people[b].conflicts
        assert not (people[a].trainee and people[b].trainee)
        assert slot.week not in people[a].unavailable_weeks | people[b].unavailable_weeks
        if plan.bands[key] == NIGHT:
            assert people[a].nights_ok and people[b].nights_ok
            nights.update((a, b))
    weeks = [(pid, slots[k].week) for k, pair in plan.pairs.items() for pid in pair]
    assert len(weeks) == len(set(weeks)), "someone visits twice in a week"
    load = Counter(pid for pid, _week in weeks)
    months = Counter((pid, scheduling.month_of(week)) for pid, week in weeks)
    for (pid, _month), n in months.items():
        assert n <= people[pid].max_per_month
    for pid, n in load.items():
        if people[pid].max_per_quarter is not None:
            assert n <= people[pid].max_per_quarter
    for pid, n in nights.items():
        assert n <= people[pid].nights_left, "more nights than promised"
    figures = rota_solver.figures(problem, dataclasses_replace(plan, most_fillable=0))
    assert figures.hard_rule_breaches == 0
    for reason in plan.unfilled.values():
        assert reason.startswith("No pair available")


def dataclasses_replace(plan, **changes):
    import dataclasses

    return dataclasses.replace(plan, **changes)


@settings(max_examples=400, deadline=None)
@given(problems())
def test_the_greedy_solver_never_breaks_a_hard_rule(problem):
    assert_keeps_every_hard_rule(problem, scheduling.solve_greedy(problem))


@settings(max_examples=60, deadline=None)
@given(problems(max_people=10, max_suites=3, max_weeks=5))
def test_the_exact_solver_never_breaks_a_hard_rule_and_fills_at_least_as_many(problem):
    plan = rota_solver.solve(problem, time_limit=QUICK)
    assert_keeps_every_hard_rule(problem, plan)
    assert len(plan.pairs) >= len(scheduling.solve_greedy(problem).pairs)
    assert plan.method in (rota_solver.OPTIMAL, rota_solver.FEASIBLE, rota_solver.GREEDY_FALLBACK)
    if "filled" in plan.optimality_gap.get("proved", ()):
        assert plan.most_fillable == len(plan.pairs)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_same_problem_and_seed_give_the_same_greedy_plan(problem):
    assert scheduling.solve_greedy(problem) == scheduling.solve_greedy(problem)


@settings(max_examples=15, deadline=None)
@given(problems(max_people=10, max_suites=3, max_weeks=5))
def test_the_same_problem_seed_and_limit_give_the_same_exact_plan(problem):
    assert rota_solver.solve(problem, QUICK) == rota_solver.solve(problem, QUICK)


@settings(max_examples=25, deadline=None)
@given(problems(max_people=6, max_suites=2, max_weeks=2))
def test_it_fills_as_many_slots_as_the_exhaustive_optimum(problem):
    plan = rota_solver.solve(problem, time_limit=QUICK)
    # Exhaustive search with the plan's bands; CP-SAT also chooses the nights, so it may do
    # better, never worse.
    best = scheduling.exact_plan(problem, plan.bands)
    assert len(plan.pairs) >= len(best.pairs)
    assert plan.most_fillable == len(plan.pairs)


def realistic(seed=3):
    """A scheme like Norfolk: 30 visitors, 4 suites weekly for 13 weeks."""
    import random

    rng = random.Random(seed)
    weeks = [MONDAY + datetime.timedelta(weeks=i) for i in range(13)]
    people = [
        Person(
            id=i,
            trainee=i % 7 == 0,
            conflicts=frozenset({i % 4}) if i % 9 == 0 else frozenset(),
            unavailable_weeks=frozenset(w for w in weeks if rng.random() < 0.15),
            max_per_month=rng.choice([1, 2, 2, 3]),
            nights_ok=i % 3 == 0,
            needs_night=i % 3 == 0,
        )
        for i in range(30)
    ]
    slots = [Slot(key=(s, w), suite=s, week=week) for s in range(4) for w, week in enumerate(weeks)]
    past = {frozenset((i, i + 1)): 1 for i in range(0, 30, 2)}
    return Problem(people=people, slots=slots, past_pairs=past, seed=seed)


def test_a_realistic_quarter_is_full_fair_and_rotates_pairs():
    problem = realistic()
    plan = rota_solver.solve(problem, time_limit=1.0)
    figures = rota_solver.figures(problem, plan)
    assert figures.filled == figures.most_fillable == figures.fillable == 52
    assert {"filled", "deviation", "repeats"} <= set(plan.optimality_gap["proved"])
    assert round(figures.largest_fair_deviation, 2) == plan.optimality_gap["deviation"] < 1
    assert figures.repeated_pairs == 0
    assert figures.trainees_without_mentor == figures.conflicts == 0
    # Day bands cycle per suite; a slot that becomes a night takes one day band's turn.
    assert figures.band_spread <= 2
    assert figures.hard_rule_breaches == 0
    greedy = rota_solver.figures(problem, scheduling.solve_greedy(problem))
    # Fairness comes before nights: a fairer plan may leave a willing visitor's night for later.
    assert figures.largest_fair_deviation < greedy.largest_fair_deviation
    assert figures.over_night_promise == 0


def test_an_unfillable_slot_says_which_rules_excluded_whom():
    week = MONDAY
    people = [
        Person(id=1, unavailable_weeks=frozenset({week})),
        Person(id=2, conflicts=frozenset({0})),
        Person(id=3),
    ]
    problem = Problem(people=people, slots=[Slot(key="s", suite=0, week=week, band="evening")])
    plan = rota_solver.solve(problem, time_limit=QUICK)
    assert plan.unfilled["s"] == (
        "No pair available: 1 has a conflict with the suite; 1 cannot do that week; "
        "only one visitor is free."
    )


def test_breaches_name_each_rule_for_a_hand_made_pair():
    week = MONDAY
    people = [
        Person(id=1, trainee=True),
        Person(id=2, trainee=True, conflicts=frozenset({0})),
        Person(id=3, nights_ok=False, max_per_month=1),
    ]
    slots = [
        Slot(key="a", suite=0, week=week, band="night"),
        Slot(key="b", suite=1, week=week + datetime.timedelta(weeks=1), band="evening"),
    ]
    found = scheduling.breaches(Problem(people, slots), {"a": (1, 2), "b": (3, 3)})
    rules = {k: sorted((b.rule, b.person) for b in v) for k, v in found.items()}
    assert rules["a"] == [
        ("conflict", 2),
        ("no_nights", 1),
        ("no_nights", 2),
        ("trainee_unmentored", 1),
        ("trainee_unmentored", 2),
    ]
    assert ("not_a_pair", None) in rules["b"]
    names = {1: "Chloe Gotts", 2: "Grace Bunn", 3: "Ben Catchpole"}
    messages = [b.message(names) for b in found["a"]]
    assert "Grace Bunn has a conflict of interest with this suite." in messages
    assert "Chloe Gotts is a trainee and needs an experienced partner." in messages


def fifteen_trainees(seed=0):
    """The issue's tight quarter: 30 visitors, half of them trainees, 5 suites, 13 weeks."""
    rng = random.Random(seed)
    weeks = [MONDAY + datetime.timedelta(weeks=i) for i in range(13)]
    people = [
        Person(
            id=i,
            trainee=i < 15,
            unavailable_weeks=frozenset(w for w in weeks if rng.random() < 0.2),
            max_per_month=rng.choice([1, 2, 2]),
            conflicts=frozenset({i % 5}) if i % 6 == 0 else frozenset(),
        )
        for i in range(30)
    ]
    slots = [Slot(key=(s, w), suite=s, week=week) for s in range(5) for w, week in enumerate(weeks)]
    return Problem(people=people, slots=slots, seed=seed)


def test_with_many_trainees_the_exact_solver_fills_what_greedy_cannot():
    problem = fifteen_trainees()
    greedy = scheduling.solve_greedy(problem)
    plan = rota_solver.solve(problem, time_limit=2.0)
    assert len(greedy.pairs) == 63
    assert len(plan.pairs) == plan.most_fillable == 65  # proved: no plan fills more
    assert "filled" in plan.optimality_gap["proved"]
    figures = rota_solver.figures(problem, plan)
    assert figures.hard_rule_breaches == 0
    # The old slot-by-slot count claimed all 65 were fillable for greedy's plan too; the honest
    # figure for greedy's plan is the same 65, so the two-slot gap shows.
    assert rota_solver.figures(problem, greedy).most_fillable == 65


def test_a_quarter_maximum_caps_a_visitor_below_what_the_months_allow():
    weeks = [MONDAY + datetime.timedelta(weeks=i) for i in range(13)]
    people = [
        Person(id=i, max_per_month=4, max_per_quarter=3 if i == 0 else None) for i in range(4)
    ]
    problem = Problem(people, [Slot(key=w, suite=0, week=week) for w, week in enumerate(weeks)])
    for plan in (scheduling.solve_greedy(problem), rota_solver.solve(problem, QUICK)):
        load = Counter(pid for pair in plan.pairs.values() for pid in pair)
        assert load[0] == 3
        assert len(plan.pairs) == 13
    assert scheduling.capacity(people[0], weeks) == 3
    # A hand change that gives them a fourth shows in the figures.
    plan = rota_solver.solve(problem, QUICK)
    free = next(k for k, pair in plan.pairs.items() if 0 not in pair)
    plan.pairs[free] = (0, next(p for p in plan.pairs[free]))
    assert rota_solver.figures(problem, plan).over_quarter_maximum == 1


def test_the_willing_get_their_night_and_no_more_than_promised():
    weeks = [MONDAY + datetime.timedelta(weeks=i) for i in range(8)]
    people = [
        Person(id=1, nights_ok=True, needs_night=True),
        Person(id=2, nights_ok=True, needs_night=True),
        Person(id=3, nights_ok=True, nights_past_year=1),  # had theirs this year
        Person(id=4, nights_ok=True, nights_promised=2, needs_night=True),  # asked for more
        Person(id=5),
        Person(id=6),
    ]
    slots = [Slot(key=(s, w), suite=s, week=week) for s in range(2) for w, week in enumerate(weeks)]
    problem = Problem(people, slots, seed=4)
    for plan in (scheduling.solve_greedy(problem), rota_solver.solve(problem, 1.0)):
        nights = Counter(
            pid for key, pair in plan.pairs.items() if plan.bands[key] == NIGHT for pid in pair
        )
        assert nights[3] == 0
        assert nights[1] <= 1 and nights[2] <= 1 and nights[4] <= 2
        assert rota_solver.figures(problem, plan).over_night_promise == 0
    plan = rota_solver.solve(problem, 1.0)
    assert rota_solver.figures(problem, plan).willing_without_night == 0
    # Two nights by hand for someone who promised one: the figures say so.
    night_keys = [k for k in sorted(plan.pairs, key=str) if plan.bands[k] != NIGHT][:2]
    weeks_used = {k[1] for k in night_keys}
    assert len(weeks_used) == 2
    for key in night_keys:
        plan.bands[key] = NIGHT
        plan.pairs[key] = (1, 4)
    assert rota_solver.figures(problem, plan).over_night_promise >= 1


def test_no_time_gives_the_greedy_plan_and_says_so():
    problem = fifteen_trainees()
    plan = rota_solver.solve(problem, time_limit=0)
    assert plan.method == rota_solver.GREEDY_FALLBACK
    assert plan.pairs == scheduling.solve_greedy(problem).pairs


def test_a_hand_change_that_breaks_a_rule_shows_in_its_own_figure():
    weeks = [MONDAY, MONDAY + datetime.timedelta(weeks=1)]
    people = [
        Person(id=1),
        Person(id=2, unavailable_weeks=frozenset({weeks[1]})),
        Person(id=3),
        Person(id=4),
    ]
    slots = [
        Slot(key=k, suite=s, week=weeks[w]) for k, (s, w) in enumerate([(0, 0), (1, 0), (0, 1)])
    ]
    problem = Problem(people, slots)
    plan = scheduling.Plan(
        pairs={0: (1, 2), 1: (1, 3), 2: (2, 4)},
        bands=dict.fromkeys(range(3), "evening"),
        unfilled={},
    )
    figures = rota_solver.figures(problem, plan)
    assert figures.twice_in_a_week == 1
    assert figures.unavailable_week == 1
    assert figures.over_monthly_maximum == 0
    assert figures.hard_rule_breaches == 2
    assert figures.most_fillable == 3


def test_the_fair_share_worked_example_in_docs_rota():
    weeks = [MONDAY + datetime.timedelta(weeks=i) for i in range(13)]
    ann = Person(id=1, max_per_month=5)
    ben = Person(id=2, max_per_month=5, max_per_quarter=2)
    cath = Person(id=3, max_per_month=5, unavailable_weeks=frozenset(weeks[6:]))
    dev = Person(id=4, max_per_month=5)
    shares = scheduling.fair_shares([ann, ben, cath, dev], weeks, seats=12)
    assert {pid: round(share, 4) for pid, share in shares.items()} == {
        1: 4.0625,
        2: 2.0,
        3: 1.875,
        4: 4.0625,
    }
