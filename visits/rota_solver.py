"""The exact rota solver: the quarter as a CP-SAT model (OR-Tools), solved lexicographically.

Plain data in (`scheduling.Problem`), a `scheduling.Plan` out; no ORM. The hard rules are
constraints; the aims are solved one after another, each optimum fixed as a constraint before
the next: (a) most slots filled, (b) smallest worst deviation from a fair share, (c) fewest
repeated pairs, (d) a night for each willing visitor who is owed one, then (e) preferred bands.
The greedy plan is the warm start of the first phase and stays the answer when the time limit
passes without a better plan.

Deterministic: a fixed seed, one search worker and a *deterministic* time budget (CP-SAT's
count of work done, roughly seconds on an idle core) rather than a wall clock, so the same
problem, seed and limit give the same plan however busy the machine is.
"""

from __future__ import annotations

import dataclasses
import importlib
import random
from collections import defaultdict

from visits import scheduling
from visits.scheduling import NIGHT, Plan, Problem


class _ImportedWhenFirstUsed:
    """The module `name`, imported at its first attribute read. OR-Tools' solver weighs about
    75 MB: every process imports the rota service (the web workers through the pages), few
    ever solve (generating a rota, a draft period's overview figures), so it is loaded by the
    first that does. import_module holds the import lock: threads of one worker wait for the
    one that imports (importlib's LazyLoader does not, before Python 3.12.3)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)


cp_model = _ImportedWhenFirstUsed("ortools.sat.python.cp_model")

DAY_BANDS = scheduling.DAY_BANDS
SCALE = 100  # fair shares in hundredths of a visit: CP-SAT works in integers
PHASE_SHARE = (0.3, 0.5, 0.15, 0.05)  # of the time limit; time a phase leaves passes on
LAST_PHASE_MOST = 0.2

OPTIMAL = "optimal"
FEASIBLE = "feasible within time limit"
GREEDY_FALLBACK = "greedy fallback"


def day_bands(problem: Problem) -> dict:
    """Each suite's slots cycle through the day bands from a seeded start; the model only
    decides which slots become nights (a fixed band is kept)."""
    return scheduling.cycle_bands(problem.slots, random.Random(problem.seed), DAY_BANDS)


class _Model:
    """The CP-SAT model of one problem; aims are added phase by phase."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.model = cp_model.CpModel()
        m = self.model
        self.people = sorted(problem.people, key=lambda p: p.id)
        self.slots = sorted(problem.slots, key=lambda s: (s.week, str(s.key)))
        self.bands = day_bands(problem)
        self.x = {}  # (person id, slot key) -> person sits in slot
        self.filled = {}
        self.night = {}  # slot key -> 0/1 or a variable
        for slot in self.slots:
            k = slot.key
            if slot.band:
                self.night[k] = int(slot.band == NIGHT)
            else:
                self.night[k] = m.new_bool_var(f"night[{k}]")
            self.filled[k] = m.new_bool_var(f"filled[{k}]")
            seats, experienced = [], []
            for p in self.people:
                if slot.week in p.unavailable_weeks or slot.suite in p.conflicts:
                    continue
                if isinstance(self.night[k], int) and self.night[k] and not p.nights_left:
                    continue
                var = m.new_bool_var(f"x[{p.id},{k}]")
                self.x[p.id, k] = var
                seats.append(var)
                if not p.trainee:
                    experienced.append(var)
            m.add(sum(seats) == 2 * self.filled[k])  # two visitors, or nobody
            m.add(sum(experienced) >= self.filled[k])  # never two trainees
        self.y = {}  # (person, slot) -> a night visit (only for those who may do nights)
        by_person = defaultdict(list)
        for (pid, k), var in self.x.items():
            by_person[pid].append((k, var))
        slot_of = {s.key: s for s in self.slots}
        for p in self.people:
            mine = by_person[p.id]
            for _week, vars_ in _group(mine, lambda k: slot_of[k].week).items():
                m.add(sum(vars_) <= 1)  # nobody twice in a week
            by_month = _group(mine, lambda k: scheduling.month_of(slot_of[k].week))
            for _month, vars_ in by_month.items():
                m.add(sum(vars_) <= p.max_per_month)
            if p.max_per_quarter is not None:
                m.add(sum(v for _k, v in mine) <= p.max_per_quarter)
            nights = []
            for k, var in mine:
                night = self.night[k]
                if isinstance(night, int):
                    if night:
                        nights.append(var)
                    continue
                if not p.nights_left:
                    m.add(var + night <= 1)
                    continue
                both = m.new_bool_var(f"y[{p.id},{k}]")
                m.add(both >= var + night - 1)
                m.add(both <= var)
                m.add(both <= night)
                self.y[p.id, k] = both
                nights.append(both)
            if nights:
                m.add(sum(nights) <= p.nights_left)  # the promise: one a year, unless more
        self.load = {p.id: sum(v for _k, v in by_person[p.id]) for p in self.people}
        self.total_filled = sum(self.filled.values())
        self.repeats = None
        self.nights_objective = None

    def add_repeated_pairs(self):
        """Repeated pairs, added only when that phase comes (the largest part of the model):
        a pair meets in a week when both sit in one of its slots; a pair that met in the past
        year repeats every time it meets, a new pair every time after the first."""
        m = self.model
        meets = defaultdict(dict)  # pair -> week -> var
        trainee = {p.id: p.trainee for p in self.people}
        for slot in self.slots:
            here = [
                (p.id, self.x[p.id, slot.key]) for p in self.people if (p.id, slot.key) in self.x
            ]
            for i, (a, xa) in enumerate(here):
                for b, xb in here[i + 1 :]:
                    if trainee[a] and trainee[b]:
                        continue
                    pair = (a, b)
                    var = meets[pair].get(slot.week)
                    if var is None:
                        var = meets[pair][slot.week] = m.new_bool_var(f"meet[{a},{b},{slot.week}]")
                    m.add(var >= xa + xb - 1)
        terms = []
        for (a, b), weeks in meets.items():
            count = sum(weeks.values())
            if self.problem.past_pairs.get(frozenset((a, b)), 0) > 0:
                terms.append(count)
            elif len(weeks) > 1:
                extra = m.new_int_var(0, len(weeks) - 1, f"repeat[{a},{b}]")
                m.add(extra >= count - 1)
                terms.append(extra)
        self.repeats = sum(terms)
        return self.repeats

    def hint(self, plan: Plan) -> None:
        m = self.model
        m.clear_hints()
        for (pid, k), var in self.x.items():
            m.add_hint(var, pid in plan.pairs.get(k, ()))
        for k, var in self.filled.items():
            m.add_hint(var, k in plan.pairs)
        for k, var in self.night.items():
            if not isinstance(var, int):
                m.add_hint(var, plan.bands.get(k) == NIGHT)
        for (pid, k), var in self.y.items():
            m.add_hint(var, pid in plan.pairs.get(k, ()) and plan.bands.get(k) == NIGHT)

    def plan_from(self, solver: cp_model.CpSolver) -> Plan:
        pairs, bands = {}, {}
        members = defaultdict(list)
        for (pid, k), var in self.x.items():
            if solver.boolean_value(var):
                members[k].append(pid)
        for slot in self.slots:
            k = slot.key
            night = self.night[k]
            is_night = night if isinstance(night, int) else solver.boolean_value(night)
            bands[k] = NIGHT if is_night and not slot.band else self.bands[k]
            if solver.boolean_value(self.filled[k]):
                pairs[k] = tuple(sorted(members[k]))
        plan = Plan(pairs=pairs, bands=bands, unfilled={})
        _explain_unfilled(self.problem, plan)
        return plan


def _least_worst_deviation(built, problem, plan, shares, worst, budget):
    """Phase (b). Counting alone gives a floor: the least d for which whole-number loads
    within d of every share add up to the seats; CP-SAT then minimises the worst deviation
    from the plan in hand down towards that floor. Returns (plan, its worst deviation, the
    proved lower bound), all in hundredths of a visit."""
    m = built.model
    seats = 2 * len(plan.pairs)
    caps = {p.id: scheduling.capacity(p, {s.week for s in problem.slots}) for p in built.people}
    loads = defaultdict(int)
    for pair in plan.pairs.values():
        for pid in pair:
            loads[pid] += 1
    known = max((abs(SCALE * loads[pid] - share) for pid, share in shares.items()), default=0)
    values = sorted(
        {abs(SCALE * k - shares[pid]) for pid in shares for k in range(caps[pid] + 1)} | {known}
    )

    def loads_can_add_up(d):
        low = [max(0, -((d - shares[pid]) // SCALE)) for pid in shares]  # ceil((s - d) / 100)
        high = [min(caps[pid], (shares[pid] + d) // SCALE) for pid in shares]
        return all(a <= b for a, b in zip(low, high, strict=True)) and (
            sum(low) <= seats <= sum(high)
        )

    floor = next((d for d in values if loads_can_add_up(d)), known)
    if known == floor:
        return plan, known, floor, 0.0
    # The floor holds for every plan; given to CP-SAT it ends the search as soon as it is met.
    m.add(worst >= floor)
    m.minimize(worst)
    # One worker: with the floor it most often meets the optimum and proves it at once (the
    # interleaved portfolio did worse on the benchmark's quarters).
    better = m.new_bool_var("better_than_in_hand")
    m.add(worst < known).only_enforce_if(better)
    m.add_assumptions([better])
    built.hint(plan)
    solver = _solver(problem, budget)
    status = solver.solve(m)
    m.clear_assumptions()
    used, bound = solver.deterministic_time, floor
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        plan, known = built.plan_from(solver), round(solver.objective_value)
        bound = max(bound, round(solver.best_objective_bound))
    if status == cp_model.INFEASIBLE:  # nothing better than the plan in hand: it is optimal
        bound = known
    return plan, known, min(bound, known), used


def _rotated(problem: Problem, plan: Plan) -> Plan:
    plan = dataclasses.replace(plan, pairs=dict(plan.pairs), bands=dict(plan.bands))
    state = scheduling._State(problem)
    slots = {s.key: s for s in problem.slots}
    for k, pair in plan.pairs.items():
        for pid in pair:
            state.add(pid, slots[k], plan.bands[k])
        state.pairs[frozenset(pair)] += 1
    scheduling._rotate_pairs(problem, plan, state)
    return plan


def _group(items, key):
    groups = defaultdict(list)
    for k, var in items:
        groups[key(k)].append(var)
    return groups


def _explain_unfilled(problem: Problem, plan: Plan) -> None:
    state = scheduling._State(problem)
    slots = {s.key: s for s in problem.slots}
    for k, pair in plan.pairs.items():
        for pid in pair:
            state.add(pid, slots[k], plan.bands[k])
    for slot in problem.slots:
        if slot.key not in plan.pairs:
            plan.unfilled[slot.key] = scheduling._why_unfilled(slot, plan.bands[slot.key], state)


def _solver(problem: Problem, budget: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    params = solver.parameters
    # One worker: CP-SAT's parallel portfolio is not repeatable; one thread, a fixed seed and a
    # deterministic time budget are.
    params.num_workers = 1
    params.random_seed = problem.seed
    params.max_deterministic_time = max(budget, 0.01)
    return solver


def _cost(problem: Problem, plan: Plan) -> tuple:
    f = scheduling.figures(problem, dataclasses.replace(plan, most_fillable=0))
    return (f.slots - f.filled, round(f.largest_fair_deviation, 2), f.repeated_pairs)


def solve_exact(problem: Problem, time_limit: float) -> Plan:
    """The best plan CP-SAT finds within `time_limit` (deterministic seconds), never worse
    than the greedy plan; `method` and `optimality_gap` say how sure the answer is."""
    greedy = scheduling.solve_greedy(problem)
    if time_limit <= 0 or not problem.slots or len(problem.people) < 2:
        greedy.method = GREEDY_FALLBACK if time_limit <= 0 else OPTIMAL
        if greedy.method == OPTIMAL:  # nothing can be filled: the empty plan is the best
            greedy.most_fillable = len(greedy.pairs)
        return greedy
    built = _Model(problem)
    m = built.model
    built.hint(greedy)
    spare, proved, gap = 0.0, [], {}

    def run(share: float, objective, maximize: bool):
        nonlocal spare
        if maximize:
            m.maximize(objective)
        else:
            m.minimize(objective)
        # Time an earlier phase left passes on, but the last aims (nights, preferred bands)
        # never take more than a fifth of the limit: they matter least.
        budget = share * time_limit + spare
        if share == PHASE_SHARE[3]:
            budget = min(budget, LAST_PHASE_MOST * time_limit)
        solver = _solver(problem, budget)
        status = solver.solve(m)
        spare = max(0.0, share * time_limit + spare - solver.deterministic_time)
        return solver, status

    # (a) most slots filled
    solver, status = run(PHASE_SHARE[0], built.total_filled, True)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        greedy.method = GREEDY_FALLBACK
        return greedy
    best_filled = round(solver.objective_value)
    gap["filled_bound"] = int(solver.best_objective_bound + 1e-6)
    if status == cp_model.OPTIMAL:
        proved.append("filled")
    m.add(built.total_filled >= best_filled)
    plan = built.plan_from(solver)

    # (b) the worst deviation from a fair share, shares fixed by the seats now known
    weeks = sorted({s.week for s in problem.slots})
    shares = scheduling.fair_shares(problem.people, weeks, 2 * best_filled)
    scaled_shares = {p.id: round(SCALE * shares[p.id]) for p in built.people}
    worst = m.new_int_var(0, SCALE * len(weeks), "worst_deviation")
    for p in built.people:
        m.add(worst >= SCALE * built.load[p.id] - scaled_shares[p.id])
        m.add(worst >= scaled_shares[p.id] - SCALE * built.load[p.id])
    budget = PHASE_SHARE[1] * time_limit + spare
    plan, found, bound, used = _least_worst_deviation(
        built, problem, plan, scaled_shares, worst, budget
    )
    spare = max(0.0, budget - used)
    m.add(worst <= found)
    gap["deviation"] = round(found / SCALE, 2)
    gap["deviation_bound"] = round(bound / SCALE, 2)
    if found == bound:
        proved.append("deviation")

    # (c) fewest repeated pairs. Swapping partners between slots keeps every load, so the
    # greedy rotation pass goes first; when it reaches no repeat at all that is the optimum and
    # the large pair model is not needed.
    plan = _rotated(problem, plan)
    repeats_now = _cost(problem, plan)[2]
    if repeats_now == 0:
        proved.append("repeats")
        gap["repeats_bound"] = 0
    else:
        repeats = built.add_repeated_pairs()
        built.hint(plan)
        solver, status = run(PHASE_SHARE[2], repeats, False)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if solver.objective_value < repeats_now:
                plan = built.plan_from(solver)
            gap["repeats_bound"] = int(solver.best_objective_bound + 1e-6)
            if status == cp_model.OPTIMAL:
                proved.append("repeats")
    # (d) and (e) with the people free to move while (a) to (c) hold: the repeats are kept by
    # a constraint when their model was built, else by keeping pairs that met in the past year
    # apart (cheap) and checking the answer.
    settled = _cost(problem, plan)
    if repeats_now == 0:
        _keep_past_pairs_apart(built)
    else:
        m.add(repeats <= settled[2])
    plan, in_hand = _nights_for_these_pairs(built, problem, plan)  # the free search's start
    trial = []
    moved = _nights_and_bands(built, problem, plan, run, trial, in_hand)
    if _cost(problem, moved) <= settled:
        plan = moved
        proved += trial
    else:
        # Some pair met twice in the period. The full pair model would hold them to none, but
        # it costs more time and memory than the last aims are worth: the pairs stay as they
        # are and only the nights move (so the nights are not proved the best possible).
        for (pid, k), var in built.x.items():
            m.add(var == int(pid in plan.pairs.get(k, ())))
        plan = _nights_and_bands(built, problem, plan, run, [], in_hand)

    gap["proved"] = proved
    plan.optimality_gap = gap
    plan.method = OPTIMAL if len(proved) == 4 else FEASIBLE
    plan.most_fillable = gap["filled_bound"]
    greedy.most_fillable = gap["filled_bound"]
    if _cost(problem, greedy) < _cost(problem, plan):
        greedy.method, greedy.optimality_gap = GREEDY_FALLBACK, gap
        return greedy
    return plan


NIGHTS_FOR_PAIRS_S = 0.05


def _nights_for_these_pairs(built, problem, plan) -> Plan:
    """The nights and bands the pairs in hand allow (a small model: only the nights are free),
    as the warm start of the search where the people may move too."""
    objective = _nights_objective(built)
    built.hint(plan)
    fixed = built.model.clone()
    for (pid, k), var in built.x.items():
        fixed.add(var == int(pid in plan.pairs.get(k, ())))
    fixed.maximize(objective)
    solver = _solver(problem, NIGHTS_FOR_PAIRS_S)
    if solver.solve(fixed) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return built.plan_from(solver), solver.objective_value
    return plan, None


def _keep_past_pairs_apart(built) -> None:
    past = [tuple(pair) for pair, n in built.problem.past_pairs.items() if n > 0 and len(pair) == 2]
    for slot in built.slots:
        for a, b in past:
            xa, xb = built.x.get((a, slot.key)), built.x.get((b, slot.key))
            if xa is not None and xb is not None:
                built.model.add(xa + xb <= 1)


def _nights_objective(built):
    """(d) each night given to a willing visitor owed one outweighs (e) every preference.
    Made once per model (it adds variables)."""
    if built.nights_objective is not None:
        return built.nights_objective
    m = built.model
    owed = []
    for p in built.people:
        mine = [v for (pid, _k), v in built.y.items() if pid == p.id]
        if p.needs_night and p.nights_left and mine:
            got = m.new_bool_var(f"night_given[{p.id}]")
            m.add(got <= sum(mine))
            owed.append(got)
    person = {p.id: p for p in built.people}
    liked = []
    for (pid, k), var in built.x.items():
        bands = person[pid].preferred_bands
        if built.bands[k] in bands:
            liked.append(var)
            if (pid, k) in built.y:
                liked.append(-built.y[pid, k])  # a night instead of the liked band
        if NIGHT in bands and (pid, k) in built.y:
            liked.append(built.y[pid, k])
    weight = len(built.x) + 1  # one more night given outweighs every preference
    built.nights_objective = weight * sum(owed) + sum(liked)
    return built.nights_objective


def _nights_and_bands(built, problem, plan, run, proved, in_hand=None) -> Plan:
    """(d) a night for each willing visitor owed one, then (e) preferred bands; the plan in
    hand (worth `in_hand`) stays unless the search finds better."""
    built.hint(plan)
    solver, status = run(PHASE_SHARE[3], _nights_objective(built), True)
    if status == cp_model.OPTIMAL:
        proved.append("nights_and_bands")
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and (
        in_hand is None or solver.objective_value >= in_hand
    ):
        return built.plan_from(solver)
    return plan


_FILLABLE_CACHE: dict = {}  # the pages ask again for an unchanged problem: answer at once


def most_fillable(
    problem: Problem, time_limit: float = scheduling.DEFAULT_TIME_LIMIT_SECONDS
) -> int:
    """Phase (a) alone: the most slots any plan fills together; its proved optimum, or the
    solver's upper bound if the limit passes first."""
    if not problem.slots or len(problem.people) < 2:
        return 0
    key = (tuple(problem.people), tuple(problem.slots), problem.seed, time_limit)
    if key not in _FILLABLE_CACHE:
        if len(_FILLABLE_CACHE) > 64:
            _FILLABLE_CACHE.clear()
        _FILLABLE_CACHE[key] = _most_fillable(problem, time_limit)
    return _FILLABLE_CACHE[key]


def _most_fillable(problem: Problem, time_limit: float) -> int:
    built = _Model(problem)
    built.model.maximize(built.total_filled)
    if time_limit > 0:
        built.hint(scheduling.solve_greedy(problem))
    solver = _solver(problem, max(time_limit, 0.1))
    status = solver.solve(built.model)
    if status == cp_model.OPTIMAL:
        return round(solver.objective_value)
    return int(solver.best_objective_bound + 1e-6)


def solve(problem: Problem, time_limit: float = scheduling.DEFAULT_TIME_LIMIT_SECONDS) -> Plan:
    """The production method: the exact CP-SAT model warm-started from the greedy plan
    (scheduling.solve_greedy), which stays the answer if the time limit passes without a
    better one."""
    return solve_exact(problem, time_limit=time_limit)


def figures(problem: Problem, plan: Plan) -> scheduling.Figures:
    """The plan's figures (scheduling.figures), with the most slots fillable together proved by
    the exact model when the plan does not carry it."""
    if plan.most_fillable is None:
        plan = dataclasses.replace(plan, most_fillable=most_fillable(problem))
    return scheduling.figures(problem, plan)
