from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from visits import permissions
from visits.errors import DomainError
from visits.forms import EmailFilterForm, refuse
from visits.models import Email
from visits.services import mail


def _managed_schemes(request) -> list[int]:
    # Rota e-mails say which suite is visited which week: for the scheme manager alone.
    schemes = permissions.managed_schemes(request.user)
    if not schemes:
        raise Http404("No e-mails")
    return schemes


def email_list_context(request, schemes) -> dict:
    form = EmailFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(mail.emails_of_schemes(schemes, status), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"form": form, "page": page, "query": query.urlencode()}


@require_GET
@login_required
def email_list(request):
    context = email_list_context(request, _managed_schemes(request))
    template = "visits/mail/list.html#email-list" if request.htmx else "visits/mail/list.html"
    return render(request, template, context)


@require_POST
@login_required
def email_send_again(request, pk):
    email = get_object_or_404(Email, pk=pk, scheme_id__in=_managed_schemes(request))
    try:
        mail.send_again(actor=request.user, email=email)
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(
            request, gettext("The e-mail to %(to)s is queued again.") % {"to": email.to_address}
        )
    return redirect("email-list")
