"""gunicorn's settings for icv in production: `gunicorn -c gunicorn.conf.py icv.wsgi`.

Read from the same ICV_* environment as the app (docs/deployment.md). gthread workers: a worker
is a process with several threads, so one slow PDF render or one phone uploading a whole report
on a slow line holds a thread, not a process.
"""

import os

from icv.logging import logging_config


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


bind = os.environ.get("ICV_BIND", "127.0.0.1:8000")
# Two processes per CPU is a fair start; each has ICV_WEB_THREADS threads for requests that
# wait (database, storage, the client's slow upload).
workers = _int("ICV_WEB_WORKERS", 2 * (os.cpu_count() or 1))
threads = _int("ICV_WEB_THREADS", 4)
worker_class = "gthread"

# A whole report from a phone may be 72 MB (settings.API_LARGE_BODIES): at 1 Mbit/s that is
# about ten minutes, though the proxy buffers it (docs/deployment.md) so the app reads it fast.
# A summary PDF of a busy year takes seconds. A request still running after this is stuck.
timeout = _int("ICV_WEB_TIMEOUT", 120)
graceful_timeout = 30
# Connections from our proxy are reused between requests.
keepalive = 5

# A worker is replaced after this many requests (with jitter, so they do not all restart
# together): a slow leak in a library cannot grow without bound.
max_requests = _int("ICV_WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10)

# Who may set X-Forwarded-*: the addresses of our own proxies when the app sits behind one
# (ICV_BEHIND_PROXY / ICV_TRUSTED_PROXIES), nobody otherwise. The app reads the client's address
# and scheme itself (icv.middleware.client_address, SECURE_PROXY_SSL_HEADER); this only stops
# gunicorn rewriting them from a header a client sent.
_behind_proxy = _bool("ICV_BEHIND_PROXY") or _int("ICV_TRUSTED_PROXIES", 0) > 0
forwarded_allow_ips = (
    os.environ.get("ICV_PROXY_ADDRESSES", "127.0.0.1,::1") if _behind_proxy else "127.0.0.1,::1"
)

# Logs on stdout (journald or the container runtime keeps them), one line per request with the
# request's id (icv.logging): JSON unless ICV_LOG_FORMAT=text.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
logconfig_dict = logging_config(
    log_format=os.environ.get("ICV_LOG_FORMAT", "json"),
    level=os.environ.get("ICV_LOG_LEVEL", "INFO").upper(),
)

# Load the app before forking: a broken setting stops the start, not every worker one by one.
preload_app = True
# Worker heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
