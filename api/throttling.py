from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _FromSettings:
    """Read the rate at request time, so settings (and tests) can change it."""

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]


class AnonThrottle(_FromSettings, AnonRateThrottle):
    pass


class UserThrottle(_FromSettings, UserRateThrottle):
    pass


class FailedTokenThrottle(AnonThrottle):
    """Failed token attempts, by address. Never asks who the user is: it runs while DRF is
    still working that out."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "token-failure", "ident": self.get_ident(request)}
