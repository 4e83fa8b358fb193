"""Publishing a quarter's figures: the scheme manager chooses when a quarter that has ended
becomes public (visits.publication renders what the public may read of it), and may withdraw
it again. Each change is audited here, in the same transaction."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from visits import permissions
from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.models import PublishedQuarter, Role, Scheme
from visits.periods import Period
from visits.services import audit


def require_publisher(actor, scheme: Scheme) -> None:
    """NotPermitted unless `actor` may publish and withdraw the scheme's figures (its manager);
    the page asks before reading its form, so a reader who may not gets a 403, not a 400."""
    if not permissions.can_manage_scheme(actor, scheme):
        raise NotPermitted(
            gettext("Only the scheme manager can publish or withdraw figures."),
            code="role_not_allowed",
        )


def quarter_to_publish(key: str, *, today: datetime.date | None = None) -> Period:
    """The quarter `key` names ("2026-Q3"), if it may be published: a quarter (not a year)
    that has ended. DomainError (not_a_quarter) or ConflictError (quarter_not_ended)."""
    try:
        period = Period.parse(key)
    except ValueError:
        period = None
    if period is None or period.is_year:
        raise DomainError(
            gettext("Choose a quarter, like 2026-Q3: figures are published a quarter at a time."),
            code="not_a_quarter",
            field="period",
        )
    today = today or timezone.localdate()
    if period.end >= today:
        next_day = period.end + datetime.timedelta(days=1)
        # A running quarter's figures are not final, and would tell when visits happen now.
        raise ConflictError(
            gettext("%(period)s has not ended: it can be published from %(day)s.")
            % {"period": period.label, "day": date_format(next_day, "j F Y")},
            code="quarter_not_ended",
            field="period",
        )
    return period


def publish_quarter(
    *, actor, scheme: Scheme, period: str, today: datetime.date | None = None
) -> PublishedQuarter:
    """Make the figures of the quarter `period` public. NotPermitted for anyone but the
    scheme's manager; DomainError for a year or a quarter not yet ended; ConflictError if it
    is public already."""
    require_publisher(actor, scheme)
    quarter = quarter_to_publish(period, today=today)
    with transaction.atomic():
        # The scheme's row is the lock: with no row yet for the quarter, two publishes at once
        # (a double click) would both insert one, and the second would fail on the constraint.
        Scheme.objects.select_for_update().filter(pk=scheme.pk).first()
        row = (
            PublishedQuarter.objects.select_for_update()
            .filter(scheme=scheme, period=quarter.key)
            .first()
        )
        if row is not None and row.is_live:
            raise ConflictError(
                gettext("%(period)s is already published.") % {"period": quarter.label},
                code="already_published",
            )
        row = row or PublishedQuarter(scheme=scheme, period=quarter.key)
        row.published_by, row.published_at = actor, timezone.now()
        row.withdrawn_by = row.withdrawn_at = None
        row.save()
        audit.record(
            actor=actor,
            action="figures.published",
            obj=row,
            scheme=scheme,
            detail={"period": quarter.key},
        )
    return row


def withdraw_quarter(*, actor, scheme: Scheme, period: str) -> PublishedQuarter:
    """Take the quarter `period` off the public page and open data. NotPermitted for anyone
    but the scheme's manager; ConflictError (not_published) if it is not public."""
    require_publisher(actor, scheme)
    with transaction.atomic():
        row = (
            PublishedQuarter.objects.select_for_update()
            .filter(scheme=scheme, period=period)
            .first()
        )
        if row is None or not row.is_live:
            raise ConflictError(
                gettext("Those figures are not published."), code="not_published", field="period"
            )
        row.withdrawn_by, row.withdrawn_at = actor, timezone.now()
        row.save()
        audit.record(
            actor=actor,
            action="figures.withdrawn",
            obj=row,
            scheme=scheme,
            detail={"period": row.period},
        )
    return row


# --- What the signed-in see of it ---------------------------------------------------------------

RECENT_QUARTERS = 8  # the ended quarters the manager's page offers, newest first


def may_see_publications(viewer, scheme: Scheme) -> bool:
    """Which quarters are public is for those who read the whole scheme's summary: the
    manager (who changes it) and the PCC reader. No query: memberships are loaded once."""
    return bool(permissions.roles_in(viewer, scheme) & {Role.MANAGER, Role.PCC})


@dataclass(frozen=True)
class QuarterState:
    period: Period
    published: PublishedQuarter | None  # its live publication, if any


@dataclass(frozen=True)
class PublicationOverview:
    scheme: Scheme
    quarters: list[QuarterState]  # the recent ended quarters, and any older public one
    can_change: bool  # the manager's
    next_quarter: Period  # the running one: it can be published once it has ended


def publication_overview(
    viewer, scheme: Scheme, *, today: datetime.date | None = None
) -> PublicationOverview:
    """The scheme's recent ended quarters and which are public, as `viewer` may see it (one
    query). NotFound for anyone but the manager and the PCC reader."""
    if not may_see_publications(viewer, scheme):
        raise NotFound(gettext("There is no such scheme."), code="not_found")
    running = Period.containing(today or timezone.localdate())
    periods = [running.previous()]
    while len(periods) < RECENT_QUARTERS:
        periods.append(periods[-1].previous())
    live = {
        row.period: row
        for row in PublishedQuarter.objects.live()
        .filter(scheme=scheme)
        .select_related("published_by")
    }
    older = [Period.parse(key) for key in sorted(live, reverse=True)]
    periods += [p for p in older if p.key < periods[-1].key]
    return PublicationOverview(
        scheme=scheme,
        quarters=[QuarterState(p, live.get(p.key)) for p in periods],
        can_change=permissions.can_manage_scheme(viewer, scheme),
        next_quarter=running,
    )


def scheme_for_publishing(viewer, slug: str) -> Scheme:
    """The scheme whose publications `viewer` may see (manager, PCC reader). NotFound
    otherwise: the force and the rest never learn of the control."""
    scheme = Scheme.objects.filter(slug=slug).first()
    if scheme is None or not may_see_publications(viewer, scheme):
        raise NotFound(gettext("There is no such scheme."), code="not_found")
    return scheme
