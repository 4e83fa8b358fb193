"""What training is due (issue 22): the one rule, read by the manager's pages, the volunteer's
own record, the API, the daily reminders and their e-mails (visits.mail_messages). Read-only;
recording training is visits.services.training. docs/volunteers.md, "Training and graduation".
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext

from visits.models import Membership, TrainingCompletion, TrainingModule, VisitorStatus
from visits.models.people import VISITING_ROLES

RequiredFor = TrainingModule.RequiredFor

# A renewal shows as due this many days before it runs out (and the reminder goes then).
DUE_SOON_DAYS = 30


def day_text(day: datetime.date) -> str:
    return formats.date_format(day, "j F Y")


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def runs_out_on(module: TrainingModule, completed_on: datetime.date | None):
    """The first day a completion no longer counts, or None if it never runs out."""
    if completed_on is None or not module.renew_every_months:
        return None
    return add_months(completed_on, module.renew_every_months)


def applies_to(module: TrainingModule, membership: Membership, has_done: bool) -> bool:
    """Whether the module is asked of this member: every visitor's modules, the experienced
    visitors' once they graduate, and TACT training of those who hold it (to keep it current;
    nobody is told to take it, the manager chooses who visits TACT detainees)."""
    if module.required_for == RequiredFor.ALL:
        return True
    if module.required_for == RequiredFor.EXPERIENCED:
        return membership.status != VisitorStatus.TRAINEE
    return has_done


@dataclass(frozen=True)
class DueTraining:
    """A module a member must take: never done (`last_done` None) or its renewal come."""

    membership: Membership
    module: TrainingModule
    last_done: datetime.date | None
    due_on: datetime.date | None  # None: never done, due now

    def overdue(self, today: datetime.date) -> bool:
        return self.due_on is None or self.due_on <= today

    @property
    def reason(self) -> str:
        if self.last_done is None:
            return gettext("Never done")
        return gettext("Renewal due on %(date)s") % {"date": day_text(self.due_on)}


def latest_completions(membership_ids) -> dict[tuple[int, int], datetime.date]:
    """(membership id, module id) -> the latest day completed, in one query."""
    rows = (
        TrainingCompletion.objects.filter(membership_id__in=membership_ids)
        .values("membership_id", "module_id")
        .annotate(last=Max("completed_on"))
    )
    return {(r["membership_id"], r["module_id"]): r["last"] for r in rows}


def modules_by_scheme(scheme_ids) -> dict[int, list[TrainingModule]]:
    modules = defaultdict(list)
    for module in TrainingModule.objects.active().filter(scheme_id__in=scheme_ids):
        modules[module.scheme_id].append(module)
    return modules


def due_among(members, modules, latest, today: datetime.date) -> list[DueTraining]:
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    due = []
    for m in members:
        if m.status == VisitorStatus.LEFT or m.role not in VISITING_ROLES:
            continue
        for module in modules[m.scheme_id]:
            last = latest.get((m.pk, module.pk))
            if not applies_to(module, m, last is not None):
                continue
            if last is None:
                due.append(DueTraining(m, module, None, None))
                continue
            ends = runs_out_on(module, last)
            if ends is not None and ends <= soon:
                due.append(DueTraining(m, module, last, ends))
    return due


def due_training(memberships, today: datetime.date | None = None) -> list[DueTraining]:
    """What each of `memberships` (current visiting members) must take now or within
    DUE_SOON_DAYS: every module that applies to them and was never done, or whose renewal
    comes. Three queries however many members: the members, the modules, the completions."""
    members = list(memberships)
    modules = modules_by_scheme({m.scheme_id for m in members})
    latest = latest_completions([m.pk for m in members])
    return due_among(members, modules, latest, today or timezone.localdate())


def current_visitors(scheme_ids):
    return (
        Membership.objects.current()
        .filter(scheme_id__in=scheme_ids, role__in=VISITING_ROLES)
        .select_related("user", "scheme")
        .order_by("user__last_name", "user__first_name")
    )
