"""The phone's outbox under a bad network: 100 visits, each sent through randomised weather
(no signal, requests aborted before they arrive, answers lost after the server stored the
report, slow links, the page reloaded mid-send), then counted on the server.

    .venv/bin/python bench/offline.py [--visits 100] [--seed 7]

Runs the app (runserver, on a throwaway SQLite file with the demo data) on localhost so the
service worker registers, drives Debian's Chromium with Playwright as the demo visitor, and
prints `lost N, duplicated N`. Also measures how long reopening the app with no signal takes
to show a draft, and the compressed size of the service worker and outbox scripts. Writes its
section of bench/RESULTS.md; exits 1 if anything is lost or duplicated or a budget is broken.
"""

import argparse
import gzip
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import replace_section  # noqa: E402
from tests.browser.device import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.device import PHONE as DEVICE  # noqa: E402

BUDGET_SCRIPTS_BYTES = 15 * 1024  # the service worker and the outbox scripts, gzip
BUDGET_REOPEN_MS = 1000  # reopening the app offline until the draft is on the screen
WEATHER = ["clear", "offline", "abort", "lost_answer", "slow", "reload"]
PHONE = {**DEVICE, "locale": "en-GB", "timezone_id": "Europe/London"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "ICV_DEBUG": "true",
        "ICV_DATABASE_URL": f"sqlite:///{db}",
        "ICV_TWO_FACTOR_REQUIRED": "false",
        "ICV_API_RATE_USER": "100000/minute",
    }
    python = sys.executable
    for command in (["migrate", "-v0"], ["seed_demo"]):
        subprocess.run(
            [python, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    server = subprocess.Popen(
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def django_for(db: Path):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "icv.settings",
            "ICV_DEBUG": "true",
            "ICV_DATABASE_URL": f"sqlite:///{db}",
        }
    )
    import django

    django.setup()


def a_report(rng: random.Random, facts: dict) -> dict:
    """A finished visit as the record page queues it, with a random number of detainees."""
    now = time.time()
    arrived = now - rng.randint(2, 8) * 3600 - rng.randint(0, 3000)
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    seen = rng.randint(0, 4)
    answer = lambda q: {"question": q, "value": rng.choice(["yes", "yes", "no", "na"]), "note": ""}  # noqa: E731
    return {
        "suite": facts["suite"],
        "co_visitors": [facts["partner"]],
        "arrived_at": iso(arrived),
        "detainee_checklist": facts["detainee_checklist"],
        "suite_checklist": facts["suite_checklist"],
        "admission": {"admitted_at": iso(arrived + 300)},
        "numbers": {
            "in_custody": seen,
            "adults": seen,
            "male": seen,
            "held_pace": seen,
            "offered": seen,
            "visited": seen,
        },
        "detainees": [
            {
                "custody_number": f"WY-{rng.randint(10000, 99999)}-26",
                "answers": [answer(q) for q in facts["detainee_questions"]],
            }
            for _ in range(seen)
        ],
        "suite_answers": [answer(q) for q in facts["suite_questions"]],
        "issues": [],
        "good_practice": "",
        "sign_off": {
            "departed_at": iso(arrived + 3600),
            "outcome": "satisfactory",
            "sergeant_name": "PS 1 Bench",
            "sergeant_confirmed": True,
            "signature": "",
            "confirmed_by": [facts["me"], facts["partner"]],
        },
    }


def facts_of_the_scheme(page) -> dict:
    return page.evaluate("""async () => {
      const get = (url) => fetch(url).then((r) => r.json());
      const me = await get("/api/me/");
      const suites = (await get("/api/suites/")).results;
      const people = (await get("/api/people/")).results;
      const lists = await get("/api/checklists/current/");
      const of = (kind) => lists.find((l) => l.kind === kind);
      const partner = people.find((p) => p.name === "Peter Shaw");
      return {
        me: me.id, partner: partner.user,
        suite: suites.find((s) => s.name === "Wymondham").id,
        detainee_checklist: of("detainee").id, suite_checklist: of("suite").id,
        detainee_questions: of("detainee").questions.map((q) => q.id),
        suite_questions: of("suite").questions.map((q) => q.id),
      };
    }""")


def send_through(page, context, cdp, weather: str, rng: random.Random) -> None:
    """Start sending what waits, under this weather, then let the weather clear."""
    pattern = "**/api/visits/*/report/"
    if weather == "offline":
        context.set_offline(True)
        page.evaluate("() => Outbox.sync()")
        page.wait_for_timeout(rng.randint(50, 400))
        context.set_offline(False)
    elif weather == "abort":
        page.route(pattern, lambda route: route.abort("connectionreset"))
        page.evaluate("() => Outbox.sync()")
        page.unroute(pattern)
    elif weather == "lost_answer":

        def lose(route):
            route.fetch()
            route.abort("connectionreset")

        page.route(pattern, lose)
        page.evaluate("() => Outbox.sync()")
        page.unroute(pattern)
    elif weather == "slow":
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": rng.randint(300, 1500),
                "downloadThroughput": 20_000,
                "uploadThroughput": 10_000,
            },
        )
        page.evaluate("() => Outbox.sync()")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
    elif weather == "reload":
        page.evaluate("() => { Outbox.sync(); }")  # not awaited: the reload cuts it short
        page.wait_for_timeout(rng.randint(0, 60))
        page.reload()
    else:
        page.evaluate("() => Outbox.sync()")


def settle(page, attempts: int = 20) -> None:
    """Keep sending (as the page does when the signal is back) until nothing waits."""
    for _ in range(attempts):
        left = page.evaluate("() => Outbox.sync()")
        if not left:
            return
        page.wait_for_timeout(100)


def reopen_offline(context, page, base: str, runs: int) -> list[float]:
    """Open the app with no signal at a draft's address: ms until its details are shown."""
    page.goto(base + "/visits/record/")
    page.locator("[data-record][data-ready]").wait_for()
    page.locator("[name='start-suite']").select_option(label="Wymondham")
    page.locator("[name='good_practice-good_practice']").fill("Kept on the phone")
    page.wait_for_timeout(400)
    address = page.url
    context.set_offline(True)
    times = []
    for _ in range(runs):
        page.close()
        page = context.new_page()
        start = time.perf_counter()
        page.goto(address)
        page.wait_for_function(
            "() => document.querySelector('[name=\"good_practice-good_practice\"]')"
            ".value === 'Kept on the phone'"
        )
        times.append((time.perf_counter() - start) * 1000)
    context.set_offline(False)
    page.close()
    return times


def script_sizes(base: str, page) -> dict:
    texts = page.evaluate(
        """async (urls) => Promise.all(urls.map(
        (u) => fetch(u, {cache: "no-store"}).then((r) => r.text())))""",
        ["/sw.js", "/static/js/outbox.js", "/static/js/offline.js", "/static/js/record.js"],
    )
    names = ["sw.js", "outbox.js", "offline.js", "record.js"]
    return {
        n: len(gzip.compress(t.encode(), compresslevel=9))
        for n, t in zip(names, texts, strict=True)
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="icv-offline-"))
    db = workdir / "bench.sqlite3"
    port = free_port()
    server = start_server(db, port)
    base = f"http://localhost:{port}"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.goto(base + "/accounts/login/")
            page.get_by_label("Username").fill("visitor")
            page.get_by_label("Password").fill("demo")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/")
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.goto(base + "/outbox/")
            cdp = context.new_cdp_session(page)
            facts = facts_of_the_scheme(page)
            sent: dict[str, dict] = {}
            weather_seen: dict[str, int] = {}
            started = time.perf_counter()
            for _ in range(args.visits):
                key = str(uuid.uuid4())
                report = a_report(rng, facts)
                sent[key] = report
                page.evaluate(
                    """([key, owner, report]) => Outbox.put({uuid: key, owner, report,
                         state: "waiting", title: "Bench", fields: {},
                         items: {detainees: [], issues: []}})""",
                    [key, facts["me"], report],
                )
                weather = rng.choice(WEATHER)
                weather_seen[weather] = weather_seen.get(weather, 0) + 1
                send_through(page, context, cdp, weather, rng)
                if weather == "reload":
                    cdp = context.new_cdp_session(page)
                settle(page)
            elapsed = time.perf_counter() - started
            phone_states = page.evaluate("() => Outbox.all().then(rs => rs.map(r => r.state))")
            reopen = reopen_offline(context, context.new_page(), base, runs=10)
            sizes = script_sizes(base, page if not page.is_closed() else context.new_page())
            browser.close()
    finally:
        server.terminate()
        server.wait()

    django_for(db)
    from visits.models import Answer, DetaineeRecord, Visit

    stored = Visit.objects.filter(uuid__in=list(sent))
    found = {str(v.uuid): v for v in stored}
    lost = [k for k in sent if k not in found or found[k].status != Visit.Status.SUBMITTED]
    incomplete = []
    for key, visit in found.items():
        report = sent[key]
        detainees = DetaineeRecord.objects.filter(visit=visit).count()
        answers = Answer.objects.filter(visit=visit).count()
        expected = sum(1 for d in report["detainees"] for a in d["answers"]) + len(
            report["suite_answers"]
        )
        if detainees != len(report["detainees"]) or answers != expected:
            incomplete.append(key)
    # Every visit the bench's visitor made: any beyond one per sent UUID would be a duplicate.
    made = Visit.objects.filter(created_by__username="visitor", sergeant_name="PS 1 Bench")
    duplicated = made.count() - len(found)
    shutil.rmtree(workdir, ignore_errors=True)

    scripts = sizes["sw.js"] + sizes["outbox.js"] + sizes["offline.js"]
    line = f"lost {len(lost) + len(incomplete)}, duplicated {duplicated}"
    print(line)
    print(
        f"{args.visits} visits in {elapsed:.1f} s; weather: "
        + ", ".join(f"{w} {n}" for w, n in sorted(weather_seen.items()))
    )
    print(
        f"phone: {phone_states.count('sent')} sent, "
        f"{len(phone_states) - phone_states.count('sent')} other"
    )
    print(
        f"reopen offline to draft shown: median {statistics.median(reopen):.0f} ms, "
        f"max {max(reopen):.0f} ms (budget {BUDGET_REOPEN_MS} ms)"
    )
    print(
        "scripts gzip: "
        + ", ".join(f"{n} {b} B" for n, b in sizes.items())
        + f"; service worker + outbox {scripts} B (budget {BUDGET_SCRIPTS_BYTES} B)"
    )

    ok = (
        not lost
        and not incomplete
        and duplicated == 0
        and max(reopen) < BUDGET_REOPEN_MS
        and scripts <= BUDGET_SCRIPTS_BYTES
    )
    section = "\n".join(
        [
            "## Offline outbox",
            "",
            f"`bench/offline.py --visits {args.visits} --seed {args.seed}`, measured "
            f"{time.strftime('%Y-%m-%d')} in Chromium (Playwright), `runserver` on SQLite.",
            "Each visit is queued on the phone and sent under a random weather: no signal for "
            "a moment, the request aborted before it arrives, the answer lost after the server "
            "stored the report, a slow link (300-1,500 ms latency, 10-20 kB/s), or the page "
            "reloaded mid-send; then the outbox sends until nothing waits.",
            "",
            "```",
            line,
            f"{args.visits} visits in {elapsed:.1f} s; weather: "
            + ", ".join(f"{w} {n}" for w, n in sorted(weather_seen.items())),
            f"every detainee and answer on the server: {len(found) - len(incomplete)}/{len(found)}",
            f"phone: {phone_states.count('sent')} sent, "
            f"{len(phone_states) - phone_states.count('sent')} other",
            f"reopen offline to draft shown: median {statistics.median(reopen):.0f} ms, "
            f"max {max(reopen):.0f} ms (budget {BUDGET_REOPEN_MS} ms)",
            "scripts, gzip: " + ", ".join(f"{n} {b} B" for n, b in sizes.items()),
            f"service worker + outbox (sw.js, outbox.js, offline.js): {scripts} B "
            f"(budget {BUDGET_SCRIPTS_BYTES} B)",
            "```",
            "",
        ]
    )
    replace_section(Path(args.output), "## Offline outbox", section)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
