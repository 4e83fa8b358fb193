import ipaddress
import json
import time
import uuid

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.core.signals import request_finished
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _

from icv.languages import language_to_remember, set_language_cookie
from icv.logging import REQUEST_ID_HEADER, SANE_REQUEST_ID, forget_request_id, request_id_var

REFRESH_EVERY_SECONDS = 60


class RequestIdMiddleware:
    """Gives every request an id: our proxy's X-Request-ID when we sit behind one and it looks
    sane, a new one otherwise. It is on every log line of the request (icv.logging) and on the
    response, so a person reporting a problem, the proxy's log and ours can be matched."""

    def __init__(self, get_response):
        self.get_response = get_response
        request_finished.connect(forget_request_id, dispatch_uid="icv_forget_request_id")

    def __call__(self, request):
        request_id = incoming_request_id(request) or uuid.uuid4().hex
        request.request_id = request_id
        # Kept until the response is closed (icv.logging.forget_request_id): Django logs a 4xx or
        # 5xx response after the middleware has returned it, and that line needs the id too.
        request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        except Exception as exc:
            # An error page that itself failed: answered (and logged) here, still with the id.
            response = response_for_exception(request, exc)
        response[REQUEST_ID_HEADER] = request_id
        return response


def incoming_request_id(request) -> str | None:
    """The proxy's id, only if a proxy of ours is in front (a client's own is not trusted)."""
    if not (settings.BEHIND_PROXY or settings.TRUSTED_PROXIES):
        return None
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if SANE_REQUEST_ID.match(value) else None


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


class DomainErrorMiddleware:
    """A page's view calls the core and lets a NotPermitted or NotFound it does not handle
    pass: it is answered here as Django's 403 or 404 (the same pages, handlers and log lines as
    a PermissionDenied or Http404 raised in the view), by visits.forms.page_exception, the
    mapping visits.forms.refuse uses. Any other domain error is a refusal the view must show;
    uncaught, it stays a 500. The API never gets here: DRF answers its views' exceptions itself
    (api.exceptions), before any middleware sees them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from visits.errors import DomainError
        from visits.forms import page_exception

        if not isinstance(exception, DomainError):
            return None
        answer = page_exception(exception)
        if answer is None:
            return None
        return response_for_exception(request, answer)


# --- The reader's language (docs/translations.md) -----------------------------------------------


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's: each page in the language of the language cookie, else of the browser's
    Accept-Language. The cookie stands for the account's choice, written when the person signs
    in and when they choose (remember_language), so no page reads the profile to know it.
    Responses vary on the cookie too: a public page kept by a proxy for one language is not
    handed to a reader who chose the other."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        language = language_to_remember(request)
        if language is not None:
            set_language_cookie(response, language)
        patch_vary_headers(response, ("Cookie",))
        return response


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
    "js-catalogue",  # /jsi18n/<lang>/, the scripts' strings (issue 21): no-cache with an ETag
    "healthz",  # the probe; never_cache of its own
    "api-schema",  # the API's schema and its docs are public by design (api/urls.py)
    "api-docs",
    # Published figures (issue 20): the same for everyone, rendered without the reader's name
    "public-figures",
    "public-quarter",
    "public-csv",
    "public-json",
    # Recruitment (issue 22): the application form (never_cache of its own: a CSRF token and a
    # time stamp) and its thank-you page (the same for everyone)
    "apply",
    "apply-thanks",
    # An ID card's check page (issue 22): no sign-in, its own Cache-Control (no-store)
    "card-check",
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
        elif response.cookies:
            # A public answer that sets a cookie (a signed-in reader's session refreshed on the
            # way, the sign-in page's CSRF token) is that reader's: their browser may keep it,
            # a shared cache must not, and never hand the cookie on.
            patch_cache_control(response, private=True)
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
    """The client's address as our own proxies saw it: the one address the lockout
    (django-axes, AXES_CLIENT_IP_CALLABLE), the audit trail and anything else that counts or
    records clients use.

    ICV_TRUSTED_PROXIES is how many proxies of ours stand in front of the app, each adding the
    address it was connected from to the right of X-Forwarded-For. With 0 (the default) the
    header is ignored and the socket's address (REMOTE_ADDR) is the client's. With N, the client
    is the Nth address from the right: everything to its left came from the client and may be
    made up. If the header has fewer than N addresses, or the Nth is not an IP address, the
    request did not come through our proxies as expected and the socket's address is used."""
    remote = _ip_or_none(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(hops) < proxies:
        return remote
    return _ip_or_none(hops[-proxies]) or remote


def _ip_or_none(value: str) -> str | None:
    """`value` as an IP address in its usual form, or None if it is not one. A port is dropped
    ("192.0.2.1:5678", "[2001:db8::1]:443"), as some proxies add one; IPv4 written as IPv6
    ("::ffff:192.0.2.1") becomes plain IPv4."""
    value = value.strip()
    if value.startswith("["):  # [IPv6] or [IPv6]:port
        value, bracket, port = value[1:].partition("]")
        if not bracket or (port and not (port[0] == ":" and port[1:].isdigit())):
            return None
    elif value.count(":") == 1:  # IPv4:port
        value, _, port = value.partition(":")
        if not port.isdigit():
            return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return None
        address = address.ipv4_mapped or address
    return str(address)


class TwoFactorMiddleware:
    """After the password, the code: anyone with two-factor set up gives a code once per
    session, and managers, PCC readers and force leads must set it up before anything else.
    Token-authenticated API requests are not sessions and pass (the token is the credential)."""

    OPEN = (
        "/accounts/two-factor/",
        "/accounts/logout/",
        "/static/",
        "/healthz",
        "/public/",
        # The language switch works on the two-factor pages too; before the code it sets the
        # cookie only, not the account (visits.views.languages, `two_factor_pending`).
        "/language/",
        # The scripts' catalogue (public): the two-factor pages' scripts need it too.
        "/jsi18n/",
    )

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
        request.two_factor_pending = (
            user.is_authenticated
            and request.path.startswith("/language/")
            and not request.session.get(two_factor.NOT_NEEDED)
            and not user.is_verified()
            and (two_factor.is_set_up(user) or two_factor.required_for(user))
        )
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
                    "detail": _("Sign in with your two-factor code first, or use an API token."),
                },
                status=403,
            )
        return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


# --- The API's error shape ----------------------------------------------------------------------

API_PREFIX = "/api/"
# For an error answered by something other than the API's views: Django's 404 for a route that
# does not exist, its 400 for a body it would not read, a 500 page. DRF's own errors already
# have the shape (api/exceptions.py) and keep their codes.
API_ERRORS = {
    400: ("bad_request", _("The request could not be read.")),
    401: ("not_authenticated", _("Authentication credentials were not provided.")),
    403: ("permission_denied", _("You do not have permission to do this.")),
    404: ("not_found", _("Not found, or not yours to see.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    413: ("too_large", ""),  # says the limit: api.exceptions.too_large_message
    429: ("throttled", _("Too many requests. Try again later.")),
    500: ("server_error", _("Something went wrong on our side. It has been logged; try again.")),
}
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class ApiErrorMiddleware:
    """Every error answered under /api/ is JSON in the API's one shape, {code, detail, fields},
    whatever answered it: a route that matches nothing, a method, a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE (413, refused from its Content-Length before anything reads
    it), a 500. Pages keep their own error pages.

    Sits below GZipMiddleware (it reads bodies before they are compressed) and above the
    session and authentication (an oversized body costs no session look-up)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if _declared_length(request) > body_limit(request):
            return _api_error(413, body_limit(request))
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming:
            return response
        shaped = _error_body(response)
        if shaped is None:
            replacement = _api_error(response.status_code)
            for name in KEPT_HEADERS:
                if name in response:
                    replacement[name] = response[name]
            return replacement
        if "fields" not in shaped:  # e.g. TwoFactorMiddleware's answer
            shaped["fields"] = {}
            response.content = json.dumps(shaped)
            if "Content-Length" in response:  # set below, by CommonMiddleware
                response["Content-Length"] = str(len(response.content))
        return response


def body_limit(request) -> int:
    """The largest body this API request may have: DATA_UPLOAD_MAX_MEMORY_SIZE, or more for a
    route that carries photos (settings.API_LARGE_BODIES, by the route's name)."""
    from django.urls import Resolver404, resolve

    try:
        name = resolve(request.path_info).url_name
    except Resolver404:
        name = None
    return settings.API_LARGE_BODIES.get(name, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _error_body(response) -> dict | None:
    """The response's body if it is JSON with a code and a detail (the shape, perhaps
    without its fields), else None."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or not {"code", "detail"} <= set(body):
        return None
    if "fields" in body and not isinstance(body["fields"], dict):
        return None
    return body


def _api_error(status: int, limit: int | None = None):
    from django.http import JsonResponse

    code, detail = API_ERRORS.get(status, ("error", _("The request could not be answered.")))
    if status == 413:
        from api.exceptions import too_large_message

        detail = too_large_message(limit)
    return JsonResponse({"code": code, "detail": detail, "fields": {}}, status=status)
