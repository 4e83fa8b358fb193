"""The summary computation alone, in process, on the national dataset (issue 20's 40 ms budget).

    .venv/bin/python bench/summaries.py [--db bench/out/national-….sqlite3] [--runs 15]

Times `summarise` for Norfolk (the scheme with 10,000 issues) over the year so far, last year
and last quarter, as the PCC's page asks for it, and prints the median and each query's time:
what the page's server time is made of, without the request, template and audit around it.

Then the summary page itself (the manager's, through Django's test client, production settings)
read cold, with the cache emptied before each request so the figures are counted, and warm, as
a reader finds them when nobody has changed the scheme's data since they were counted
(visits.summaries.cached_summary).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="the national dataset (default: the newest in bench/out/)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    db = (
        Path(args.db)
        if args.db
        else max(
            (ROOT / "bench" / "out").glob("national-*.sqlite3"), key=lambda p: p.stat().st_mtime
        )
    )
    from bench.run import setup_django

    setup_django(db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # this code's indexes
    call_command("collectstatic", interactive=False, verbosity=0)  # the page's assets
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from visits.models import Scheme
    from visits.summaries import Period, summarise

    norfolk = Scheme.objects.get(slug="norfolk")
    suites = list(norfolk.suites.filter(active=True).order_by("name"))
    this_year = timezone.localdate().year
    last_quarter = Period.containing(timezone.localdate()).previous()
    for period in (Period.year(this_year), Period.year(this_year - 1), last_quarter):
        summarise(norfolk, period, suites=suites)  # warm the caches, as a running server has
        # Wall time, and CPU time (SQLite runs in this process, so it counts too): on a shared
        # machine the CPU time is the steadier measure of the work itself.
        times, cpu = [], []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            summarise(norfolk, period, suites=suites)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        with CaptureQueriesContext(connection) as queries:
            summarise(norfolk, period, suites=suites)
        per_query = ", ".join(f"{float(q['time']) * 1000:.0f}" for q in queries.captured_queries)
        print(
            f"{period.key}: median {statistics.median(times):.1f} ms of {args.runs} "
            f"(min {min(times):.1f}), CPU median {statistics.median(cpu):.1f} ms; "
            f"{len(queries)} queries, ms each: {per_query}"
        )
    measure_pages(args.runs, this_year, last_quarter)
    return 0


def measure_pages(runs: int, this_year: int, last_quarter) -> None:
    from django.core.cache import cache
    from django.test import Client

    from bench.run import sign_in

    client = Client(HTTP_ACCEPT_ENCODING="identity")
    sign_in(client, "manager")
    for key in (str(this_year), last_quarter.key):
        path = f"/summaries/?period={key}"
        assert client.get(path).status_code == 200
        results = {}
        for state in ("cold", "warm"):
            times = []
            for _ in range(runs):
                if state == "cold":
                    cache.clear()
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            results[state] = statistics.median(times)
        print(
            f"page {path}: cold median {results['cold']:.1f} ms, warm median "
            f"{results['warm']:.1f} ms ({runs} requests each)"
        )


if __name__ == "__main__":
    sys.exit(main())
