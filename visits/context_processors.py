from django.utils.functional import SimpleLazyObject

from visits import permissions


def navigation(request):
    """Which parts of the site the signed-in user's roles open, for the header's links."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def build():
        rota = None
        if permissions.recording_schemes(user):
            rota = "my-rota"
        elif permissions.managed_schemes(user):
            rota = "rota-periods"
        return {"summaries": bool(permissions.summary_schemes(user)), "rota": rota}

    return {"nav": SimpleLazyObject(build)}
