"""Publishing a quarter's figures: the scheme manager chooses when a quarter that has ended
becomes public (visits.publication renders what the public may read of it), and may withdraw
it again. Each change is audited here, in the same transaction."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from visits import permissions
from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.models import PublishedQuarter, Role, Scheme
from visits.services import audit
from visits.summaries import Period


def _require_manager(actor, scheme: Scheme) -> None:
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
            % {"period": period.label, "day": f"{next_day.day} {next_day:%B %Y}"},
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
    _require_manager(actor, scheme)
    quarter = quarter_to_publish(period, today=today)
    with transaction.atomic():
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
    _require_manager(actor, scheme)
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


@dataclass(frozen=True)
class PublicationStatus:
    """What the summaries page says of publishing, for the manager and the PCC reader."""

    scheme: Scheme
    period: Period
    published: PublishedQuarter | None  # this period's live publication, if any
    live: list[PublishedQuarter]  # every quarter public now, newest first
    can_change: bool  # the manager's
    can_publish: bool  # a quarter that has ended and is not public yet
    not_ended: bool  # a quarter still running (or to come)


def publication_status(
    viewer, scheme: Scheme, period: Period, *, today: datetime.date | None = None
) -> PublicationStatus | None:
    """The publication of `period` as `viewer` may see it, or None: which quarters are public
    is for those who read the whole scheme's summary (the manager and the PCC reader)."""
    if not permissions.roles_in(viewer, scheme) & {Role.MANAGER, Role.PCC}:
        return None
    today = today or timezone.localdate()
    live = list(
        PublishedQuarter.objects.live()
        .filter(scheme=scheme)
        .select_related("published_by")
        .order_by("-period")
    )
    published = next((row for row in live if row.period == period.key), None)
    not_ended = not period.is_year and period.end >= today
    can_change = permissions.can_manage_scheme(viewer, scheme)
    return PublicationStatus(
        scheme=scheme,
        period=period,
        published=published,
        live=live,
        can_change=can_change,
        can_publish=can_change and not period.is_year and not not_ended and published is None,
        not_ended=not_ended,
    )


def scheme_for_publishing(viewer, slug: str) -> Scheme:
    """The scheme whose publications `viewer` may see (manager, PCC reader). NotFound
    otherwise: the force and the rest never learn of the control."""
    scheme = Scheme.objects.filter(slug=slug).first()
    if scheme is None or not permissions.roles_in(viewer, scheme) & {Role.MANAGER, Role.PCC}:
        raise NotFound(gettext("There is no such scheme."), code="not_found")
    return scheme
