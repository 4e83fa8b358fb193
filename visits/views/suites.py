from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from visits import permissions
from visits.errors import DomainError
from visits.forms import SuiteForm, refuse
from visits.models import CustodySuite
from visits.services.suites import update_suite


def _visible_suites(user):
    return permissions.scope_suites(CustodySuite.objects.all(), user).select_related(
        "scheme", "panel"
    )


@require_GET
@login_required
def suite_list(request):
    suites = _visible_suites(request.user).order_by("scheme__name", "name")
    return render(request, "visits/suites/list.html", {"suites": suites})


@require_GET
@login_required
def suite_detail(request, pk: int):
    suite = get_object_or_404(_visible_suites(request.user), pk=pk)
    can_edit = permissions.can_edit_suite(request.user, suite)
    return render(request, "visits/suites/detail.html", {"suite": suite, "can_edit": can_edit})


@require_http_methods(["GET", "POST"])
@login_required
def suite_edit(request, pk: int):
    suite = get_object_or_404(_visible_suites(request.user), pk=pk)
    if not permissions.can_edit_suite(request.user, suite):
        raise PermissionDenied(gettext("Only the scheme manager can change a custody suite."))
    form = SuiteForm(request.POST or None, instance=CustodySuite.objects.get(pk=suite.pk))
    if request.method == "POST" and form.is_valid():
        try:
            update_suite(
                actor=request.user,
                suite=suite,
                changes=form.cleaned_data,
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(request, gettext("%(suite)s saved.") % {"suite": suite.shown_name})
            return redirect("suite-detail", pk=suite.pk)
    return render(request, "visits/suites/edit.html", {"suite": suite, "form": form})
