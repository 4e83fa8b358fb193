"""The language a person reads (issue 21): the switch in every page's footer and the chooser on
the account page both post here. The choice goes into Django's language cookie, which
LocaleMiddleware reads on every request; a signed-in person's is kept on their account too
(visits.services.languages), and written back to the cookie whenever they sign in."""

from django.shortcuts import render
from django.views import i18n
from django.views.decorators.http import require_POST

from icv.languages import remember_language
from visits.errors import DomainError
from visits.forms import refuse
from visits.language_forms import LanguageForm
from visits.languages import chosen_language
from visits.services import languages


@require_POST
def set_language(request):
    """Django's set_language (the cookie, then back to `next` if it is on this site), after the
    signed-in person's choice is saved; "" forgets the cookie (the browser's preference)."""
    form = LanguageForm(request.POST)
    # Between the password and the two-factor code the person is not yet signed in: the cookie
    # changes, their account does not (icv.middleware.TwoFactorMiddleware).
    signed_in = request.user.is_authenticated and not getattr(request, "two_factor_pending", False)
    if form.is_valid() and signed_in:
        try:
            languages.choose_language(actor=request.user, language=form.cleaned_data["language"])
        except DomainError as error:
            refuse(request, error, form)
    if not form.is_valid():
        return render(request, "visits/account/language_refused.html", {"form": form}, status=400)
    language = form.cleaned_data["language"]
    response = i18n.set_language(request)
    if not language:
        remember_language(request, "")
    return response


def remember_chosen_language(sender, request, user, **kwargs):
    """On sign-in (user_logged_in): the language chosen on the account, into the cookie, so that
    it wins over the browser's from the next page on. None chosen: the cookie is left as it is."""
    language = chosen_language(user)
    if language and request is not None:
        remember_language(request, language)
