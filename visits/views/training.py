from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from visits import permissions
from visits.errors import DomainError
from visits.forms import refuse
from visits.models import Scheme
from visits.services import training, volunteers
from visits.training_forms import CompletionForm, GraduateForm, ModuleForm, training_part


def _volunteer(request, pk: int):
    return volunteers.volunteer_for(actor=request.user, pk=pk)


def _respond(request, membership, status=200, saved="", **forms):
    """htmx: the training part again. Otherwise a redirect to the volunteer's page when saved,
    or the training page with the form's errors."""
    part = training_part(membership, saved=saved, **forms)
    if request.htmx:
        return render(request, "volunteers/_training.html", {"training_part": part})
    if saved:
        messages.success(request, saved)
        return redirect(reverse("volunteer-detail", args=[membership.pk]) + "#training")
    errors = [f for f in forms.values() if f is not None and f.errors]
    context = {"training_part": part, "membership": membership, "error_forms": errors}
    return render(request, "volunteers/training_record.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def volunteer_training(request, pk: int):
    membership = _volunteer(request, pk)
    if request.method == "GET":
        return _respond(request, membership)
    form = CompletionForm(request.POST, scheme_id=membership.scheme_id, prefix="training")
    if form.is_valid():
        try:
            training.record_completion(
                actor=request.user, membership=membership, **form.cleaned_data
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _respond(request, membership, saved=_("Training recorded."))
    return _respond(request, membership, status=400, completion_form=form)


@require_POST
@login_required
def training_completion_remove(request, pk: int):
    completion = training.completions_for(request.user).filter(pk=pk).first()
    if completion is None:
        raise Http404("No such training record")
    membership = volunteers.volunteer_for(actor=request.user, pk=completion.membership_id)
    training.remove_completion(actor=request.user, completion=completion)
    return _respond(request, membership, saved=_("Training record removed."))


@require_POST
@login_required
def volunteer_graduate(request, pk: int):
    membership = _volunteer(request, pk)
    form = GraduateForm(request.POST, prefix="graduate")
    if form.is_valid():
        try:
            training.graduate(
                actor=request.user,
                membership=membership,
                override_reason=form.cleaned_data["override_reason"],
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _respond(request, membership, saved=_("They are now an experienced visitor."))
    return _respond(request, membership, status=400, graduate_form=form)


def _overview(request, form=None, status=200):
    schemes = training.overview(actor=request.user)
    if not schemes:
        raise Http404("Not a scheme manager")
    form = form or ModuleForm(schemes=[s.scheme for s in schemes], prefix="module")
    context = {
        "schemes": schemes,
        "module_form": form,
        "error_forms": [form] if form.errors else [],
    }
    return render(request, "volunteers/training.html", context, status=status)


@require_GET
@login_required
def training_overview(request):
    return _overview(request)


@require_POST
@login_required
def training_module_add(request):
    managed = permissions.managed_schemes(request.user)
    if not managed:
        raise Http404("Not a scheme manager")
    form = ModuleForm(
        request.POST, schemes=list(Scheme.objects.filter(pk__in=managed)), prefix="module"
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            training.add_module(
                actor=request.user,
                scheme_id=data["scheme"],
                new=training.NewModule(
                    name=data["name"],
                    required_for=data["required_for"],
                    renew_every_months=data["renew_every_months"],
                    description=data["description"],
                ),
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(request, _("Module added."))
            return redirect("training-overview")
    return _overview(request, form, status=400)


@require_POST
@login_required
def training_module_retire(request, pk: int):
    module = training.modules_for(request.user).filter(pk=pk).first()
    if module is None:
        raise Http404("No such module")
    training.retire_module(actor=request.user, module=module)
    messages.success(
        request, _("%(name)s retired: it is no longer asked of anyone.") % {"name": module.name}
    )
    return redirect("training-overview")
