"""Load benchmark: two gunicorn processes and the task worker on PostgreSQL, under concurrent use.

    .venv/bin/python bench/load.py                 # a throwaway PostgreSQL on 127.0.0.1:54344
    ICV_DATABASE_URL=postgres://... bench/load.py  # an existing, empty database instead

Starts PostgreSQL as .ci/run does (as the postgres user when run as root), migrates, builds the
scheme-scale dataset (bench/dataset.py), collects static files, starts two gunicorn processes
with gunicorn.conf.py (as two machines would run them) and `manage.py db_worker`, signs the
personas in as people do (password, then the two-factor code of an authenticator app), and
drives the visitor's step pages, the issue board, /api/visits/ and the summary dashboard at
concurrency 1, 8 and 32, alternating between the two processes as a load balancer would.
Then the mail server is down: the manager refers issues to the force through the API (each
queues an e-mail to the force's custody lead), the worker's attempts fail, the mail server comes
back on its port (a small SMTP server here), and the run waits until every e-mail is sent: none
lost, none sent twice. Writes requests/s, p50/p95/p99, errors and the e-mail figures to
bench/RESULTS.md; exits 1 on any error, lost or duplicated e-mail.

Bounded: 127.0.0.1 only, a few seconds per level, everything it started stopped at the end
(about two minutes in all).
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
HOST = "127.0.0.1"
HEADER = "## Load: two gunicorn processes and a worker on PostgreSQL"
PERSONAS = ("visitor", "manager", "pcc")


# --- Processes ----------------------------------------------------------------------------------


class ThrowawayPostgres:
    """A PostgreSQL server in a temporary directory, on 127.0.0.1 only, removed on stop."""

    def __init__(self, port: int):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="icv-load-pg."))
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise SystemExit(
                "PostgreSQL is not installed (apt-get install postgresql), or set ICV_DATABASE_URL."
            )
        self.bin = bins[-1]
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True)

    def start(self) -> str:
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self.dir} -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-o",
            options,
            "start",
        )
        self._run(
            str(self.bin / "createdb"),
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "icv_load",
        )
        return f"postgres://postgres@{HOST}:{self.port}/icv_load"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"
            )
        shutil.rmtree(self.dir, ignore_errors=True)


def app_environment(database_url: str, data_dir: Path, mail_port: int) -> dict:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "icv.settings",
        "ICV_DEBUG": "false",
        "ICV_SECRET_KEY": "load-benchmark-only-secret-key-not-for-production-0123456789",
        "ICV_HTTPS": "false",
        "ICV_ALLOWED_HOSTS": f"{HOST},localhost",
        "ICV_DATABASE_URL": database_url,
        "ICV_DATA_DIR": str(data_dir),
        # A real SMTP server's address; nothing listens there until the mail phase brings it up.
        "ICV_EMAIL_URL": f"smtp://{HOST}:{mail_port}/?timeout=5",
        # One person's API limit is 600 a minute; 32 threads of one persona would pass it in
        # seconds. The throttle is not what is measured here.
        "ICV_API_RATE_USER": "1000000/minute",
        "ICV_LOG_LEVEL": "WARNING",
        "ICV_WEB_WORKERS": "2",
        "ICV_WEB_THREADS": "4",
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def build_dataset(env: dict) -> None:
    code = (
        "import django; django.setup(); "
        "from bench.dataset import SCALES, build; build(SCALES['scheme'])"
    )
    subprocess.run([PYTHON, "-c", code], env=env, check=True, cwd=ROOT)


def wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited ({process.returncode}); see its log")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"gunicorn on port {port} did not answer /healthz in {seconds} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class MailServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend (EHLO, MAIL, RCPT, DATA, QUIT): it keeps each
    message's recipients, so lost and duplicated e-mails can be counted."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int):
        self.received: list[tuple[str, ...]] = []
        self.lock = threading.Lock()
        super().__init__((HOST, port), _SmtpSession)


class _SmtpSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 load-bench SMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-load-bench")
                self.reply("250 8BITMIME")
            elif verb == b"RCPT":
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass  # the message itself is not needed, only that it arrived
                with self.server.lock:
                    self.server.received.append(tuple(sorted(recipients)))
                recipients = []
                self.reply("250 OK")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:  # HELO, MAIL, RSET, NOOP
                self.reply("250 OK")


def post_json(port: int, cookie: str, csrf: str, path: str, body: dict) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    connection.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={"Cookie": cookie, "X-CSRFToken": csrf, "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    response.read()
    return response.status


def mail_phase(session: "Session", ports: list[int], mail_port: int, referrals: int) -> dict:
    """The mail server is down while the manager refers issues through the API; it comes back;
    every e-mail is sent once. Returns the figures."""
    from visits.models import Email, Issue

    first_email = (Email.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
    issues = list(
        Issue.objects.filter(scheme__slug="norfolk", status=Issue.Status.RAISED)
        .exclude(visit__isnull=True)
        .order_by("pk")
        .values_list("pk", "revision")[:referrals]
    )
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    csrf = session.cookies.get("csrftoken", "")
    statuses: list[int] = []

    def refer(i: int, pk: int, revision: int) -> None:
        body = {"action": "refer", "text": "Please look into this.", "revision": revision}
        statuses.append(
            post_json(ports[i % len(ports)], cookie, csrf, f"/api/issues/{pk}/act/", body)
        )

    threads = [
        threading.Thread(target=refer, args=(i, pk, rev)) for i, (pk, rev) in enumerate(issues)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    emails = Email.objects.filter(pk__gt=first_email)
    queued = emails.count()
    # The worker tries each at once and fails: the server is down.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and emails.filter(attempts=0).exists():
        time.sleep(1)
    failed_attempts = emails.filter(attempts__gte=1).exclude(status=Email.Status.SENT).count()
    reasons = sorted(set(emails.exclude(last_error="").values_list("last_error", flat=True)))

    server = MailServer(mail_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    back = time.monotonic()
    deadline = back + 240
    while time.monotonic() < deadline and emails.exclude(status=Email.Status.SENT).exists():
        time.sleep(2)
    all_sent_after = time.monotonic() - back
    time.sleep(2)  # anything sent twice would arrive now
    server.shutdown()
    server.server_close()
    # Counted by recipient: the same lead may rightly get several; more than queued is a repeat.
    expected = Counter((address,) for address in emails.values_list("to_address", flat=True))
    received = Counter(server.received)
    return {
        "referrals": len(issues),
        "refer_errors": sum(1 for status in statuses if status != 200),
        "queued": queued,
        "failed_attempts": failed_attempts,
        "reasons": [reason[:80] for reason in reasons][:2],
        "sent": emails.filter(status=Email.Status.SENT).count(),
        "received": received.total(),
        "lost": (expected - received).total(),
        "duplicated": (received - expected).total(),
        "all_sent_after": all_sent_after,
    }


# --- Signing in ---------------------------------------------------------------------------------


class Session:
    """One persona's cookies, shared by the threads acting as that persona."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.body = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response

    def form_token(self, path: str) -> str:
        page = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert match, f"no form on {path} ({page.status})"
        return match.group(1).decode()


def sign_in(username: str, password: str, port: int, codes: dict) -> Session:
    """Password, then (for those who have set it up) the authenticator's current code."""
    session = Session(port)
    token = session.form_token("/accounts/login/")
    signed = session.request(
        "POST",
        "/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
    )
    assert signed.status == 302, f"{username}: sign-in answered {signed.status}"
    if username in codes:
        token = session.form_token("/accounts/two-factor/verify/")
        verified = session.request(
            "POST",
            "/accounts/two-factor/verify/",
            {"code": codes[username](), "csrfmiddlewaretoken": token},
        )
        assert verified.status == 302, f"{username}: two-factor answered {verified.status}"
    home = session.request("GET", "/")
    assert home.status == 200, f"{username}: home answered {home.status} after signing in"
    return session


def two_factor_codes(env: dict) -> tuple[dict, dict]:
    """Authenticator devices for the personas who must use two-factor, and what the benchmark
    needs of the data: the visitor's draft, the last quarter."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from visits.models import Visit
    from visits.services import two_factor
    from visits.summaries import Period

    codes = {}
    for username in PERSONAS:
        user = get_user_model().objects.get(username=username)
        if two_factor.required_for(user):
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="load", defaults={"confirmed": True}
            )

            def code(key=device.bin_key, device=device):
                totp = TOTP(key, device.step, device.t0, device.digits, device.drift)
                return f"{totp.token():0{device.digits}d}"

            codes[username] = code
    draft = Visit.objects.filter(status="draft", visit_visitors__user__username="visitor").first()
    last_quarter = Period.containing(timezone.localdate()).previous()
    return codes, {"draft": str(draft.uuid), "quarter": last_quarter.key}


# --- Load ---------------------------------------------------------------------------------------


def request_mix(data: dict) -> list[tuple[str, str, str]]:
    """(kind, persona, path): what each thread requests, in turn."""
    steps = ["admission", "numbers", "detainees", "suite", "issues", "sign-off", "check"]
    return [
        *[("visitor step page", "visitor", f"/visits/{data['draft']}/{step}/") for step in steps],
        ("issue board", "manager", "/issues/"),
        ("/api/visits/", "manager", "/api/visits/"),
        ("summary dashboard", "pcc", f"/summaries/?period={data['quarter']}"),
    ]


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, ok: bool) -> None:
        with self.lock:
            self.times.setdefault(kind, []).append(ms)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1


def drive(
    cookies: dict, ports: list[int], mix: list, concurrency: int, seconds: float
) -> tuple[Tally, float]:
    tally = Tally()
    stop_at = time.monotonic() + seconds

    def worker(n: int) -> None:
        connections = {port: http.client.HTTPConnection(HOST, port, timeout=60) for port in ports}
        i = n
        while time.monotonic() < stop_at:
            kind, persona, path = mix[i % len(mix)]
            port = ports[i % len(ports)]  # a load balancer's round robin
            i += 1
            start = time.perf_counter()
            try:
                connection = connections[port]
                connection.request("GET", path, headers={"Cookie": cookies[persona]})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connections[port] = http.client.HTTPConnection(HOST, port, timeout=60)
                ok = False
            tally.add(kind, (time.perf_counter() - start) * 1000, ok)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarise(tally: Tally, elapsed: float) -> list[tuple]:
    rows = []
    everything = [ms for times in tally.times.values() for ms in times]
    for kind, times in [("all", everything), *sorted(tally.times.items())]:
        errors = sum(tally.errors.values()) if kind == "all" else tally.errors.get(kind, 0)
        rows.append(
            (
                kind,
                len(times),
                len(times) / elapsed,
                percentile(times, 50),
                percentile(times, 95),
                percentile(times, 99),
                errors,
            )
        )
    return rows


# --- Main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="seconds at each concurrency")
    parser.add_argument("--levels", default="1,8,32", help="concurrencies, comma-separated")
    parser.add_argument("--pg-port", type=int, default=54344)
    parser.add_argument("--web-ports", default="8761,8762")
    parser.add_argument("--referrals", type=int, default=24, help="issues referred, mail down")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    ports = [int(port) for port in args.web_ports.split(",")]

    begun = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="icv-load."))
    postgres = None
    processes: list[subprocess.Popen] = []
    static_existed = (ROOT / "staticfiles").exists()
    try:
        database_url = os.environ.get("ICV_DATABASE_URL", "")
        if not database_url:
            postgres = ThrowawayPostgres(args.pg_port)
            database_url = postgres.start()
        mail_port = free_port()
        env = app_environment(database_url, work / "data", mail_port)
        print("Migrating and building the scheme-scale dataset...", flush=True)
        manage(env, "migrate", "--noinput", "-v0")
        build_dataset(env)
        manage(env, "collectstatic", "--noinput", "-v0")
        codes, data = two_factor_codes(env)

        for port in ports:
            log = open(work / f"gunicorn-{port}.log", "w")  # noqa: SIM115 (closed with the process)
            gunicorn = [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "icv.wsgi"]
            processes.append(
                subprocess.Popen(
                    gunicorn,
                    env=env | {"ICV_BIND": f"{HOST}:{port}"},
                    cwd=ROOT,
                    stdout=log,
                    stderr=log,
                )
            )
        worker_log = work / "worker.log"
        worker = subprocess.Popen(
            [PYTHON, str(ROOT / "manage.py"), "db_worker", "--no-startup-delay"],
            env=env,
            cwd=ROOT,
            stdout=open(worker_log, "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        processes.append(worker)
        for port, process in zip(ports, processes, strict=False):
            wait_for(port, process)
        time.sleep(1)
        worker_state = "running" if worker.poll() is None else f"exited ({_last_line(worker_log)})"
        print(f"Two gunicorn processes on {ports}; task worker {worker_state}", flush=True)

        password = env.get("ICV_DEMO_PASSWORD", "demo")
        sessions = {name: sign_in(name, password, ports[0], codes) for name in PERSONAS}
        cookies = {
            name: "; ".join(f"{k}={v}" for k, v in s.cookies.items())
            for name, s in sessions.items()
        }
        mix = request_mix(data)
        drive(cookies, ports, mix, 2, 2)  # warm both processes' workers: not measured

        results = {}
        for level in levels:
            tally, elapsed = drive(cookies, ports, mix, level, args.seconds)
            results[level] = summarise(tally, elapsed)
            total = results[level][0]
            print(
                f"concurrency {level:>2}: {total[2]:6.1f} req/s  p50 {total[3]:6.1f} ms  "
                f"p95 {total[4]:6.1f} ms  p99 {total[5]:6.1f} ms  errors {total[6]}",
                flush=True,
            )
        print("Mail server down: referring issues through the API...", flush=True)
        mail = mail_phase(sessions["manager"], ports, mail_port, args.referrals)
        print(
            f"{mail['referrals']} referrals ({mail['refer_errors']} errors), {mail['queued']} "
            f"e-mails queued, {mail['failed_attempts']} failed while down; back: all sent after "
            f"{mail['all_sent_after']:.0f} s, received {mail['received']}, lost {mail['lost']}, "
            f"duplicated {mail['duplicated']}",
            flush=True,
        )
        worker_state = (
            "running throughout" if worker.poll() is None else f"exited ({_last_line(worker_log)})"
        )
        write_results(
            Path(args.output), results, args.seconds, worker_state, time.monotonic() - begun, mail
        )
        broken = (
            mail["refer_errors"]
            or mail["lost"]
            or mail["duplicated"]
            or not mail["queued"]
            or mail["sent"] != mail["queued"]
        )
        return 1 if broken or any(rows[0][6] for rows in results.values()) else 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if postgres:
            postgres.stop()
        if not static_existed:
            shutil.rmtree(ROOT / "staticfiles", ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def _last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def write_results(
    path: Path, results: dict, seconds: float, worker_state: str, took: float, mail: dict
) -> None:
    from bench.run import replace_section

    machine = f"{platform.node() or 'this machine'} ({os.cpu_count()} cores"
    lines = [
        HEADER,
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC by `bench/load.py` on "
        f"{machine}, Python {platform.python_version()}), client and servers on the same "
        "machine. Two gunicorn processes (gunicorn.conf.py, 2 workers × 4 threads each), "
        "requests alternating between them; the task worker (`manage.py db_worker`) "
        f"{worker_state}; PostgreSQL; the scheme-scale dataset; personas signed in with password "
        f"and two-factor code. {seconds:g} s at each concurrency on keep-alive connections; the "
        f"whole run took {took:.0f} s.",
        "Mix, in turn for each thread: the visitor's 7 step pages of a draft, the manager's issue "
        "board, `/api/visits/` (manager), the PCC's summary dashboard of last quarter.",
        "",
        "| concurrency | requests | kind | requests/s | p50 | p95 | p99 | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for level, rows in results.items():
        for kind, count, rps, p50, p95, p99, errors in rows:
            label = f"**{kind}**" if kind == "all" else kind
            lines.append(
                f"| {level} | {count} | {label} | {rps:.1f} | {p50:.0f} ms | {p95:.0f} ms "
                f"| {p99:.0f} ms | {errors} |"
            )
    lines += [
        "",
        f"**The mail server down.** The manager referred {mail['referrals']} issues to the force "
        f"through the API, at once, across both processes: {mail['refer_errors']} errors. They "
        f"queued {mail['queued']} e-mails; the worker's first attempts failed for "
        f"{mail['failed_attempts']} of them ({'; '.join(mail['reasons']) or 'no reason kept'}). "
        f"The mail server came back on its port: every e-mail was sent within "
        f"{mail['all_sent_after']:.0f} s (the first retry waits a minute); the server received "
        f"{mail['received']} messages: **{mail['lost']} lost, {mail['duplicated']} duplicated**.",
    ]
    replace_section(path, HEADER, "\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
