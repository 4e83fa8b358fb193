"""Benchmarks: queries, server time and page weight of every page and list endpoint.

    .venv/bin/python bench/run.py               # one scheme over a year
    .venv/bin/python bench/run.py --national    # 43 schemes, 1,300 visitors, 180 suites, 10 years

Builds the dataset in its own SQLite file under bench/out/ (kept, and reused while the
dataset code is unchanged), runs the app with production settings (DEBUG off), requests each
page as the persona it is for, and writes bench/RESULTS.md. Server time is measured in the
process, from request to response, median of --runs requests. Weight is the gzip-compressed
HTML plus the CSS and JavaScript the page loads (what a phone downloads on a first visit).
Budgets are checked here; the script exits 1 if one is broken.
"""

import argparse
import gzip
import hashlib
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

BUDGET_QUERIES = 10
BUDGET_PAGE_BYTES = 50 * 1024
BUDGET_MEDIAN_MS = 50  # pages at national scale (the visit flow and the issue board)
BUDGET_API_QUERIES = 8
BUDGET_API_MEDIAN_MS = 30  # a page of 50 visits on SQLite at national scale (issue 5)
# (queries, median ms) for each kind of request
BUDGETS = {
    "page": (BUDGET_QUERIES, BUDGET_MEDIAN_MS),
    # the recording page: its weight includes what the service worker fetches on install
    "recording": (BUDGET_QUERIES, BUDGET_MEDIAN_MS),
    "dashboard": (15, 200),  # the summary of a scheme's quarter
    # A year at national scale (issue 20): counted in the database, not walked in Python.
    "dashboard-year": (15, 40),
    "api": (BUDGET_API_QUERIES, BUDGET_API_MEDIAN_MS),
}
BUDGET_SUMMARY_PDF_MS = 1000
BUDGET_NATIONAL_PDF_S = 10
BUDGET_NATIONAL_PDF_MB = 300


def setup_django(db_path: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "icv.settings",
            "ICV_DEBUG": "false",
            "ICV_SECRET_KEY": "benchmark-only-secret-key-not-for-production-use-0123456789",
            "ICV_HTTPS": "false",
            "ICV_ALLOWED_HOSTS": "testserver,localhost",
            "ICV_DATABASE_URL": f"sqlite:///{db_path}",
        }
    )
    import django

    django.setup()
    from django.conf import settings

    settings.STATIC_ROOT = OUT / "static"  # before the static storage is first used


def served(name_or_url: str) -> bytes:
    """A static file as the server sends it: the collected copy (scripts minified, names
    hashed; icv/static_storage.py), found by its plain name or by a page's hashed URL. Under
    the development and test settings (tests/ weigh pages with these functions too) the
    server sends the sources, heavier than the collected copies: those are weighed."""
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    name = name_or_url.removeprefix("/static/")
    if not hasattr(staticfiles_storage, "stored_name"):  # no manifest: the sources
        return Path(finders.find(name)).read_bytes()
    path = Path(settings.STATIC_ROOT) / name
    if not path.exists():
        path = Path(staticfiles_storage.path(staticfiles_storage.stored_name(name)))
    return path.read_bytes()


def page_weight(client, path: str, html: bytes) -> int:
    """Compressed bytes of the page and every stylesheet and script it links to."""
    total = len(gzip.compress(html, compresslevel=9))
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        total += len(gzip.compress(served(url.decode()), compresslevel=9))
    return total


def recording_first_load(client, html: bytes) -> int:
    """The recording page's first load, as a phone downloads it: the page and what it links to,
    then everything the service worker fetches when it installs (the app shell's static files,
    the pages and the data kept for a visit with no signal), each counted once, compressed as
    a server would send it (PNG icons as they are)."""
    from django.urls import reverse

    from visits.views.offline import SHELL_DATA, SHELL_PAGES, SHELL_STATIC, catalogue_urls

    def compressed(body: bytes) -> int:
        return len(gzip.compress(body, compresslevel=9))

    total = compressed(html)
    fetched = set()
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        name = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url.decode().removeprefix("/static/"))
        fetched.add(name)
        total += compressed(served(url.decode()))
    for name in SHELL_STATIC:
        if name not in fetched:
            body = served(name)
            total += len(body) if name.endswith(".png") else compressed(body)
    # ...and the scripts' words in the page's language (/jsi18n/<lang>/, the one it loads).
    catalogues = set(catalogue_urls())
    page_catalogues = [
        url for url in re.findall(r'src="(/jsi18n/[^"]+)"', html.decode()) if url in catalogues
    ]
    assert page_catalogues, "the page loads no catalogue"
    shell_urls = [
        "/sw.js",
        reverse("manifest"),
        *map(reverse, SHELL_PAGES),
        *SHELL_DATA,
        *page_catalogues,
    ]
    for url in shell_urls:
        if url == reverse("visit-record"):
            continue  # the page itself, counted above
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        total += compressed(b"".join(response) if response.streaming else response.content)
    return total


def sign_in(client, username: str) -> None:
    """Signed in as a person is: managers, PCC readers and force leads with their two-factor
    code given (django-otp's device kept in the session, looked up on every request)."""
    from django.contrib.auth import get_user_model
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from visits.services import two_factor

    user = get_user_model().objects.get(username=username)
    device = None
    if two_factor.required_for(user):
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
    client.force_login(user)
    if device:  # as django_otp.login does once the code is right
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def measure(client, path: str, runs: int) -> dict:
    from django.db import connection

    from visits.services import audit

    queries = []

    def count(execute, sql, params, many, context):
        if not audit.is_trail_statement(sql):  # an audited view's entry is counted apart
            queries.append(sql)
        return execute(sql, params, many, context)

    client.get(path)  # warm up: the session refresh and caches are not what we measure
    # Counted with a wrapper: connections are closed and reopened between requests here.
    with connection.execute_wrapper(count):
        response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "queries": len(queries),
        "median_ms": statistics.median(times),
        "html": response.content,
    }


PAGES = [
    # (who, path, kind)
    (None, "/accounts/login/", "page"),
    ("visitor", "/", "page"),
    ("coordinator", "/", "page"),
    ("manager", "/", "page"),
    ("pcc", "/", "page"),
    ("force", "/", "page"),
    ("manager", "/suites/", "page"),
    ("manager", "/suites/{suite}/", "page"),
    ("manager", "/suites/{suite}/edit/", "page"),
    ("visitor", "/visits/record/", "recording"),
    ("visitor", "/visits/new/", "page"),
    ("visitor", "/visits/{draft}/admission/", "page"),
    ("visitor", "/visits/{draft}/numbers/", "page"),
    ("visitor", "/visits/{draft}/detainees/", "page"),
    ("visitor", "/visits/{draft}/detainees/new/", "page"),
    ("visitor", "/visits/{draft}/suite/", "page"),
    ("visitor", "/visits/{draft}/issues/", "page"),
    ("visitor", "/visits/{draft}/sign-off/", "page"),
    ("visitor", "/visits/{draft}/check/", "page"),
    ("manager", "/visits/", "page"),
    ("manager", "/visits/{report}/", "page"),
    ("manager", "/issues/", "page"),
    ("manager", "/issues/?status=open&overdue=on", "page"),
    ("force", "/issues/", "page"),
    ("manager", "/issues/{issue}/", "page"),
    ("pcc", "/summaries/?period={quarter}", "dashboard"),
    ("manager", "/summaries/?period={year}", "dashboard-year"),
    ("manager", "/api/suites/", "api"),
    ("manager", "/api/issues/", "api"),
    ("manager", "/api/visits/", "api"),
    ("manager", "/api/rota/slots/", "api"),
    ("force", "/api/me/", "api"),
    # The last page of every list (issue 18): the HTML lists clamp a page past the end to the
    # last; the API's long lists are keyset pages, reached by their last page's cursor; the
    # short ones have numbered pages and DRF's ?page=last.
    ("manager", "/visits/?page=999999", "page"),
    ("manager", "/issues/?page=999999", "page"),
    ("force", "/issues/?page=999999", "page"),
    ("manager", "/api/visits/?cursor={visits_last}", "api"),
    ("manager", "/api/issues/?cursor={issues_last}", "api"),
    ("force", "/api/issues/?cursor={force_issues_last}", "api"),
    ("manager", "/api/rota/slots/?cursor={slots_last}", "api"),
    ("visitor", "/api/rota/swaps/?cursor={swaps_last}", "api"),
    ("manager", "/api/suites/?page=last", "api"),
    ("manager", "/api/people/?page=last", "api"),
    ("manager", "/api/checklists/?page=last", "api"),
    ("manager", "/api/rota/periods/?page=last", "api"),
]


def last_page_cursors() -> dict:
    """The cursor of the last page of each keyset list, as the persona in PAGES sees it."""
    from django.contrib.auth import get_user_model
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from api import rota, views
    from api.pagination import last_page_cursor

    def cursor(viewset, username: str) -> str:
        view = viewset()
        view.request = Request(APIRequestFactory().get("/"))
        view.request.user = get_user_model().objects.get(username=username)
        view.action, view.format_kwarg, view.kwargs = "list", None, {}
        found = last_page_cursor(view.get_queryset(), viewset.keyset_ordering)
        return found or ""  # one page only: the first is the last

    return {
        "visits_last": cursor(views.VisitViewSet, "manager"),
        "issues_last": cursor(views.IssueViewSet, "manager"),
        "force_issues_last": cursor(views.IssueViewSet, "force"),
        "slots_last": cursor(rota.RotaSlotViewSet, "manager"),
        "swaps_last": cursor(rota.SwapViewSet, "visitor"),
    }


def shown(path: str) -> str:
    """A path as the results show it: a cursor is long and says nothing to a reader."""
    return re.sub(r"cursor=[^&]*", "cursor=(last page)", path)


BUDGET_PDF_MS = 300


NATIONAL_REPORT_WITH_PEAK = """
import sys
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "national_report", "--period", sys.argv[1],
                           "--output", sys.argv[2]])
status = open("/proc/self/status").read()
print(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")), file=sys.stderr)
"""


def measure_summary_pdfs(quarter) -> dict:
    """The scheme-quarter PDF in process; the national annual PDF in a process of its own, so
    its peak memory is its own."""
    import subprocess
    import tempfile

    from visits.models import Scheme
    from visits.summaries import summarise
    from visits.summary_pdf import render_summary

    norfolk = Scheme.objects.get(slug="norfolk")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        render_summary(summarise(norfolk, quarter))
        times.append((time.perf_counter() - start) * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "national.pdf"
        start = time.perf_counter()
        # The child reports its own peak (VmHWM, reset by exec). getrusage's figure for
        # children is no good here: Linux keeps the parent's peak across vfork and exec, so it
        # would report this benchmark's own memory whenever that is the larger.
        done = subprocess.run(
            [sys.executable, "-c", NATIONAL_REPORT_WITH_PEAK, str(quarter.start.year), str(out)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            cwd=ROOT,
        )
        seconds = time.perf_counter() - start
        peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
        from pypdf import PdfReader

        pages = len(PdfReader(str(out)).pages)
    return {
        "quarter_ms": statistics.median(times),
        "national_s": seconds,
        "national_mb": peak_mb,
        "national_pages": pages,
        "national_schemes": Scheme.objects.count(),
    }


def measure_pdf(runs: int) -> dict:
    """Render the PDF of a visit with 12 detainees who each answered every question."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from visits.models import CustodySuite, Question
    from visits.pdf import render_visit_report
    from visits.services import visits as service
    from visits.visit_read_model import visible_report

    users = get_user_model().objects
    visitor, partner = users.get(username="visitor"), users.get(username="partner")
    arrived = timezone.now() - datetime.timedelta(days=400)
    visit = service.start_visit(
        actor=visitor,
        suite=CustodySuite.objects.get(name="Wymondham"),
        co_visitors=[partner],
        arrived_at=arrived,
    )
    questions = Question.objects.filter(section__version_id=visit.detainee_checklist_id)
    for n in range(12):
        service.save_detainee(
            actor=visitor,
            visit=visit,
            details=service.DetaineeDetails(
                custody_number=f"WY-{n + 1:05d}-25",
                answers={
                    q.pk: ("no" if (q.pk + n) % 9 == 0 else "yes", "A short note." * (n % 3))
                    for q in questions
                },
            ),
        )
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        data = render_visit_report(visible_report(visitor, visit))
        times.append((time.perf_counter() - start) * 1000)
        size = len(data)
    visit.delete()
    return {"median_ms": statistics.median(times), "bytes": size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--national", action="store_true", help="the national dataset")
    parser.add_argument("--runs", type=int, default=30, help="requests per page for the median")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    scale_name = "national" if args.national else "scheme"

    OUT.mkdir(parents=True, exist_ok=True)
    # A new dataset whenever the code that makes it, or the schema, changes.
    sources = [
        ROOT / "bench" / "dataset.py",
        ROOT / "visits" / "demo" / "visits.py",
        ROOT / "visits" / "management" / "commands" / "seed_demo.py",
        *sorted((ROOT / "visits" / "migrations").glob("0*.py")),
    ]
    code_hash = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:10]
    db_path = OUT / f"{scale_name}-{code_hash}.sqlite3"
    fresh = not db_path.exists()
    setup_django(db_path)

    from django.core.management import call_command
    from django.test import Client

    from bench.dataset import SCALES, build
    from visits.models import CustodySuite, Issue, Membership, RotaSlot, Scheme, Visit

    # Cleared: a copy collected before would be kept as it was (collectstatic skips files whose
    # source is older), and the weights are of what this code's storage makes of them.
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if fresh:
        build(SCALES[scale_name])
        print(f"Built the {scale_name} dataset in {time.perf_counter() - started:.0f} s")
    else:
        print(f"Reusing {db_path.name}")
    counts = {
        "schemes": Scheme.objects.count(),
        "suites": CustodySuite.objects.count(),
        "visitors": Membership.objects.visiting().count(),
        "visits": Visit.objects.count(),
        "issues": Issue.objects.count(),
        "rota slots": RotaSlot.objects.count(),
    }
    suite = CustodySuite.objects.get(name="Aylsham").pk
    issue = Issue.objects.filter(scheme__slug="norfolk").order_by("pk").first().pk
    from django.utils import timezone

    from visits.summaries import Period

    last_quarter = Period.containing(timezone.localdate()).previous()
    draft = Visit.objects.get(status="draft", visit_visitors__user__username="visitor").uuid
    report = (
        Visit.objects.filter(status="submitted", scheme__slug="norfolk", detainees__isnull=False)
        .order_by("-visit_date")
        .first()
        .uuid
    )

    rows, failures = [], []
    cursors = last_page_cursors()
    for who, template, kind in PAGES:
        path = template.format(
            suite=suite,
            draft=draft,
            report=report,
            issue=issue,
            quarter=last_quarter.key,
            year=last_quarter.start.year,
            **cursors,
        )
        client = Client(HTTP_ACCEPT_ENCODING="identity")
        if who:
            sign_in(client, who)
        result = measure(client, path, args.runs)
        weight = (
            None
            if kind == "api"
            else recording_first_load(client, result["html"])
            if kind == "recording"
            else page_weight(client, path, result["html"])
        )
        budget_q, budget_ms = BUDGETS[kind]
        broken = [
            name
            for name, within in (
                ("queries", result["queries"] <= budget_q),
                (f"time (budget {budget_ms} ms)", result["median_ms"] <= budget_ms),
                ("weight", weight is None or weight <= BUDGET_PAGE_BYTES),
            )
            if not within
        ]
        ok = not broken
        if not ok:
            failures.append(path)
        who_path = (who or "anonymous", shown(path))
        rows.append((*who_path, result["queries"], budget_q, result["median_ms"], weight, broken))
        print(
            f"{who or 'anonymous':<12} {shown(path):<28} {result['queries']:>3} queries "
            f"{result['median_ms']:7.1f} ms {weight or 0:>7} B {'ok' if ok else 'OVER BUDGET'}"
        )

    summaries = measure_summary_pdfs(last_quarter)
    print(
        f"Summary PDF of a scheme's quarter: {summaries['quarter_ms']:.0f} ms; national "
        f"annual PDF: {summaries['national_s']:.1f} s, {summaries['national_mb']:.0f} MB peak, "
        f"{summaries['national_pages']} pages"
    )
    if (
        summaries["quarter_ms"] > BUDGET_SUMMARY_PDF_MS
        or summaries["national_s"] > BUDGET_NATIONAL_PDF_S
        or summaries["national_mb"] > BUDGET_NATIONAL_PDF_MB
    ):
        failures.append("summary pdf")
    pdf = measure_pdf(max(5, args.runs // 3))
    pdf_ok = pdf["median_ms"] <= BUDGET_PDF_MS
    print(
        f"PDF of a visit with 12 detainees: {pdf['median_ms']:.0f} ms, {pdf['bytes']:,} B "
        f"{'ok' if pdf_ok else 'OVER BUDGET'}"
    )
    if not pdf_ok:
        failures.append("pdf")
    write_results(Path(args.output), scale_name, counts, rows, args.runs, pdf, summaries)
    return 1 if failures else 0


def write_results(
    path: Path, scale: str, counts: dict, rows: list, runs: int, pdf: dict, summaries: dict
) -> None:
    """Keep one section per scale in RESULTS.md, replacing this scale's section."""
    from django.utils import timezone

    header = f"## Pages and endpoints, {scale} scale"
    lines = [
        header,
        "",
        f"Measured {timezone.now():%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}, SQLite), "
        f"median of {runs} requests, load average {os.getloadavg()[0]:.1f} at the end "
        "(server times grow with it).",
        "Data: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()) + ".",
        "",
        "| who | path | queries (budget) | median server time | first load, gzip | within budget |",
        "|---|---|---|---|---|---|",
    ]
    for who, p, q, budget_q, ms, weight, broken in rows:
        kb = f"{weight / 1024:.1f} KB" if weight is not None else "n/a (JSON)"
        lines.append(
            f"| {who} | `{p}` | {q} ({budget_q}) | {ms:.1f} ms | {kb} | "
            f"{'**no**: ' + ', '.join(broken) if broken else 'yes'} |"
        )
    lines += [
        "",
        f"PDF of a visit with 12 detainees: median {pdf['median_ms']:.0f} ms "
        f"(budget {BUDGET_PDF_MS} ms), {pdf['bytes'] / 1024:.0f} KB.",
        f"Summary PDF of Norfolk's last quarter: median {summaries['quarter_ms']:.0f} ms "
        f"(budget {BUDGET_SUMMARY_PDF_MS} ms).",
        f"National annual PDF ({summaries['national_schemes']} schemes, "
        f"{summaries['national_pages']} pages): {summaries['national_s']:.1f} s "
        f"(budget {BUDGET_NATIONAL_PDF_S} s), peak memory {summaries['national_mb']:.0f} MB "
        f"(budget {BUDGET_NATIONAL_PDF_MB} MB), measured in its own process.",
    ]
    section = "\n".join(lines) + "\n"

    intro = (
        "# Benchmark results\n\nWritten by `bench/run.py` (see its docstring). Budgets: every "
        f"page at most {BUDGET_QUERIES} queries and {BUDGET_PAGE_BYTES // 1024} KB compressed on "
        f"first load and a median server time of at most {BUDGET_MEDIAN_MS} ms; list endpoints "
        f"at most {BUDGET_API_QUERIES} queries and a median of {BUDGET_API_MEDIAN_MS} ms; "
        "the PDF of a visit "
        f"with 12 detainees at most {BUDGET_PDF_MS} ms.\n\n"
    )
    replace_section(path, header, section, intro)


def replace_section(path: Path, header: str, section: str, intro: str = "") -> None:
    """Put `section` (which starts with `header`) into the file, replacing the old one up to
    the next heading: a hand-written ### part below it (the summaries' notes) is kept."""
    text = path.read_text() if path.exists() else intro
    pattern = re.compile(rf"^{re.escape(header)}\n.*?(?=^##+ |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _: section + "\n", text)
        if pattern.search(text)
        else (text.rstrip("\n") + "\n\n" + section)
    )
    path.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    sys.exit(main())
