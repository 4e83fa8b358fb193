from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from visits import permissions
from visits.errors import DomainError
from visits.expense_forms import ClaimForm, PayForm, QueryForm, RateForm, initial_of
from visits.forms import refusal_of, refuse
from visits.models import ExpenseClaim, Scheme
from visits.services import expenses

# --- The volunteer's own claims -----------------------------------------------------------------


def _require_claimant(request):
    if not expenses.claiming_memberships(request.user).exists():
        raise Http404("Not a visitor")


def _require_claimant_or_claims(request):
    """Their list is theirs while they visit, and after they leave if they claimed."""
    if not expenses.own_claims(request.user).exists():
        _require_claimant(request)


OWN_PAGE_SIZE = 25
LIST_PAGE_SIZE = 20  # cards within the page budget (50 KB), each with its question box


def _page_of(request, queryset, size):
    # get_page: a page number that is not one (or past the end) gives the nearest page.
    return Paginator(queryset, size).get_page(request.GET.get("page"))


@require_GET
@login_required
def own_expenses(request):
    _require_claimant_or_claims(request)
    mine = expenses.own_claims(request.user)
    page = _page_of(request, mine.order_by("-incurred_on", "-pk"), OWN_PAGE_SIZE)
    paid_pence = expenses.paid_total_pence(mine)
    return render(request, "expenses/own.html", {"page": page, "paid_pence": paid_pence})


def _claim_page(request, form, claim=None, status=200):
    context = {"form": form, "claim": claim}
    if claim is None:
        memberships = list(expenses.claiming_memberships(request.user))
        context["rates"] = [(m.scheme, expenses.rate_in_force(m.scheme_id)) for m in memberships]
    template = "expenses/claim.html"
    return render(
        request, f"{template}#claim-form" if request.htmx else template, context, status=status
    )


def _claim_form(request, claim=None, **kwargs) -> ClaimForm:
    schemes = [m.scheme for m in expenses.claiming_memberships(request.user)]
    return ClaimForm(visits=_visits_for(request, claim), schemes=schemes, **kwargs)


def _visits_for(request, claim=None):
    visits = list(expenses.claimable_visits(request.user))
    if claim is not None and claim.visit_id and claim.visit not in visits:
        visits.insert(0, claim.visit)
    return visits


def _save_claim(request, claim, save):
    form = _claim_form(request, claim, data=request.POST, files=request.FILES)
    if form.is_valid():
        try:
            saved = save(form.details())
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(
                request,
                _("Claim sent to your scheme manager: £%(total)s.")
                % {"total": expenses.pounds(saved.total_pence)},
            )
            # htmx: a whole page load of the list, as without JavaScript (its notice read out).
            if request.htmx:
                return HttpResponseClientRedirect(reverse("own-expenses"))
            return redirect("own-expenses")
    # htmx swaps the form with its errors in place: a 200 (see volunteers._record).
    return _claim_page(request, form, claim, status=200 if request.htmx else 400)


@require_http_methods(["GET", "POST"])
@login_required
def expense_new(request):
    _require_claimant(request)
    if request.method == "GET":
        return _claim_page(request, _claim_form(request))
    return _save_claim(
        request,
        None,
        lambda details: expenses.submit_claim(actor=request.user, details=details),
    )


def _visible_claim(request, pk):
    return expenses.claim_for(actor=request.user, pk=pk)


def _own_claim(request, pk):
    """The user's own claim: 404 if they cannot see it, 403 if they see it (the manager) but
    it is not theirs to change."""
    return expenses.claim_to_change(actor=request.user, pk=pk)


@require_http_methods(["GET", "POST"])
@login_required
def expense_edit(request, pk: int):
    claim = _own_claim(request, pk)
    if not claim.editable:
        messages.error(request, _("This claim can no longer be changed."))
        return redirect("own-expenses")
    if request.method == "GET":
        form = _claim_form(request, claim, initial=initial_of(claim))
        return _claim_page(request, form, claim)
    return _save_claim(
        request,
        claim,
        lambda details: expenses.edit_claim(actor=request.user, claim=claim, details=details),
    )


@require_POST
@login_required
def expense_withdraw(request, pk: int):
    claim = _own_claim(request, pk)
    try:
        expenses.withdraw_claim(actor=request.user, claim=claim)
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(request, _("Claim withdrawn."))
    return redirect("own-expenses")


@require_GET
@login_required
def expense_receipt(request, pk: int):
    claim = _visible_claim(request, pk)
    if not claim.receipt:
        raise Http404("No receipt")
    try:
        return FileResponse(claim.receipt.open("rb"), content_type="image/jpeg")
    except FileNotFoundError:
        raise Http404("The receipt file is missing.") from None


# --- The manager's list ----------------------------------------------------------------------


FILTERS = [("awaiting", gettext_lazy("To decide"))] + [
    (value, label) for value, label in ExpenseClaim.Status.choices
]


def _require_manager(request) -> list[int]:
    schemes = permissions.managed_schemes(request.user)
    if not schemes:
        raise Http404("Not a scheme manager")
    return schemes


def _managed_schemes(request) -> list[Scheme]:
    return list(Scheme.objects.filter(pk__in=_require_manager(request)))


def _list_context(
    request,
    *,
    query_form=None,
    query_claim=None,
    pay_form=None,
    rate_form=None,
    done=None,
    refusal=None,
):
    status = request.GET.get("status", "awaiting")
    claims = expenses.status_filter(expenses.managed_claims(request.user), status)
    page = _page_of(request, claims.order_by("incurred_on", "pk"), LIST_PAGE_SIZE)
    claims = list(page)
    schemes = _managed_schemes(request)
    refused = None
    if refusal:  # a decision the claim's state no longer allows: said in the error summary
        refused = forms.Form(data={})
        refused.is_valid()
        refused.add_error(None, refusal)
    rows = [
        {
            "claim": c,
            "decisions": expenses.open_decisions(request.user, c),
            "form": query_form
            if query_claim is not None and c.pk == query_claim.pk
            else _query_form(c),
        }
        for c in claims
    ]
    return {
        "claims": claims,
        "rows": rows,
        "has_approved": any(c.status == ExpenseClaim.Status.APPROVED for c in claims),
        "status": status,
        "filters": [(value, str(label)) for value, label in FILTERS] + [("all", _("All"))],
        "page": page,
        "query_form": query_form,
        "query_claim": query_claim,
        "pay_form": pay_form or PayForm(initial={"paid_on": timezone.localdate()}),
        "rate_form": rate_form
        or RateForm(schemes=schemes, initial={"starts_on": timezone.localdate()}),
        "rates": [(s, expenses.rate_in_force(s.pk)) for s in schemes],
        "error_forms": [f for f in (query_form, pay_form, rate_form, refused) if f and f.errors],
        "done": done,
    }


def _query_form(claim, data=None) -> QueryForm:
    # One question box per claim on the page: each its own ids.
    return QueryForm(data, auto_id=f"id_query_{claim.pk}_%s")


def _list_page(request, status=200, **forms):
    template = "expenses/list.html"
    context = _list_context(request, **forms)
    return render(
        request, f"{template}#expense-claims" if request.htmx else template, context, status=status
    )


@require_GET
@login_required
def expense_list(request):
    _require_manager(request)
    return _list_page(request)


def _managed_claim(request, pk):
    """A claim the manager decides: 404 if invisible, 403 for its claimant (who sees it)."""
    return expenses.claim_to_decide(actor=request.user, pk=pk)


def _after_decision(request, message):
    # htmx: the list part says it in place (a role="status" notice); a plain POST redirects.
    if request.htmx:
        return _list_page(request, done=message)
    messages.success(request, message)
    status = request.GET.get("status")
    query = "?" + urlencode({"status": status}) if status else ""
    return redirect(reverse("expense-list") + query)


@require_POST
@login_required
def expense_approve(request, pk: int):
    claim = _managed_claim(request, pk)
    try:
        expenses.approve_claim(actor=request.user, claim=claim)
    except DomainError as error:
        return _list_page(
            request, status=200 if request.htmx else error.status, refusal=refusal_of(error)
        )
    return _after_decision(request, _("Claim %(pk)s approved.") % {"pk": claim.pk})


@require_POST
@login_required
def expense_query(request, pk: int):
    claim = _managed_claim(request, pk)
    form = _query_form(claim, request.POST)
    if form.is_valid():
        try:
            expenses.query_claim(
                actor=request.user, claim=claim, question=form.cleaned_data["question"]
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _after_decision(
                request, _("Claim %(pk)s sent back with your question.") % {"pk": claim.pk}
            )
    status = 200 if request.htmx else 400
    return _list_page(request, status=status, query_form=form, query_claim=claim)


@require_POST
@login_required
def expense_pay(request):
    _require_manager(request)
    visible = expenses.managed_claims(request.user)
    form = PayForm(request.POST, claim_ids=visible.values_list("pk", flat=True))
    if form.is_valid():
        try:
            paid = expenses.mark_paid(
                actor=request.user,
                claims=visible.filter(pk__in=form.cleaned_data["claims"]),
                paid_on=form.cleaned_data["paid_on"],
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            done = ngettext(
                "%(n)s claim marked as paid.", "%(n)s claims marked as paid.", len(paid)
            ) % {"n": len(paid)}
            return _after_decision(request, done)
    status = 200 if request.htmx else 400
    return _list_page(request, status=status, pay_form=form)


@require_POST
@login_required
def expense_rate(request):
    form = RateForm(request.POST, schemes=_managed_schemes(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            expenses.set_mileage_rate(
                actor=request.user,
                scheme=data["scheme"],
                pence_per_mile=data["pence_per_mile"],
                starts_on=data["starts_on"],
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _after_decision(request, _("Mileage rate saved."))
    return _list_page(request, status=200 if request.htmx else 400, rate_form=form)


@require_GET
@login_required
def expense_export(request):
    schemes = _require_manager(request)
    status = request.GET.get("status", "all")
    claims = list(
        expenses.status_filter(expenses.managed_claims(request.user), status).order_by(
            "incurred_on", "pk"
        )
    )
    expenses.audit_export(actor=request.user, count=len(claims), scheme_ids=schemes)
    response = HttpResponse(expenses.claims_csv(claims), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="expenses.csv"'
    return response
