import datetime
import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from visits import permissions
from visits.errors import NotFound
from visits.health import deep_health
from visits.models import Issue, Role, RotaPeriod, RotaSlot, Visit
from visits.periods import Period
from visits.summaries import manager_queue, summary_scope, visible_summary
from visits.visible_issues import for_reading, readable_issues, visible_issues
from visits.workdays import monday_of


def _visiting_context(user, today: datetime.date) -> dict:
    monday = monday_of(today)
    next_slot = (
        permissions.scope_rota_slots(RotaSlot.objects.all(), user)
        .filter(visitors=user, status=RotaSlot.Status.PLANNED, week_starts_on__gte=monday)
        .select_related("suite")
        .prefetch_related("visitors")
        .order_by("week_starts_on")
        .first()
    )
    drafts = (
        Visit.objects.drafts()
        .filter(visit_visitors__user=user)
        .select_related("suite")
        .order_by("-arrived_at")
    )
    raised = readable_issues(user).filter(raised_by=user)[:10]
    return {
        "next_slot": next_slot,
        "drafts": list(drafts),
        "raised_issues": visible_issues(user, raised),
    }


def _manager_context(scheme_ids: list[int], today: datetime.date) -> dict:
    collecting = (
        RotaPeriod.objects.filter(scheme_id__in=scheme_ids, status=RotaPeriod.Status.COLLECTING)
        .order_by("availability_closes_on")
        .first()
    )
    return {"queue": manager_queue(scheme_ids, today), "collecting_period": collecting}


# The PCC's glance at this quarter: figures of the summary itself (the same computation as the
# dashboard, PDF, CSV and API), under the same labels.
HOME_FIGURES = ["visits_made", "visits_abandoned", "issues_open_at_end"]


def _reader_context(user, today: datetime.date) -> dict:
    try:
        scope = summary_scope(user, {"period": Period.containing(today).key})
    except NotFound:  # a PCC reader of no scheme yet
        return {}
    summary = visible_summary(user, scope, today=today, glance=True)
    figures = [
        (key, label, now) for key, label, now, _before in summary.labelled() if key in HOME_FIGURES
    ]
    return {"quarter_summary": summary, "quarter_figures": figures}


HOME_LIST_LENGTH = 20


def _force_context(user, today: datetime.date) -> dict:
    referred = (
        permissions.scope_issues(Issue.objects.all(), user)
        .waiting_for_force()
        .select_related("suite")
        .order_by("due_on", "pk")
    )
    # The most pressing first; the count says how many more wait.
    first = visible_issues(user, for_reading(referred)[:HOME_LIST_LENGTH])
    more = referred.count() - len(first) if len(first) == HOME_LIST_LENGTH else 0
    return {"referred_issues": first, "referred_more": more}


def home_context(user) -> dict:
    today = timezone.localdate()
    memberships = permissions.memberships_of(user)
    roles = {m.role for m in memberships}
    context = {"memberships": memberships, "roles": roles, "today": today}
    if roles & {Role.VISITOR, Role.COORDINATOR}:
        context |= _visiting_context(user, today)
    if Role.COORDINATOR in roles:
        context["panels"] = [m.panel for m in memberships if m.role == Role.COORDINATOR and m.panel]
    if Role.MANAGER in roles:
        context |= _manager_context(permissions.managed_schemes(user), today)
    if Role.PCC in roles:
        context |= _reader_context(user, today)
    if Role.FORCE in roles:
        context |= _force_context(user, today)
    return context


@require_GET
@login_required
def home(request):
    return render(request, "visits/home.html", home_context(request.user))


@require_GET
@never_cache
def healthz(request):
    if "deep" not in request.GET:
        # For load balancers, every few seconds: one round trip to the database, nothing else.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return HttpResponse("ok", content_type="text/plain")
    if not _may_see_deep_health(request):
        return JsonResponse({"status": "forbidden"}, status=403)
    healthy, checks = deep_health()
    body = {"status": "ok" if healthy else "failing", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


def _may_see_deep_health(request) -> bool:
    """Only a monitor that sends ICV_HEALTHZ_TOKEN (`Authorization: Bearer ...`). Without a
    token set, only in development and tests: in production the deep check counts every
    scheme's e-mail and writes to the media store, so it is not for anyone who asks."""
    token = settings.ICV_HEALTHZ_TOKEN
    if not token:
        return settings.DEBUG or settings.TESTING
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), token.encode())
