"""The rota solver on random instances: the hard rules always hold, and it is repeatable."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from visits import scheduling
from visits.scheduling import NIGHT, Person, Problem, Slot

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
                nights_ok=draw(st.booleans()),
                needs_night=draw(st.booleans()),
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


@settings(max_examples=400, deadline=None)
@given(problems())
def test_the_solver_never_breaks_a_hard_rule(problem):
    plan = scheduling.solve(problem)
    people = {p.id: p for p in problem.people}
    assert set(plan.pairs) | set(plan.unfilled) == {s.key for s in problem.slots}
    assert not set(plan.pairs) & set(plan.unfilled)
    found = scheduling.breaches(problem, plan.pairs, plan.bands)
    broken = {key: rules for key, rules in found.items() if key in plan.pairs}
    assert not broken, (broken, plan)
    slots = {s.key: s for s in problem.slots}
    for key, (a, b) in plan.pairs.items():
        slot = slots[key]
        assert a != b
        assert slot.suite not in people[a].conflicts | people[b].conflicts
        assert not (people[a].trainee and people[b].trainee)
        if plan.bands[key] == NIGHT:
            assert people[a].nights_ok and people[b].nights_ok
    weeks = [(pid, slots[k].week) for k, pair in plan.pairs.items() for pid in pair]
    assert len(weeks) == len(set(weeks)), "someone visits twice in a week"
    for reason in plan.unfilled.values():
        assert reason.startswith("No pair available")


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_same_problem_and_seed_give_the_same_plan(problem):
    assert scheduling.solve(problem) == scheduling.solve(problem)


@settings(max_examples=25, deadline=None)
@given(problems(max_people=6, max_suites=2, max_weeks=2))
def test_it_fills_as_many_slots_as_the_exact_optimum(problem):
    plan = scheduling.solve(problem)
    best = scheduling.exact_plan(problem, plan.bands)
    assert len(plan.pairs) == len(best.pairs)


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
    figures = scheduling.figures(problem, scheduling.solve(problem))
    assert figures.filled == figures.fillable == 52
    assert figures.largest_fair_deviation <= 1
    assert figures.repeated_pairs == 0
    assert figures.trainees_without_mentor == figures.conflicts == 0
    assert figures.band_spread <= 1
    assert figures.willing_without_night == 0


def test_an_unfillable_slot_says_which_rules_excluded_whom():
    week = MONDAY
    people = [
        Person(id=1, unavailable_weeks=frozenset({week})),
        Person(id=2, conflicts=frozenset({0})),
        Person(id=3),
    ]
    problem = Problem(people=people, slots=[Slot(key="s", suite=0, week=week, band="evening")])
    plan = scheduling.solve(problem)
    assert plan.unfilled["s"] == (
        "No pair available: 1 have a conflict with the suite; 1 cannot do that week; "
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
