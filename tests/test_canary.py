"""Canaries (issue 15): one distinctive value of each kind that must not leak, planted in the
test data, then every URL of the URL conf × every persona (and anonymous) × every format (HTML,
JSON, the browsable API, CSV, PDF text, ICS) and the e-mails the actions sent, searched for each.

Each value must appear exactly where the role table (docs/permissions.md) allows it: in no
response body and no e-mail of a persona not allowed, and in at least one response of each
persona allowed. The harness is tests/canary.py; the data, the URLs and what fills their
parameters are described there. The canaries, and who may see each:

    CUSTODY       custody number of a submitted, non-TACT Wymondham visit and of its
                  referred issue                          visitor partner manager force
    ANSWER        a detainee's checklist answer note      visitor partner manager force
    PLANNED TIME  the pair's agreed time of a slot        visitor partner manager
    DRAFT WEEK    the week of a slot in a draft rota      manager
    TRIAGE NOTE   the manager's triage note on an issue   manager pcc
    SHARED NOTE   a manager's comment shared with force   manager pcc force
    UNREFERRED    an issue never referred                 visitor partner manager pcc
    OTHER SCHEME  a Suffolk visitor's name and a Suffolk
                  custody number                          outsider
    TACT          custody number and sergeant's comment
                  of a TACT report                        visitor partner manager
    DRAFT VISIT   custody number and good practice of a
                  draft visit                             visitor partner manager
    VETTING       a volunteer's vetting reference         visitor (her own) manager
    LEAVING       why a volunteer left                    manager

And the force learns nothing of when visits are planned from any summary; the manager's
summary counts as planned only published slots of weeks that have begun.

To see every finding at once: pytest tests/test_canary.py -k every -s
"""

import pytest

from tests import canary

# The data is built once for the module (tests/canary.py rolls it back); the mark makes
# pytest-django set up the test database for this module too.
pytestmark = pytest.mark.django_db

# How many URL × persona × format fetches the last run made (set by the `corpus` fixture).
FETCHES = 0
# About 300 page and API URLs with their objects and variants, and 250 of the admin's, for each
# of 8 personas (the browsable API only where the JSON answered): some 4,500.
FETCH_FLOOR = 4000


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker, tmp_path_factory):
    global FETCHES
    with django_db_blocker.unblock():
        collected = canary.collect(media_root=tmp_path_factory.mktemp("canary-media"))
    FETCHES = collected.count
    print(f"\ncanary: {FETCHES} fetches")
    return collected


@pytest.fixture(scope="module")
def findings(corpus):
    return canary.analyse(corpus)


def listed(findings) -> str:
    return "\n".join(sorted({f"[{f.canary}] {f.text}" for f in findings}))


def test_every_canary_is_only_where_the_role_table_allows_it(corpus, findings):
    """All findings at once: leaks, canaries an allowed persona never sees, what the force
    learns of the rota from the summaries, the planned count, server errors."""
    print(f"canary: {corpus.count} fetches")
    assert not findings, f"{len(findings)} findings:\n{listed(findings)}"


def test_every_url_of_the_url_conf_was_fetched_often_enough(corpus):
    from tests.matrix import named_urls

    every = set()
    for name, path, _ in named_urls():
        scope = canary.scope_of(path)
        every.add(name if scope == "admin" else f"{scope}:{name}")
    missing = every - corpus.planned_keys
    # Only the admin's change, history and delete pages of models without canary rows (named in
    # canary.ADMIN_MODELS_WITHOUT_CANARIES) are left out.
    assert missing == corpus.skipped_keys, f"URLs never fetched: {sorted(missing)}"
    assert all(key.startswith("admin:") for key in missing), sorted(missing)
    fetched = {(f.who, f.key) for f in corpus.fetched}
    for who in canary.WHO:
        assert {k for w, k in fetched if w == who} >= corpus.planned_keys, who
    assert corpus.count == FETCHES
    assert corpus.count > FETCH_FLOOR, f"only {corpus.count} fetches"


@pytest.mark.parametrize("key", canary.CANARY_KEYS)
def test_canary(findings, key):
    mine = [f for f in findings if f.canary == key]
    assert not mine, f"{len(mine)} findings:\n{listed(mine)}"


def test_the_force_learns_nothing_of_when_visits_are_planned_from_a_summary(findings):
    mine = [f for f in findings if f.canary == "FORCE SUMMARY"]
    assert not mine, f"{len(mine)} findings:\n{listed(mine)}"


def test_the_summary_counts_only_published_slots_of_weeks_begun(findings):
    mine = [f for f in findings if f.canary == "VISITS PLANNED"]
    assert not mine, listed(mine)


def test_the_error_probes_were_answered(corpus):
    """The probes of canary 8 reached the API as each Norfolk persona."""
    probes = [f for f in corpus.fetched if f.key.startswith("probe:")]
    assert {f.who for f in probes} == set(canary.NORFOLK_PERSONAS)
    assert all(f.status < 500 for f in probes), [(f.who, f.where, f.status) for f in probes]
