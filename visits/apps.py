from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Custody visiting")

    def ready(self):
        # Imported here, not at the top: these import the models, which cannot be loaded
        # before the app registry is ready (Django's rule for apps.py).
        from django.contrib.auth.signals import user_logged_in

        from visits.services import two_factor
        from visits.views.languages import remember_chosen_language

        user_logged_in.connect(two_factor.note_sign_in, dispatch_uid="two_factor_note_sign_in")
        user_logged_in.connect(remember_chosen_language, dispatch_uid="remember_chosen_language")
