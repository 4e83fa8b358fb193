"""Demo rota for Norfolk, made through the real services: last quarter (published, then done
or missed as its visits are made), this quarter (published) and next quarter (collecting
availability, most visitors have answered). Deterministic, and skipped when already there."""

import datetime
import random

from visits.models import RotaPeriod, Scheme
from visits.services import rota


def _availability(rng: random.Random, period: RotaPeriod) -> rota.AvailabilityInput:
    weeks = rota.weeks_of(period)
    return rota.AvailabilityInput(
        unavailable_weeks=[w for w in weeks if rng.random() < 0.12],
        preferred_days=sorted(rng.sample(range(7), 3)),
        preferred_bands=sorted(rng.sample(["weekday_day", "evening", "weekend"], 2)),
        nights_ok=rng.random() < 0.4,
        max_visits_per_month=rng.choice([1, 2, 2, 2, 3]),
    )


def make_rotas(scheme: Scheme, manager, today: datetime.date) -> int:
    """Returns how many periods were made."""
    members = list(rota.rostered_members(scheme.pk))
    made = 0
    quarters = [
        (today - datetime.timedelta(days=91), "published"),
        (today, "published"),
        (today + datetime.timedelta(days=92), "collecting"),
    ]
    for day, status in quarters:
        first, _last, _name = rota.quarter_of(day)
        if RotaPeriod.objects.filter(scheme=scheme, starts_on=first).exists():
            continue
        rng = random.Random(f"{scheme.slug}/{first}")
        closes = first - datetime.timedelta(days=21)
        period = rota.open_period(
            actor=manager, scheme=scheme, starts_on=first, availability_closes_on=closes
        )
        period.seed = 7
        period.save(update_fields=["seed"])
        answering = members if status == "published" else members[: len(members) * 4 // 5]
        for m in answering:
            rota.set_availability(
                actor=manager, period=period, user=m.user, data=_availability(rng, period)
            )
        if status == "published":
            rota.generate(actor=manager, period=period)
            rota.publish(actor=manager, period=period, notify=False)
        made += 1
    return made
