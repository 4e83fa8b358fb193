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
        # Volunteers (issue 22): the manager's list, or a volunteer's own record.
        volunteers = None
        if permissions.managed_schemes(user):
            volunteers = "volunteer-list"
        elif permissions.recording_schemes(user):
            volunteers = "own-record"
        return {
            "summaries": bool(permissions.summary_schemes(user)),
            "rota": rota,
            "volunteers": volunteers,
        }

    return {"nav": SimpleLazyObject(build)}
