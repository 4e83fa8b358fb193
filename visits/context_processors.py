from django.utils.functional import SimpleLazyObject

from visits import permissions
from visits.models import Role


def navigation(request):
    """Which parts of the site the signed-in user's roles open, for the header's links."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def build():
        roles = {m.role for m in permissions.memberships_of(user)}
        return {
            "summaries": bool(roles & {Role.COORDINATOR, Role.MANAGER, Role.PCC, Role.FORCE}),
            "rota": "my-rota"
            if roles & {Role.VISITOR, Role.COORDINATOR}
            else ("rota-periods" if Role.MANAGER in roles else None),
        }

    return {"nav": SimpleLazyObject(build)}
