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


# Powerful browser features are off everywhere; the camera is on only where the photo step is.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera={camera}, display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "browsing-topics=()"
)
CAMERA_PAGES = {"visit-suite", "visit-photo-upload"}


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        camera = "(self)" if match and match.url_name in CAMERA_PAGES else "()"
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY.format(camera=camera))
        return response


# The responses with nothing personal in them, by URL name: their views decide how they are cached.
# Every other response is personal and gets PERSONAL_CACHE_CONTROL. Static files never get here:
# WhiteNoise, above this middleware in MIDDLEWARE, answers /static/ itself (with a max-age).
PUBLIC_URL_NAMES = (
    "login",  # the sign-in page; Django's LoginView sends its own never_cache (CSRF token)
    "service-worker",  # /sw.js, the app shell's worker: no-cache, so the browser re-checks it
    "manifest",  # /manifest.webmanifest
    "healthz",  # the probe; never_cache of its own
    "api-schema",  # the API's schema and its docs are public by design (api/urls.py)
    "api-docs",
)
PERSONAL_CACHE_CONTROL = "private, no-store"


class CacheControlMiddleware:
    """Every personal response (pages, API, files, photos, exports, feeds, redirects and error
    pages) is `Cache-Control: private, no-store`, so that neither a shared phone's browser nor a
    proxy keeps a copy. It replaces whatever a view set (a view's `private, max-age=...` is not
    enough); only the URLs named in PUBLIC_URL_NAMES keep their own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_public(request):
            response["Cache-Control"] = PERSONAL_CACHE_CONTROL
        return response


def is_public(request) -> bool:
    """Whether the request resolved to a URL in PUBLIC_URL_NAMES. One that did not resolve (a
    404, or a redirect by a middleware before the URL was looked up) is not."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in PUBLIC_URL_NAMES


class AuditAddressMiddleware:
    """Lets the audit trail record the address of the request behind each entry, without every
    caller passing it (visits.services.audit reads it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from visits.services import audit

        token = audit.current_address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            audit.current_address.reset(token)


def client_address(request) -> str | None:
    """The client's address: behind our proxy (ICV_BEHIND_PROXY) the first X-Forwarded-For
    hop, which the proxy sets; otherwise the socket's."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


class TwoFactorMiddleware:
    """After the password, the code: anyone with two-factor set up gives a code once per
    session, and managers, PCC readers and force leads must set it up before anything else.
    Token-authenticated API requests are not sessions and pass (the token is the credential)."""

    OPEN = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from visits.services import two_factor

        user = request.user
        if (
            user.is_authenticated
            and not request.session.get(two_factor.NOT_NEEDED)
            and not user.is_verified()
            and not request.path.startswith(self.OPEN)
        ):
            if two_factor.is_set_up(user):
                return self._to("two-factor-verify", request)
            if two_factor.required_for(user):
                return self._to("two-factor-setup", request)
        return self.get_response(request)

    def _to(self, name, request):
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode

        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "code": "two_factor_required",
                    "detail": "Sign in with your two-factor code first, or use an API token.",
                },
                status=403,
            )
        return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
