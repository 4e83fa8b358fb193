"""The shared cache in the database (ICV_CACHE_URL=db://…, the default), with `set` in one
statement.

Django's DatabaseCache spends five statements on a `set`: it counts the table's rows (to cull
it when full), then, in a savepoint, looks the key up and updates or inserts it. The API's
throttle sets its counter on every request, so each API call paid them all. Here a `set` is one
upsert (INSERT … ON CONFLICT DO UPDATE, which SQLite and PostgreSQL both speak), and the rows are
counted for culling once every CULL_EVERY sets of a process instead of every time (the table may
run that many rows past MAX_ENTRIES before it is cut back, which is harmless). `add`, `touch` and
everything else are Django's.
"""

import base64
import contextlib
import itertools
import pickle
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router
from django.utils.timezone import now as tz_now

CULL_EVERY = 100


class DatabaseCache(DjangoDatabaseCache):
    def __init__(self, table, params):
        super().__init__(table, params)
        self._sets = itertools.count(1)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        if timeout is None:
            expires = datetime.max
        else:
            expires = datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        value = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        with connection.cursor() as cursor:
            if next(self._sets) % CULL_EVERY == 0:
                self._cull_if_full(db, cursor)
            # As Django's: a cache write that fails is a miss later, not an error now.
            with contextlib.suppress(DatabaseError):
                cursor.execute(
                    f"INSERT INTO {table} ({quote('cache_key')}, {quote('value')}, "
                    f"{quote('expires')}) VALUES (%s, %s, %s) ON CONFLICT ({quote('cache_key')}) "
                    f"DO UPDATE SET {quote('value')} = excluded.{quote('value')}, "
                    f"{quote('expires')} = excluded.{quote('expires')}",
                    [key, value, expires],
                )

    def _cull_if_full(self, db, cursor) -> None:
        cursor.execute(f"SELECT COUNT(*) FROM {connections[db].ops.quote_name(self._table)}")
        count = cursor.fetchone()[0]
        if count > self._max_entries:
            self._cull(db, cursor, tz_now().replace(microsecond=0), count)
