"""The audit chain (issue 16): one line however many append at once (PostgreSQL), entries signed
with a key outside the database, and a checkpoint outside it that finds the newest entries, or
all of them, deleted. Tampering goes round the model (which refuses to save or delete an entry)
the way someone with database access would: QuerySet.update() and .delete(), and raw SQL."""

import hashlib
import importlib
import io
import json
import threading
import time
import types

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import persona
from visits.models import AuditEntry
from visits.models.audit import DEVELOPMENT_KEY, AuditChainHead, check_audit_key
from visits.services import audit

migration_0008 = importlib.import_module("visits.migrations.0008_audit_chain_head")


@pytest.fixture
def checkpoint(settings, tmp_path):
    """Where this test's checkpoint lives (tests keep none unless they ask)."""
    settings.ICV_AUDIT_CHECKPOINT = tmp_path / "audit-checkpoint.json"
    return settings.ICV_AUDIT_CHECKPOINT


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def append(n: int, action: str = "test.step") -> list[AuditEntry]:
    manager = persona("manager")
    return [audit.record(actor=manager, action=action, detail={"n": i}) for i in range(n)]


def head() -> AuditChainHead:
    return AuditChainHead.objects.get()


def chain() -> list[tuple[str, str]]:
    return list(AuditEntry.objects.order_by("pk").values_list("previous_hash", "entry_hash"))


def forks(links: list[tuple[str, str]]) -> int:
    """Entries not chained from the entry just before them."""
    before = [""] + [entry_hash for _, entry_hash in links[:-1]]
    return sum(previous != expected for (previous, _), expected in zip(links, before, strict=True))


# --- An intact trail --------------------------------------------------------------------------


def test_an_intact_trail_passes_and_moves_the_checkpoint_on(db, checkpoint):
    append(3)
    out = verify()
    assert "the chain is intact" in out and "No checkpoint yet" in out
    first = json.loads(checkpoint.read_text())
    assert first["count"] == AuditEntry.objects.count() == head().count
    assert first["head"] == head().head_hash == AuditEntry.objects.last().entry_hash

    append(2)
    out = verify()
    assert f"({first['count']} entries) still holds" in out
    second = json.loads(checkpoint.read_text())
    assert second["count"] == first["count"] + 2
    assert second["head"] == head().head_hash != first["head"]

    links = chain()
    assert forks(links) == 0 and len({previous for previous, _ in links}) == len(links)
    entries = list(AuditEntry.objects.order_by("pk"))
    assert all(e.key_id == audit.key_id(audit.signing_key()) for e in entries)
    assert [e.created_at for e in entries] == sorted(e.created_at for e in entries)


def test_appending_locks_the_head_then_inserts_and_moves_it_and_nothing_else(db):
    manager = persona("manager")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        audit.record(actor=manager, action="test.step")
    sql = [q["sql"] for q in queries.captured_queries]
    assert all(audit.is_trail_statement(s) for s in sql), sql
    assert len(sql) == 3  # head FOR UPDATE, insert, head update (no savepoint)
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in sql[0]


def test_the_head_is_made_again_on_a_database_emptied_by_flush(db, checkpoint):
    AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()
    append(2)
    assert head().count == 2
    assert "2 audit entries; the chain is intact" in verify()


def test_model_refuses_but_queryset_delete_goes_round_it(db):
    entry = append(1)[0]
    with pytest.raises(ValueError):
        entry.delete()
    with pytest.raises(ValueError):
        entry.save()
    AuditEntry.objects.filter(pk=entry.pk).delete()  # what tampering below relies on
    assert not AuditEntry.objects.filter(pk=entry.pk).exists()


# --- Deleting entries -------------------------------------------------------------------------


@pytest.mark.parametrize("fix_the_head", [False, True], ids=["head-left", "head-fixed-too"])
def test_deleting_the_newest_entries_is_found(db, checkpoint, fix_the_head):
    append(25)
    verify()
    newest = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True)[:20]
    AuditEntry.objects.filter(pk__in=list(newest)).delete()
    if fix_the_head:  # someone who knows about the head row makes it agree
        last = AuditEntry.objects.last()
        AuditChainHead.objects.update(count=AuditEntry.objects.count(), head_hash=last.entry_hash)
        assert audit.verify_chain() is None  # what is left is a chain that holds together...
        match = "checkpoint of .* counted .* entries but only .* are left"  # ...but too short
    else:
        match = "chain head counts .* only .* are left"
    with pytest.raises(CommandError, match=match):
        verify()


@pytest.mark.parametrize("the_head", ["left", "emptied", "deleted"])
def test_deleting_every_entry_is_found(db, checkpoint, the_head):
    append(3)
    verify()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table}")
    if the_head == "emptied":
        AuditChainHead.objects.update(count=0, head_hash="")
        match = "checkpoint of .* counted .* entries but only 0 are left"
    elif the_head == "deleted":
        AuditChainHead.objects.all().delete()
        match = "chain head row is missing"
    else:
        match = "only 0 are left"
    with pytest.raises(CommandError, match=match):
        verify()


def test_deleting_one_entry_in_the_middle_is_found_without_a_checkpoint(db):
    entries = append(5)
    AuditEntry.objects.filter(pk=entries[2].pk).delete()
    AuditChainHead.objects.update(count=AuditEntry.objects.count())
    with pytest.raises(CommandError, match=f"broken at entry {entries[3].pk} .*does not follow"):
        verify()


# --- Rewriting entries ------------------------------------------------------------------------


def rewrite_from(entry_pk: int, *, sign, through: int | None = None) -> None:
    """Change one entry's detail and recompute its hash and every later one's (up to entry
    `through`), and the head, with `sign(entry) -> (key_id, hash)`: all that someone with the
    database but not the key can do."""
    previous = AuditEntry.objects.filter(pk__lt=entry_pk).order_by("-pk").first()
    previous_hash = previous.entry_hash if previous else ""
    later = AuditEntry.objects.filter(pk__gte=entry_pk, pk__lte=through or 2**62).order_by("pk")
    for entry in later:
        if entry.pk == entry_pk:
            entry.detail = {"n": "rewritten"}
        entry.previous_hash = previous_hash
        entry.key_id, entry.entry_hash = sign(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(
            detail=entry.detail,
            previous_hash=entry.previous_hash,
            key_id=entry.key_id,
            entry_hash=entry.entry_hash,
        )
        previous_hash = entry.entry_hash
    AuditChainHead.objects.update(head_hash=previous_hash)


def unkeyed(entry):
    """Plain SHA-256 as before, keeping the key id the entry had."""
    return entry.key_id, audit._legacy_hash(entry)


def unkeyed_passed_off_as_old(entry):
    """Plain SHA-256, and a blank key id so the entry looks written before signing began."""
    entry.key_id = audit.LEGACY
    return audit.LEGACY, audit._legacy_hash(entry)


def wrong_key(entry):
    """HMAC under a key of the attacker's own, claiming the real key's id."""
    return entry.key_id, audit._mac(b"a key someone guessed", entry)


def own_key(entry):
    """HMAC under the attacker's own key, with that key's id."""
    entry.key_id = audit.key_id("a key someone guessed")
    return entry.key_id, audit._mac(b"a key someone guessed", entry)


@pytest.mark.parametrize("sign", [unkeyed, unkeyed_passed_off_as_old, wrong_key, own_key])
@pytest.mark.parametrize("with_checkpoint", [False, True], ids=["no-checkpoint", "checkpoint"])
def test_rewriting_an_entry_and_recomputing_the_later_hashes_is_found(
    db, settings, tmp_path, sign, with_checkpoint
):
    if with_checkpoint:
        settings.ICV_AUDIT_CHECKPOINT = tmp_path / "audit-checkpoint.json"
    entries = append(6)
    verify()
    rewrite_from(entries[2].pk, sign=sign)
    first_rewritten = AuditEntry.objects.filter(pk__gte=entries[2].pk).order_by("pk").first()
    if sign is unkeyed_passed_off_as_old:
        # Every entry from the rewritten one on now looks unsigned: none was sealed as such
        # (this test database's trail began signed), so the first of them is refused.
        assert first_rewritten.key_id == audit.LEGACY
    with pytest.raises(CommandError, match=f"broken at entry {entries[2].pk}"):
        verify()


def test_rewriting_the_whole_trail_as_old_unsigned_entries_is_found(db):
    append(3)
    first = AuditEntry.objects.order_by("pk").first()
    rewrite_from(first.pk, sign=unkeyed_passed_off_as_old)
    with pytest.raises(CommandError, match=f"broken at entry {first.pk}.*unsigned"):
        verify()


def test_a_changed_or_forged_checkpoint_is_refused(db, checkpoint):
    append(3)
    verify()
    data = json.loads(checkpoint.read_text())
    data["count"] -= 2  # so that deleting the two newest entries would pass
    checkpoint.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="does not carry a valid signature"):
        verify()
    checkpoint.write_text("not json")
    with pytest.raises(CommandError, match="cannot be read"):
        verify()


def test_resetting_the_checkpoint_is_deliberate_and_recorded(db, checkpoint):
    append(5)
    verify()
    newest = AuditEntry.objects.order_by("-pk")[:2].values_list("pk", flat=True)
    AuditEntry.objects.filter(pk__in=list(newest)).delete()  # e.g. a backup restored
    AuditChainHead.objects.update(
        count=AuditEntry.objects.count(), head_hash=AuditEntry.objects.last().entry_hash
    )
    with pytest.raises(CommandError, match="checkpoint"):
        verify()
    out = io.StringIO()
    call_command("verify_audit_chain", reset_checkpoint=True, stdout=out)
    assert "Checkpoint reset" in out.getvalue()
    reset = AuditEntry.objects.last()
    assert reset.action == "audit.checkpoint_reset"
    assert reset.detail["previous"]["count"] == AuditEntry.objects.count() + 1
    assert "still holds" in verify()


# --- Entries written before signing -----------------------------------------------------------


def write_old_entries(n: int, fork_at: int) -> list[AuditEntry]:
    """Entries as the old code wrote them: unkeyed SHA-256, and one forked, as two appends at
    once did on PostgreSQL (chained from the entry before the one before it)."""
    written: list[AuditEntry] = []
    for i in range(n):
        chained_from = written[-2] if i == fork_at else (written[-1] if written else None)
        entry = AuditEntry(
            action="old.step",
            detail={"n": i},
            created_at=timezone.now(),
            previous_hash=chained_from.entry_hash if chained_from else "",
        )
        entry.entry_hash = audit._legacy_hash(entry)
        entry.save()
        written.append(entry)
    return written


@pytest.fixture
def upgraded(db, checkpoint):
    """A trail written by the old code, then migration 0008, then three signed entries."""
    AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()
    old = write_old_entries(6, fork_at=3)
    assert forks(chain()) == 1  # the old check failed here: "broken at entry ..."
    migration_0008.seal_old_entries(apps, types.SimpleNamespace(connection=connection))
    assert head().count == 6 and head().legacy["count"] == 6
    signed = append(3)
    return old, signed


def test_old_entries_stay_verifiable_and_signed_ones_follow_them(upgraded):
    old, signed = upgraded
    out = verify()
    assert "9 audit entries; the chain is intact" in out
    assert "6 of them were written before" in out and "(1 of those" in out
    assert signed[0].previous_hash == head().legacy["digest"]


def test_the_migration_hashes_as_the_service_does():
    assert migration_0008.DEVELOPMENT_KEY == DEVELOPMENT_KEY
    assert migration_0008.legacy_link("a", "b") == audit._legacy_link("a", "b")
    assert migration_0008.seal_mac(b"k", 3, "d", "i") == audit._seal_mac(b"k", 3, "d", "i")


def test_changing_an_old_entry_and_the_later_old_hashes_is_found(upgraded):
    old, signed = upgraded
    rewrite_from(old[1].pk, sign=unkeyed_passed_off_as_old, through=old[-1].pk)
    with pytest.raises(CommandError, match=f"broken at entry {signed[0].pk}.*not those sealed"):
        verify()
    # Nor can the seal be brought into line: it is signed.
    legacy = head().legacy
    digest = ""
    for entry_hash in AuditEntry.objects.filter(key_id="").values_list("entry_hash", flat=True):
        digest = audit._legacy_link(digest, entry_hash)
    AuditChainHead.objects.update(legacy={**legacy, "digest": digest})
    with pytest.raises(CommandError, match="seal over the entries written before signing"):
        verify()


def test_removing_an_old_entry_nothing_follows_is_found(upgraded):
    old, _ = upgraded
    AuditEntry.objects.filter(pk=old[2].pk).delete()  # the fork left entry 3 a branch's tip
    AuditChainHead.objects.update(count=8)
    with pytest.raises(CommandError, match="not those sealed"):
        verify()


def test_an_unsigned_entry_after_the_seal_is_found(upgraded):
    extra = write_old_entries(1, fork_at=-1)[0]
    with pytest.raises(CommandError, match=f"broken at entry {extra.pk}.*unsigned"):
        verify()


def test_the_migration_refuses_to_seal_with_the_development_key_in_production(db, settings):
    append(1)
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(ImproperlyConfigured, match="Set ICV_AUDIT_KEY before migrating"):
        migration_0008.seal_old_entries(apps, types.SimpleNamespace(connection=connection))


# --- The key ----------------------------------------------------------------------------------


def test_check_deploy_wants_a_real_key(settings):
    settings.ICV_AUDIT_KEY = ""
    assert [e.id for e in check_audit_key(None)] == ["visits.E001"]
    settings.ICV_AUDIT_KEY = DEVELOPMENT_KEY
    assert [e.id for e in check_audit_key(None)] == ["visits.E001"]
    settings.ICV_AUDIT_KEY = "short"
    assert [e.id for e in check_audit_key(None)] == ["visits.W001"]
    settings.ICV_AUDIT_KEY = hashlib.sha256(b"x").hexdigest()
    assert check_audit_key(None) == []


def test_the_command_fails_while_production_signs_with_the_development_key(db, settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="ICV_AUDIT_KEY is not set"):
        verify()


def test_a_new_key_with_the_old_one_listed_keeps_earlier_entries_verifiable(db, settings):
    append(2)
    settings.ICV_AUDIT_OLD_KEYS = [audit.signing_key()]
    settings.ICV_AUDIT_KEY = "a new key after the old one leaked " + "x" * 20
    append(2)
    assert "the chain is intact" in verify()
    settings.ICV_AUDIT_OLD_KEYS = []
    with pytest.raises(CommandError, match="key that is not configured"):
        verify()
    # The old (leaked) key cannot be used to add entries after ones the new key signed.
    settings.ICV_AUDIT_OLD_KEYS = [DEVELOPMENT_KEY]
    new_key = settings.ICV_AUDIT_KEY
    settings.ICV_AUDIT_KEY = ""
    forged = append(1)[0]
    settings.ICV_AUDIT_KEY = new_key
    with pytest.raises(CommandError, match=f"broken at entry {forged.pk}.*older key"):
        verify()


# --- Many at once (PostgreSQL) ----------------------------------------------------------------

THREADS, EACH = 8, 50


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at once")
@pytest.mark.django_db(transaction=True)
def test_appends_at_once_from_many_connections_make_one_line(settings, tmp_path):
    settings.ICV_AUDIT_CHECKPOINT = tmp_path / "audit-checkpoint.json"
    # An earlier transactional test's flush empties every table, the chain head's too; the
    # migration makes it on a real database. One entry first puts it back before the checker
    # starts reading it alongside the threads.
    audit.record(actor=None, action="test.before")
    before = AuditEntry.objects.count()
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                # Overlapping transactions, as concurrent requests are: each reads, appends,
                # and stays open a moment after.
                with transaction.atomic():
                    AuditEntry.objects.filter(action="test.concurrent").exists()
                    audit.record(actor=None, action="test.concurrent", detail={"t": n, "i": i})
                    time.sleep(0.001)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    # The daily check may run while the app appends: it must not cry wolf meanwhile.
    checks, complaints = 0, []
    try:
        while any(thread.is_alive() for thread in threads):
            complaints += audit.verify(settings.ICV_AUDIT_CHECKPOINT).problems
            checks += 1
    finally:
        for thread in threads:
            thread.join()
    assert not errors, errors

    links = chain()
    assert len(links) == before + THREADS * EACH
    found = forks(links)
    print(
        f"{THREADS} threads x {EACH} records: {len(links)} entries, {found} forks; {checks} checks"
    )
    assert found == 0, f"{found} forks in {len(links)} entries"
    assert len({previous for previous, _ in links}) == len(links)
    assert head().count == len(links) and head().head_hash == links[-1][1]
    assert checks > 1 and not complaints, complaints[:3]
    assert f"{len(links)} audit entries; the chain is intact" in verify()
