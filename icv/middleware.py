import time

from django.conf import settings

REFRESH_EVERY_SECONDS = 60


class IdleSessionMiddleware:
    """Ends a session after ICV_SESSION_IDLE_MINUTES without a request.

    The session's expiry moves forward when it is saved, so we save it once a minute
    at most instead of on every request (which would cost a write per page).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if request.user.is_authenticated:
            now = int(time.time())
            last = session.get("refreshed_at", 0)
            if now - last >= REFRESH_EVERY_SECONDS:
                session["refreshed_at"] = now
                session.set_expiry(settings.SESSION_COOKIE_AGE)
        return self.get_response(request)
