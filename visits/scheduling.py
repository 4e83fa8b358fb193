"""The rota solver: plain data in, a plan out. No ORM in here, so it can be tested on random
instances, benchmarked at national scale and compared with the exact optimum.

Hard rules (never broken by the solver, reported by `breaches` when a person breaks them by
hand): two distinct eligible visitors a slot; nobody twice in a week; nobody at a suite they
have a conflict with; a trainee only beside an experienced visitor; nobody over their monthly
maximum; nobody on a night they cannot do; nobody in a week they cannot do.

Aims, in order: fill every slot that can be filled; keep each visitor within one visit of their
fair share (`fair_shares`); rotate pairs (a pair that met before, in this period or the past
year, is avoided while another is possible); spread each suite's time bands evenly and give
each willing visitor a night visit a year. Ties are broken by a seeded random generator, so the
same problem and seed always give the same plan.

The method is greedy, week by week and hardest slot first, choosing the pair with the best
score, then a repair pass that moves visits from the most over-loaded to the most under-loaded
visitor while every hard rule still holds. `exact_plan` searches every plan of a small
problem, for the benchmark's optimality gap.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_noop, ngettext

WEEKDAY_DAY = "weekday_day"
EVENING = "evening"
WEEKEND = "weekend"
NIGHT = "night"
BANDS = (WEEKDAY_DAY, EVENING, WEEKEND, NIGHT)
DAY_BANDS = (WEEKDAY_DAY, EVENING, WEEKEND)

# Score weights. A repeated pair costs more than a visit of imbalance, so pairs rotate unless
# that would leave someone a whole visit behind.
REPEAT_PENALTY = 1.5
NIGHT_WANTED_BONUS = 2.0
PREFERRED_BAND_BONUS = 0.3


@dataclass(frozen=True)
class Person:
    id: int
    trainee: bool = False
    conflicts: frozenset[int] = frozenset()  # suite ids
    unavailable_weeks: frozenset[datetime.date] = frozenset()  # Mondays
    max_per_month: int = 2
    nights_ok: bool = False
    preferred_bands: frozenset[str] = frozenset()
    needs_night: bool = False  # willing, and no night visit in the past year
    max_per_quarter: int | None = None  # None: only the monthly maximum limits them
    nights_promised: int = 1  # nights a year a willing visitor agreed to (the form's promise)
    nights_past_year: int = 0  # nights already done in the year before the period

    @property
    def nights_left(self) -> int:
        """Night visits this period may still give them without breaking the promise."""
        if not self.nights_ok:
            return 0
        return max(0, self.nights_promised - self.nights_past_year)


@dataclass(frozen=True)
class Slot:
    key: Hashable
    suite: int
    week: datetime.date  # a Monday
    band: str | None = None  # None: the solver chooses


@dataclass
class Problem:
    people: list[Person]
    slots: list[Slot]
    past_pairs: Mapping[frozenset[int], int] = field(default_factory=dict)
    seed: int = 0


@dataclass
class Plan:
    pairs: dict[Hashable, tuple[int, ...]]
    bands: dict[Hashable, str]
    unfilled: dict[Hashable, str]  # slot key -> why nobody could be found
    # "optimal", "feasible within time limit" or "greedy fallback" (or "greedy": asked for).
    method: str = "greedy"
    # From the solver's bounds: {"filled_bound": most slots any plan fills, "deviation_bound":
    # the least worst deviation possible, "proved": which aims were proved optimal}.
    optimality_gap: dict = field(default_factory=dict)
    most_fillable: int | None = None  # the most slots fillable together, when known


@dataclass(frozen=True)
class Breach:
    rule: str  # a code: unavailable, conflict, twice_in_week, trainee_unmentored, ...
    person: int | None = None

    def message(self, names: Mapping[int, str]) -> str:
        who = names.get(self.person, gettext("Someone")) if self.person is not None else ""
        messages = {
            "not_a_pair": gettext_noop("A visit needs two different visitors."),
            "not_eligible": gettext_noop("%(who)s is not an active visitor in this scheme."),
            "unavailable": gettext_noop("%(who)s said they cannot do that week."),
            "conflict": gettext_noop("%(who)s has a conflict of interest with this suite."),
            "twice_in_week": gettext_noop("%(who)s already has a visit that week."),
            "trainee_unmentored": gettext_noop(
                "%(who)s is a trainee and needs an experienced partner."
            ),
            "over_maximum": gettext_noop("%(who)s would be over their monthly maximum."),
            "over_quarter_maximum": gettext_noop(
                "%(who)s would be over their maximum for the period."
            ),
            "no_nights": gettext_noop("%(who)s does not do night visits."),
            "over_night_promise": gettext_noop(
                "%(who)s has had the night visits they agreed to this year."
            ),
        }
        message = gettext(messages[self.rule])
        return message % {"who": who} if "%(who)s" in message else message


def month_of(week: datetime.date) -> tuple[int, int]:
    """A slot counts towards the month its week starts in."""
    return (week.year, week.month)


def capacity(person: Person, weeks: Iterable[datetime.date]) -> int:
    """The most visits a person can make in these weeks: one a week, at most their monthly
    maximum in each month and their maximum for the period."""
    per_month = Counter(month_of(w) for w in set(weeks) if w not in person.unavailable_weeks)
    most = sum(min(n, person.max_per_month) for n in per_month.values())
    if person.max_per_quarter is not None:
        most = min(most, person.max_per_quarter)
    return most


def available_weeks(person: Person, weeks: Iterable[datetime.date]) -> int:
    return sum(1 for w in set(weeks) if w not in person.unavailable_weeks)


def fair_shares(people: list[Person], weeks: Iterable[datetime.date], seats: int) -> dict:
    """Share the seats (two a filled slot) in proportion to the weeks each person is
    available, but nobody beyond their capacity: share = min(capacity, L * weeks available)
    at the level L where the shares add up to the seats (docs/rota.md has a worked example)."""
    weeks = list(weeks)
    caps = {p.id: capacity(p, weeks) for p in people}
    free = {p.id: available_weeks(p, weeks) if caps[p.id] else 0 for p in people}
    if sum(caps.values()) <= seats:
        return {pid: float(c) for pid, c in caps.items()}
    low, high = 0.0, float(max((caps[p] / free[p] for p in caps if free[p]), default=0))
    for _ in range(60):
        level = (low + high) / 2
        if sum(min(caps[p], level * free[p]) for p in caps) < seats:
            low = level
        else:
            high = level
    return {pid: min(float(caps[pid]), high * free[pid]) for pid in caps}


class _State:
    """What the plan so far commits each person to."""

    def __init__(self, problem: Problem):
        self.people = {p.id: p for p in problem.people}
        # Counters, not sets: a swap between two slots of one week adds before it removes.
        self.weeks: dict[int, Counter] = defaultdict(Counter)
        self.months: dict[int, Counter] = defaultdict(Counter)
        self.load: Counter = Counter()
        self.nights: Counter = Counter()
        self.pairs: Counter = Counter(problem.past_pairs)

    def add(self, pid: int, slot: Slot, band: str) -> None:
        self.weeks[pid][slot.week] += 1
        self.months[pid][month_of(slot.week)] += 1
        self.load[pid] += 1
        self.nights[pid] += band == NIGHT

    def remove(self, pid: int, slot: Slot, band: str) -> None:
        self.weeks[pid][slot.week] -= 1
        self.months[pid][month_of(slot.week)] -= 1
        self.load[pid] -= 1
        self.nights[pid] -= band == NIGHT

    def person_breach(self, pid: int, slot: Slot, band: str) -> str | None:
        """The first reason this person cannot join this slot now, or None."""
        return next(iter(self.person_breaches(pid, slot, band)), None)

    def person_breaches(self, pid: int, slot: Slot, band: str) -> list[str]:
        """Every reason this person cannot join this slot now."""
        person = self.people.get(pid)
        if person is None:
            return ["not_eligible"]
        checks = [
            ("unavailable", slot.week in person.unavailable_weeks),
            ("conflict", slot.suite in person.conflicts),
            ("twice_in_week", self.weeks[pid][slot.week] > 0),
            ("over_maximum", self.months[pid][month_of(slot.week)] >= person.max_per_month),
            (
                "over_quarter_maximum",
                person.max_per_quarter is not None and self.load[pid] >= person.max_per_quarter,
            ),
            ("no_nights", band == NIGHT and not person.nights_ok),
            (
                "over_night_promise",
                band == NIGHT and person.nights_ok and self.nights[pid] >= person.nights_left,
            ),
        ]
        return [rule for rule, broken in checks if broken]


def breaches(problem: Problem, pairs: Mapping[Hashable, Iterable[int]], bands=None) -> dict:
    """Every hard rule the given assignment breaks, slot by slot: {slot key: [Breach]}.
    A rule broken between two slots (twice in a week) is charged to the later one."""
    bands = bands or {}
    state = _State(problem)
    found: dict[Hashable, list[Breach]] = {}
    for slot in sorted(problem.slots, key=lambda s: (s.week, str(s.key))):
        band = bands.get(slot.key) or slot.band
        people = list(pairs.get(slot.key, ()))
        broken = _check_slot(state, slot, band, people)
        if broken:
            found[slot.key] = broken
        for pid in dict.fromkeys(people):
            if pid in state.people:
                state.add(pid, slot, band)
    return found


def breaches_of(problem: Problem, pairs: Mapping[Hashable, Iterable[int]], key) -> list[Breach]:
    """The hard rules one slot's people break, given every other slot as it stands: the
    manager's warnings for a hand change, and whether a swap can be taken."""
    state = _State(problem)
    target = None
    for slot in problem.slots:
        if slot.key == key:
            target = slot
            continue
        for pid in dict.fromkeys(pairs.get(slot.key, ())):
            if pid in state.people:
                state.add(pid, slot, slot.band)
    if target is None:
        return []  # not in the plan (a cancelled slot): no rule of the plan applies to it
    return _check_slot(state, target, target.band, list(pairs.get(key, ())))


def _check_slot(state: _State, slot: Slot, band: str | None, people: list[int]) -> list[Breach]:
    found = []
    if len(people) != 2 or len(set(people)) != 2:
        found.append(Breach("not_a_pair"))
    for pid in dict.fromkeys(people):
        found += [Breach(rule, pid) for rule in state.person_breaches(pid, slot, band)]
    known = [pid for pid in people if pid in state.people]
    if known and len(known) == len(people) and all(state.people[p].trainee for p in known):
        found += [Breach("trainee_unmentored", pid) for pid in known]
    return found


def cycle_bands(
    slots: list[Slot], rng: random.Random, bands: tuple | list = BANDS
) -> dict[Hashable, str]:
    """Each suite's slots cycle through `bands` from a seeded start, so every band gets an
    equal share of the suite's quarter (a slot's fixed band is kept). The greedy plan cycles
    through every band; the exact model (visits.rota_solver) through the day bands only."""
    chosen = {}
    by_suite = defaultdict(list)
    for slot in slots:
        by_suite[slot.suite].append(slot)
    for suite in sorted(by_suite):
        order = list(bands)
        rng.shuffle(order)
        in_order = sorted(by_suite[suite], key=lambda s: (s.week, str(s.key)))
        for i, slot in enumerate(in_order):
            chosen[slot.key] = slot.band or order[i % len(order)]
    return chosen


DEFAULT_TIME_LIMIT_SECONDS = 3.0


def solve_greedy(problem: Problem) -> Plan:
    """Week by week, hardest slot first, then repair passes: fast, never breaks a hard rule,
    not always the best plan. The exact solver's warm start and fallback."""
    rng = random.Random(problem.seed)
    weeks = sorted({s.week for s in problem.slots})
    shares = fair_shares(problem.people, weeks, 2 * len(problem.slots))
    bands = cycle_bands(problem.slots, rng)
    jitter = {p.id: rng.random() * 1e-3 for p in problem.people}
    state = _State(problem)
    plan = Plan(pairs={}, bands=bands, unfilled={})
    ids = sorted(state.people)

    def eligible(slot: Slot, band: str) -> list[int]:
        return [pid for pid in ids if state.person_breach(pid, slot, band) is None]

    by_week = defaultdict(list)
    for slot in problem.slots:
        by_week[slot.week].append(slot)
    for week in weeks:
        pending = list(by_week[week])
        while pending:
            # Hardest slot first: the one with the fewest people who could take it.
            options = {s.key: eligible(s, bands[s.key]) for s in pending}
            slot = min(pending, key=lambda s: (len(options[s.key]), str(s.key)))
            pending.remove(slot)
            pair = _best_pair(slot, bands[slot.key], options[slot.key], state, shares, jitter)
            if pair is None and bands[slot.key] == NIGHT and not slot.band:
                # Too few night visitors this week: give the slot the suite's next band.
                bands[slot.key] = EVENING
                pair = _best_pair(slot, EVENING, eligible(slot, EVENING), state, shares, jitter)
            if pair is None:
                plan.unfilled[slot.key] = _why_unfilled(slot, bands[slot.key], state)
                continue
            plan.pairs[slot.key] = pair
            for pid in pair:
                state.add(pid, slot, bands[slot.key])
            state.pairs[frozenset(pair)] += 1
    _fill_by_substitution(problem, plan, state)
    _rebalance(problem, plan, state, shares)
    _rotate_pairs(problem, plan, state)
    return plan


def _best_pair(slot, band, candidates, state, shares, jitter) -> tuple[int, int] | None:
    def need(pid):
        person = state.people[pid]
        score = shares[pid] - state.load[pid] + jitter[pid]
        if band == NIGHT and person.needs_night and not state.nights[pid]:
            score += NIGHT_WANTED_BONUS
        if band in person.preferred_bands:
            score += PREFERRED_BAND_BONUS
        return score

    # The neediest dozen are enough: a pair outside them scores worse on fairness anyway.
    ranked = sorted(candidates, key=need, reverse=True)[:12]
    best, best_score = None, None
    for a, b in itertools.combinations(ranked, 2):
        if state.people[a].trainee and state.people[b].trainee:
            continue
        score = need(a) + need(b) - REPEAT_PENALTY * state.pairs[frozenset((a, b))]
        if best_score is None or score > best_score:
            best, best_score = (a, b), score
    return tuple(sorted(best)) if best else None


def _why_unfilled(slot: Slot, band: str, state: _State) -> str:
    reasons = Counter(state.person_breach(pid, slot, band) for pid in state.people)
    free = reasons.pop(None, 0)
    # How many of the scheme's visitors each rule keeps from the slot, said to the manager.
    labels = {
        "unavailable": lambda n: ngettext(
            "%(n)d cannot do that week", "%(n)d cannot do that week", n
        ),
        "conflict": lambda n: ngettext(
            "%(n)d has a conflict with the suite", "%(n)d have a conflict with the suite", n
        ),
        "twice_in_week": lambda n: ngettext(
            "%(n)d already visits that week", "%(n)d already visit that week", n
        ),
        "over_maximum": lambda n: ngettext(
            "%(n)d is at their monthly maximum", "%(n)d are at their monthly maximum", n
        ),
        "over_quarter_maximum": lambda n: ngettext(
            "%(n)d is at their maximum for the period",
            "%(n)d are at their maximum for the period",
            n,
        ),
        "no_nights": lambda n: ngettext("%(n)d does not do nights", "%(n)d do not do nights", n),
        "over_night_promise": lambda n: ngettext(
            "%(n)d has had their night this year", "%(n)d have had their night this year", n
        ),
    }
    parts = [labels[rule](n) % {"n": n} for rule, n in sorted(reasons.items()) if n]
    if free == 1:
        parts.append(gettext("only one visitor is free"))
    elif free >= 2:
        parts.append(
            ngettext(
                "the %(n)d free visitor is a trainee",
                "the %(n)d free visitors are all trainees",
                free,
            )
            % {"n": free}
        )
    return gettext("No pair available: %(reasons)s.") % {"reasons": "; ".join(parts)}


def _fill_by_substitution(problem: Problem, plan: Plan, state: _State) -> None:
    """An empty slot may be fillable if someone who is busy that week or month hands their
    other visit to a free person. Try that, one substitution per person."""
    slots = {s.key: s for s in problem.slots}
    for key in sorted(plan.unfilled, key=str):
        slot, band = slots[key], plan.bands[key]
        ready = [pid for pid in state.people if state.person_breach(pid, slot, band) is None]
        for pid in sorted(state.people):
            if len(ready) >= 2 and any(not state.people[p].trainee for p in ready):
                break
            if pid in ready or state.person_breach(pid, slot, band) not in (
                "twice_in_week",
                "over_maximum",
            ):
                continue
            handed = _hand_over(pid, slot, plan, state, slots, exclude=ready)
            if handed and state.person_breach(pid, slot, band) is None:
                ready.append(pid)
        pair = _best_pair(slot, band, ready, state, Counter(), Counter())
        if pair:
            plan.pairs[key] = pair
            del plan.unfilled[key]
            for pid in pair:
                state.add(pid, slot, band)
            state.pairs[frozenset(pair)] += 1


def _hand_over(pid, target: Slot, plan, state, slots, exclude) -> bool:
    """Give one of pid's visits in the target's week or month to someone free for it."""
    for key, pair in plan.pairs.items():
        slot = slots[key]
        if pid not in pair or month_of(slot.week) != month_of(target.week):
            continue
        partner = _other(pair, pid)
        band = plan.bands[key]
        for other in sorted(state.people):
            if other in pair or other in exclude:
                continue
            if state.person_breach(other, slot, band) is not None:
                continue
            if state.people[other].trainee and state.people[partner].trainee:
                continue
            _replace(plan, state, key, slot, pid, other)
            return True
    return False


def _other(pair: tuple[int, ...], pid: int) -> int:
    return pair[0] if pair[1] == pid else pair[1]


def _replace(plan: Plan, state: _State, key, slot: Slot, old: int, new: int) -> None:
    band = plan.bands[key]
    pair = plan.pairs[key]
    partner = _other(pair, old)
    state.remove(old, slot, band)
    state.add(new, slot, band)
    state.pairs[frozenset(pair)] -= 1
    plan.pairs[key] = tuple(sorted((partner, new)))
    state.pairs[frozenset(plan.pairs[key])] += 1


def _rotate_pairs(problem: Problem, plan: Plan, state: _State) -> None:
    """Swap partners between two slots when that lowers the number of repeated pairs. Each
    person keeps the same number of visits, so fairness is untouched."""
    slots = {s.key: s for s in problem.slots}
    keys = sorted(plan.pairs, key=lambda k: (slots[k].week, str(k)))
    for _ in range(3):
        improved = False
        for k1, k2 in itertools.combinations(keys, 2):
            p1, p2 = plan.pairs[k1], plan.pairs[k2]
            before = (state.pairs[frozenset(p1)] > 1) + (state.pairs[frozenset(p2)] > 1)
            if not before or set(p1) & set(p2):
                continue
            for x, y in itertools.product(p1, p2):
                if not _fits(state, plan, slots, k1, k2, x, y):
                    continue
                mate1, mate2 = _other(p1, x), _other(p2, y)
                # The new pairs repeat if they have met before at all.
                after = (state.pairs[frozenset((y, mate1))] > 0) + (
                    state.pairs[frozenset((x, mate2))] > 0
                )
                if after < before:
                    _replace(plan, state, k1, slots[k1], x, y)
                    _replace(plan, state, k2, slots[k2], y, x)
                    improved = True
                    break
        if not improved:
            return


def _fits(state: _State, plan: Plan, slots, k1, k2, x, y) -> bool:
    """Would swapping x (in slot k1) and y (in slot k2) keep every hard rule?"""
    s1, s2, b1, b2 = slots[k1], slots[k2], plan.bands[k1], plan.bands[k2]
    state.remove(x, s1, b1)
    state.remove(y, s2, b2)
    ok = state.person_breach(y, s1, b1) is None
    if ok:
        state.add(y, s1, b1)
        ok = state.person_breach(x, s2, b2) is None
        state.remove(y, s1, b1)
    state.add(x, s1, b1)
    state.add(y, s2, b2)
    if ok:
        mate1, mate2 = _other(plan.pairs[k1], x), _other(plan.pairs[k2], y)
        people = state.people
        ok = not (people[y].trainee and people[mate1].trainee) and not (
            people[x].trainee and people[mate2].trainee
        )
    return ok


def _rebalance(problem: Problem, plan: Plan, state: _State, shares: dict) -> None:
    """Move single places from over-loaded to under-loaded visitors while it narrows the
    largest gap from a fair share and every hard rule still holds."""
    slots = {s.key: s for s in problem.slots}
    for _ in range(4 * len(problem.slots)):
        gaps = {pid: state.load[pid] - shares[pid] for pid in state.people}
        if not gaps or max(abs(g) for g in gaps.values()) <= 1:
            return
        moved = False
        over = sorted((pid for pid in gaps if gaps[pid] > 0), key=lambda p: -gaps[p])
        under = sorted((pid for pid in gaps if gaps[pid] < 0), key=lambda p: gaps[p])
        for giver, taker in itertools.product(over, under):
            if gaps[giver] - gaps[taker] <= 1.0001:  # a move would not narrow the gap
                continue
            for key, pair in plan.pairs.items():
                if giver not in pair:
                    continue
                slot, band = slots[key], plan.bands[key]
                partner = _other(pair, giver)
                if state.person_breach(taker, slot, band) is not None:
                    continue
                if state.people[taker].trainee and state.people[partner].trainee:
                    continue
                _replace(plan, state, key, slot, giver, taker)
                moved = True
                break
            if moved:
                break
        if not moved and over and under:
            moved = _chain_move(plan, state, slots, over[0], under, gaps)
        if not moved:
            return


def _fits_in(state: _State, plan: Plan, slots, pid: int, key, leaving: int) -> bool:
    """Could pid take `leaving`'s place in slot `key` under every hard rule?"""
    slot, band = slots[key], plan.bands[key]
    partner = _other(plan.pairs[key], leaving)
    if pid in plan.pairs[key] or state.person_breach(pid, slot, band) is not None:
        return False
    return not (state.people[pid].trainee and state.people[partner].trainee)


def _chain_move(plan: Plan, state: _State, slots, giver: int, under: list, gaps: dict) -> bool:
    """When nobody under-loaded can take the giver's place directly (say the giver mentors a
    trainee), a third visitor steps into the giver's place and the under-loaded visitor takes
    the third visitor's place elsewhere: loads change for the giver and the taker only."""
    for key_a, pair_a in list(plan.pairs.items()):
        if giver not in pair_a:
            continue
        for key_b, pair_b in plan.pairs.items():
            if key_b == key_a:
                continue
            for middle in pair_b:
                if middle in pair_a or not _fits_in(state, plan, slots, middle, key_a, giver):
                    continue
                _replace(plan, state, key_a, slots[key_a], giver, middle)
                for taker in under:
                    if gaps[giver] - gaps[taker] > 1.0001 and _fits_in(
                        state, plan, slots, taker, key_b, middle
                    ):
                        _replace(plan, state, key_b, slots[key_b], middle, taker)
                        return True
                _replace(plan, state, key_a, slots[key_a], middle, giver)  # undo
    return False


# --- Figures ------------------------------------------------------------------------------------


# The figures that count breaches of a hard rule, one each; the quality panel has a row for each.
HARD_RULE_FIGURES = (
    "not_a_pair",
    "trainees_without_mentor",
    "conflicts",
    "unavailable_week",
    "twice_in_a_week",
    "over_monthly_maximum",
    "over_quarter_maximum",
    "no_nights",
    "over_night_promise",
)


@dataclass
class Figures:
    filled: int
    most_fillable: int  # the most slots any plan fills together (the exact solver's optimum)
    slots: int
    largest_fair_deviation: float
    repeated_pairs: int
    band_spread: int  # largest (most - fewest) of one day band across a suite's slots
    willing_without_night: int
    # One count per hard rule, read from the plan alone, so a hand change that breaks a rule
    # shows: breaches in filled slots (a rule broken between two slots counts once).
    trainees_without_mentor: int = 0
    conflicts: int = 0
    unavailable_week: int = 0
    twice_in_a_week: int = 0
    over_monthly_maximum: int = 0
    over_quarter_maximum: int = 0
    over_night_promise: int = 0
    not_a_pair: int = 0  # fewer or more than two distinct visitors, or someone not on the rota
    no_nights: int = 0
    # How the plan was made (Plan.method) and the solver's bounds (Plan.optimality_gap).
    method: str = ""
    optimality_gap: dict = field(default_factory=dict)

    @property
    def fillable(self) -> int:
        """The old name, kept for readers of it: now the most fillable together."""
        return self.most_fillable

    @property
    def hard_rule_breaches(self) -> int:
        return sum(getattr(self, name) for name in HARD_RULE_FIGURES)

    def line(self) -> str:
        return (
            f"filled {self.filled}/{self.most_fillable} fillable together (of {self.slots} "
            f"slots), largest deviation from fair load {self.largest_fair_deviation:.2f}, "
            f"repeated pairs {self.repeated_pairs}, hard-rule breaches "
            f"{self.hard_rule_breaches}, time-band spread {self.band_spread}, willing visitors "
            f"without a night {self.willing_without_night}"
        )


def fillable_slots(problem: Problem) -> int:
    """Slots that have, on their own, two visitors able to take them (one experienced). An
    upper bound only: slots compete for the same people (see `rota_solver.most_fillable`)."""
    n = 0
    empty = _State(problem)
    for slot in problem.slots:
        bands = [slot.band] if slot.band else [b for b in BANDS if b != NIGHT]
        for band in bands:
            ok = [p for p in problem.people if empty.person_breach(p.id, slot, band) is None]
            if len(ok) >= 2 and any(not p.trainee for p in ok):
                n += 1
                break
    return n


def figures(problem: Problem, plan: Plan) -> Figures:
    """The plan's figures, its most fillable together as the plan carries it (the exact bound
    is visits.rota_solver's: `rota_solver.figures` fills it in when the plan does not)."""
    people = {p.id: p for p in problem.people}
    weeks = sorted({s.week for s in problem.slots})
    shares = fair_shares(problem.people, weeks, 2 * len(plan.pairs))
    load = Counter(pid for pair in plan.pairs.values() for pid in pair)
    deviation = max((abs(load[pid] - shares[pid]) for pid in people), default=0.0)
    seen = Counter(problem.past_pairs)
    repeated = 0
    for slot in sorted(problem.slots, key=lambda s: (s.week, str(s.key))):
        pair = plan.pairs.get(slot.key)
        if pair:
            repeated += seen[frozenset(pair)] > 0
            seen[frozenset(pair)] += 1
    found = breaches(problem, plan.pairs, plan.bands)
    filled_keys = set(plan.pairs)
    rules = Counter(b.rule for key, bs in found.items() if key in filled_keys for b in bs)
    per_suite = defaultdict(Counter)
    for slot in problem.slots:
        if slot.key in filled_keys:
            per_suite[slot.suite][plan.bands.get(slot.key)] += 1
    # Nights are few by promise (one a year for the willing), so the spread is of the day bands.
    spread = max(
        (max(c[b] for b in DAY_BANDS) - min(c[b] for b in DAY_BANDS) for c in per_suite.values()),
        default=0,
    )
    nights = {pid for key, pair in plan.pairs.items() if plan.bands[key] == NIGHT for pid in pair}
    return Figures(
        filled=len(plan.pairs),
        most_fillable=plan.most_fillable,
        slots=len(problem.slots),
        largest_fair_deviation=deviation,
        repeated_pairs=repeated,
        band_spread=spread,
        willing_without_night=sum(
            1 for p in problem.people if p.needs_night and p.nights_left and p.id not in nights
        ),
        trainees_without_mentor=rules["trainee_unmentored"],
        conflicts=rules["conflict"],
        unavailable_week=rules["unavailable"],
        twice_in_a_week=rules["twice_in_week"],
        over_monthly_maximum=rules["over_maximum"],
        over_quarter_maximum=rules["over_quarter_maximum"],
        over_night_promise=rules["over_night_promise"],
        not_a_pair=rules["not_a_pair"] + rules["not_eligible"],
        no_nights=rules["no_nights"],
        method=plan.method,
        optimality_gap=dict(plan.optimality_gap),
    )


# --- The exact optimum, for small problems --------------------------------------------------


def _plan_cost(problem: Problem, plan: Plan) -> tuple:
    """Lower is better: unfilled slots, then the largest deviation, then repeated pairs."""
    f = figures(problem, dataclasses.replace(plan, most_fillable=0))
    return (f.slots - f.filled, round(f.largest_fair_deviation, 6), f.repeated_pairs)


def exact_plan(problem: Problem, bands: Mapping[Hashable, str]) -> Plan:
    """Search every plan that keeps the hard rules (each slot: any allowed pair, or left empty)
    with the given bands, by depth-first search. Exponential: for a handful of slots only."""
    slots = sorted(problem.slots, key=lambda s: (s.week, str(s.key)))
    state = _State(problem)
    ids = sorted(state.people)
    best: list = [None, None]  # plan, cost
    chosen: dict[Hashable, tuple[int, int]] = {}

    def search(i: int) -> None:
        if i == len(slots):
            plan = Plan(pairs=dict(chosen), bands=dict(bands), unfilled={})
            cost = _plan_cost(problem, plan)
            if best[1] is None or cost < best[1]:
                best[:] = [plan, cost]
            return
        if best[1] is not None and i - len(chosen) > best[1][0]:
            return  # already more empty slots than the best plan has
        slot, band = slots[i], bands[slots[i].key]
        free = [pid for pid in ids if state.person_breach(pid, slot, band) is None]
        for a, b in itertools.combinations(free, 2):
            if state.people[a].trainee and state.people[b].trainee:
                continue
            chosen[slot.key] = (a, b)
            state.add(a, slot, band)
            state.add(b, slot, band)
            search(i + 1)
            state.remove(a, slot, band)
            state.remove(b, slot, band)
            del chosen[slot.key]
        search(i + 1)  # or leave it empty

    search(0)
    return best[0]
