"""The shared cache in the database (icv.cache.DatabaseCache): a `set` is one statement, and
it reads back what was set, as Django's own does."""

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test.utils import override_settings

from icv import cache as database_cache

DB_CACHE = {"default": {"BACKEND": "icv.cache.DatabaseCache", "LOCATION": "icv_test_cache"}}


@pytest.fixture
def cache(db):
    with override_settings(CACHES=DB_CACHE):
        call_command("createcachetable", verbosity=0)
        yield caches["default"]


def test_a_set_is_one_statement_and_reads_back(cache, django_assert_num_queries):
    with django_assert_num_queries(1):
        cache.set("throttle", [1, 2, 3], 60)
    with django_assert_num_queries(1):
        cache.set("throttle", [4], 60)  # over the first: still one
    assert cache.get("throttle") == [4]
    cache.set("gone", "x", -1)  # already expired
    assert cache.get("gone") is None
    cache.set("kept", {"a": 1}, None)  # no expiry
    assert cache.get("kept") == {"a": 1}
    assert cache.add("kept", "other") is False and cache.add("new", "y") is True
    cache.add("counter", 0)
    assert cache.incr("counter") == 1 and cache.get("counter") == 1


def test_the_table_is_cut_back_when_full(cache, monkeypatch):
    monkeypatch.setattr(database_cache, "CULL_EVERY", 10)
    cache._max_entries, cache._cull_frequency = 20, 2
    for n in range(60):
        cache.set(f"key-{n}", n, 60)
    rows = sum(1 for n in range(60) if cache.get(f"key-{n}") is not None)
    assert rows <= 20 + 10  # at most CULL_EVERY sets past the limit
    assert cache.get("key-59") == 59  # the newest is there
