from django.utils.translation import gettext
from rest_framework import authentication, exceptions

from api.throttling import FailedTokenThrottle
from visits.services import tokens


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer icv_...` with a personal token (see /account/tokens/)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                gettext("Send the header as: Authorization: Bearer <token>.")
            )
        row = tokens.authenticate(header[1])
        if row is None:
            # Guessing tokens is throttled like any anonymous request (DRF would check
            # throttles only after authentication and permissions).
            throttle = FailedTokenThrottle()
            if not throttle.allow_request(request, None):
                raise exceptions.Throttled(throttle.wait())
            raise exceptions.AuthenticationFailed(
                gettext("This token is not valid, or has been revoked.")
            )
        return row.user, row

    def authenticate_header(self, request):
        return self.keyword
