"""icv's settings for tests that run manage.py in processes of their own, as a deployment would,
with one change: a fast password hasher, since Argon2 (slow on purpose) would spend most of
their time hashing the demo accounts' passwords."""

from icv.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
