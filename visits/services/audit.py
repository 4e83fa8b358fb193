"""The audit trail: append-only, each entry chained to the one before by an HMAC-SHA256.

An entry's `entry_hash` is an HMAC-SHA256, under ICV_AUDIT_KEY (kept outside the database), of
its content and `previous_hash`, the hash of the entry before. Appends queue on one row,
AuditChainHead, which holds the count and the last hash, so the chain stays a single line
however many requests write at once. `verify_audit_chain` walks the chain, compares it with the
head row and with a signed checkpoint file kept outside the database (what it saw last time),
which is how removing the newest entries, or all of them, is noticed. docs/security.md says what
this proves and what it does not.

Entries written before migration 0008 (blank `key_id`) keep their unkeyed SHA-256 hashes, as
written; they may fork (two appends at once chained from the same entry). The migration folded
them all, in order, into one digest, which the first signed entry chains from, and sealed their
number and that digest with the key in the head row: no more unsigned entries may appear.
"""

import contextvars
import dataclasses
import functools
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from visits.models import AuditEntry, Scheme
from visits.models.audit import DEVELOPMENT_KEY, AuditChainHead

# The address of the request being served (set by icv.middleware.AuditAddressMiddleware).
current_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_address", default=None
)

HEAD_PK = 1
LEGACY = ""  # the key_id of an entry written under the old unkeyed SHA-256 scheme


# --- Hashes ------------------------------------------------------------------------------------


def _content(entry: AuditEntry) -> dict:
    return {
        "previous": entry.previous_hash,
        "scheme": entry.scheme_id,
        "actor": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
        "ip": entry.ip_address,
        "at": entry.created_at.isoformat(),
    }


def _canonical(value: dict) -> bytes:
    return json.dumps(value, sort_keys=True, default=str).encode()


def _legacy_hash(entry: AuditEntry) -> str:
    """The old scheme: plain SHA-256, no key (anyone could recompute it)."""
    return hashlib.sha256(_canonical(_content(entry))).hexdigest()


def _legacy_link(head: str, entry_hash: str) -> str:
    """Folds one old entry into the digest of all of them (migration 0008 does the same)."""
    return hashlib.sha256(f"icv audit legacy\n{head}\n{entry_hash}".encode()).hexdigest()


def _mac(key: bytes, entry: AuditEntry) -> str:
    body = {**_content(entry), "key": entry.key_id, "v": 2}
    return hmac.new(key, b"icv audit entry\n" + _canonical(body), hashlib.sha256).hexdigest()


@functools.cache
def key_id(key: str) -> str:
    """A name for a key that gives nothing of it away, stored with each entry it signs."""
    return hmac.new(key.encode(), b"icv audit key id", hashlib.sha256).hexdigest()[:16]


def signing_key() -> str:
    """ICV_AUDIT_KEY; the public development key if it is empty (development and tests)."""
    return settings.ICV_AUDIT_KEY or DEVELOPMENT_KEY


def signing_with_development_key_in_production() -> bool:
    return signing_key() == DEVELOPMENT_KEY and not (settings.DEBUG or settings.TESTING)


def keyring() -> dict[str, tuple[int, bytes]]:
    """Key id -> (age, key): ICV_AUDIT_OLD_KEYS oldest first, then ICV_AUDIT_KEY, the newest."""
    keys = [*settings.ICV_AUDIT_OLD_KEYS, signing_key()]
    return {key_id(key): (age, key.encode()) for age, key in enumerate(keys)}


# --- Appending ---------------------------------------------------------------------------------


def record(
    *, actor, action: str, obj=None, scheme=None, detail: dict | None = None, ip: str | None = None
) -> AuditEntry:
    """Append one entry. Runs in the caller's transaction, so a rolled-back change leaves none,
    and a change cannot be committed without its entry.

    The chain head is locked as late as possible (everything else is ready first) but the lock
    is held until the caller's transaction ends: audited writes queue one after another there,
    so call this last in a transaction, after any other row locks."""
    key = signing_key()
    entry = AuditEntry(
        scheme=scheme,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        ip_address=ip or current_address.get(),
        key_id=key_id(key),
    )
    # No savepoint: if the entry cannot be written, neither can the change it records.
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        entry.created_at = timezone.now()  # after the lock: times rise along the chain
        entry.previous_hash = head.head_hash
        entry.entry_hash = _mac(key.encode(), entry)
        entry.save()
        head.count += 1
        head.head_hash = entry.entry_hash
        head.save(update_fields=["count", "head_hash"])
    return entry


def _lock_head() -> AuditChainHead:
    """The chain head, locked until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL:
    a second append waits here, then reads the head as the first one left it. SQLite lets one
    writer in at a time anyway)."""
    heads = AuditChainHead.objects.select_for_update()
    try:
        return heads.get(pk=HEAD_PK)
    except AuditChainHead.DoesNotExist:
        # Migration 0008 makes it; only a database emptied since (`flush`, as transactional
        # tests do) lacks it. If entries remain, verify_audit_chain reports the gap.
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=HEAD_PK)], ignore_conflicts=True)
        return heads.get(pk=HEAD_PK)


# Entries that record someone reading, not changing anything. Whatever else a service records
# is a change, which is what `last_change` looks for.
READ_ACTIONS = ("visit.viewed", "visit.pdf_downloaded", "issue.viewed")
READ_PREFIXES = ("summary.",)


def last_change_of(scheme) -> Subquery:
    """The id of the newest entry recording a change to `scheme`'s data (None if none), as an
    expression: `scheme` may be an OuterRef, to ask in another query's round trip. Every change
    goes through a service, and every service records itself here in the change's own
    transaction (appends queue on the chain head, so ids rise in commit order): two reads that
    find the same id read the same data, which is what caches key on."""
    reads = Q(action__in=READ_ACTIONS)
    for prefix in READ_PREFIXES:
        reads |= Q(action__startswith=prefix)
    return Subquery(
        AuditEntry.objects.filter(scheme=scheme).exclude(reads).order_by("-pk").values("pk")[:1]
    )


def last_change(scheme) -> int:
    """`last_change_of(scheme)` in a query of its own; 0 if the scheme has none."""
    found = Scheme.objects.filter(pk=scheme.pk).values_list(
        Coalesce(last_change_of(scheme), 0), flat=True
    )
    return found.first() or 0


def is_trail_statement(sql: str) -> bool:
    """True for the statements that append to the trail (the chain head's lock, the insert and
    the head's update). Query budgets count what builds a page, and the trail's apart."""
    return (
        AuditEntry._meta.db_table in sql
        or AuditChainHead._meta.db_table in sql
        or sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    )


# --- Verifying ---------------------------------------------------------------------------------


def _seal_mac(key: bytes, count: int, digest: str, sealed_with: str) -> str:
    """The seal over the entries written before signing (migration 0008 does the same)."""
    body = _canonical({"count": count, "digest": digest, "key_id": sealed_with})
    return hmac.new(key, b"icv audit legacy seal\n" + body, hashlib.sha256).hexdigest()


@dataclasses.dataclass
class Walk:
    """What walking the chain from its first entry found."""

    count: int = 0  # entries that verified, in order
    head: str = ""  # the hash the next entry chains from
    legacy: int = 0  # of which written under the old unkeyed scheme
    legacy_forks: int = 0  # old entries not chained from the entry just before them
    broken: AuditEntry | None = None  # the first entry that does not verify, if one does not
    reason: str = ""  # why the walk stopped; empty if the whole chain verified
    at: dict[int, str] = dataclasses.field(default_factory=dict)  # head after n entries


def _unseal(legacy, ring) -> tuple[int, str, str]:
    """(how many old entries were sealed, their digest, a problem with the seal or "")."""
    if legacy is None:
        return 0, "", ""
    try:
        count, digest = int(legacy["count"]), str(legacy["digest"])
        sealed_with, mac = str(legacy["key_id"]), str(legacy["mac"])
    except (KeyError, TypeError, ValueError):
        return 0, "", "the seal over the entries written before signing is damaged"
    known = ring.get(sealed_with)
    if known is None or not hmac.compare_digest(
        mac, _seal_mac(known[1], count, digest, sealed_with)
    ):
        return (
            0,
            "",
            (
                "the seal over the entries written before signing does not verify: it was altered, "
                "or made with a key that is not configured"
            ),
        )
    return count, digest, ""


def walk(head: AuditChainHead | None, positions=()) -> Walk:
    """Verify every entry in order, stopping at the first that fails; note the chain's head
    after each of `positions` entries. `head` is the chain head row, for its seal over the
    entries written before signing."""
    ring = keyring()
    found = Walk()
    sealed, digest, found.reason = _unseal(head.legacy if head else None, ring)
    if found.reason:
        return found
    wanted = set(positions)
    if 0 in wanted:
        found.at[0] = ""
    not_as_sealed = (
        f"the entries written before signing are not those sealed when signing began "
        f"({sealed} sealed)"
    )
    legacy_hashes: set[str] = set()  # old entries may fork, so each may follow any before it
    last_legacy = ""
    age = -1  # of the key that signed the last entry; keys only ever get newer
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=2000):
        old = entry.key_id == LEGACY
        known = ring.get(entry.key_id)
        if old and (age >= 0 or found.legacy >= sealed):
            problem = "it is unsigned, and not one of the entries sealed when signing began"
        elif old and not hmac.compare_digest(entry.entry_hash, _legacy_hash(entry)):
            problem = "its content does not match its hash: it was changed after it was written"
        elif old and entry.previous_hash and entry.previous_hash not in legacy_hashes:
            problem = "the entry it follows is missing"
        elif old:
            problem = ""
            found.legacy += 1
            found.legacy_forks += entry.previous_hash != last_legacy
            legacy_hashes.add(entry.entry_hash)
            last_legacy = entry.entry_hash
            found.head = _legacy_link(found.head, entry.entry_hash)
        elif age < 0 and (found.legacy, found.head) != (sealed, digest):
            problem = not_as_sealed
        elif known is None:
            problem = (
                f"it is signed with a key that is not configured (key id {entry.key_id}; "
                "see ICV_AUDIT_KEY and ICV_AUDIT_OLD_KEYS)"
            )
        elif known[0] < age:
            problem = "it is signed with an older key than the entry before it"
        elif entry.previous_hash != found.head:
            problem = "it does not follow the entry before it: entries were removed or inserted"
        elif not hmac.compare_digest(entry.entry_hash, _mac(known[1], entry)):
            problem = "its content or its hash was changed after it was written"
        else:
            problem = ""
            age = known[0]
            found.head = entry.entry_hash
        if problem:
            found.broken, found.reason = entry, problem
            return found
        found.count += 1
        if found.count in wanted:
            found.at[found.count] = found.head
    if age < 0 and (found.legacy, found.head) != (sealed, digest):
        found.reason = not_as_sealed
    return found


def verify_chain() -> AuditEntry | None:
    """The first entry that does not verify (changed, or not following the one before), or
    None. verify() also checks the chain's head and the checkpoint, which find deletions."""
    return walk(AuditChainHead.objects.filter(pk=HEAD_PK).first()).broken


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """What verify_audit_chain saw last time: `count` entries, the last of them `head`."""

    count: int
    head: str
    written_at: str
    key_id: str


class CheckpointError(Exception):
    pass


def _checkpoint_mac(key: bytes, checkpoint: Checkpoint) -> str:
    body = _canonical(dataclasses.asdict(checkpoint))
    return hmac.new(key, b"icv audit checkpoint\n" + body, hashlib.sha256).hexdigest()


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at `path`, None if there is none yet; CheckpointError if it is not one
    this key signed."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise CheckpointError(f"The checkpoint {path} cannot be read: {error}.") from None
    try:
        checkpoint = Checkpoint(
            count=int(data["count"]),
            head=str(data["head"]),
            written_at=str(data["written_at"]),
            key_id=str(data["key_id"]),
        )
        mac = str(data["mac"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"The checkpoint {path} is not a checkpoint.") from None
    known = keyring().get(checkpoint.key_id)
    if known is None or not hmac.compare_digest(mac, _checkpoint_mac(known[1], checkpoint)):
        raise CheckpointError(
            f"The checkpoint {path} does not carry a valid signature: it was altered, or "
            "signed with a key that is not configured."
        )
    return checkpoint


def write_checkpoint(path: Path, count: int, head: str) -> Checkpoint:
    """Replace the checkpoint at `path` in one step (a half-written file is never left)."""
    key = signing_key()
    checkpoint = Checkpoint(
        count=count,
        head=head,
        written_at=timezone.now().isoformat(timespec="seconds"),
        key_id=key_id(key),
    )
    data = {
        "about": "The audit trail as manage.py verify_audit_chain last found it intact.",
        **dataclasses.asdict(checkpoint),
        "mac": _checkpoint_mac(key.encode(), checkpoint),
    }
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return checkpoint


@dataclasses.dataclass
class Verdict:
    walk: Walk
    problems: list[str]
    checkpoint: Checkpoint | None = None  # the one found, if it was checked
    new_checkpoint: Checkpoint | None = None  # written when all was well


def verify(checkpoint_path: Path | None, *, trust_checkpoint: bool = True) -> Verdict:
    """Walk the chain; compare it with the head row and with the checkpoint at
    `checkpoint_path` (unless `trust_checkpoint` is False); if all is well, move the checkpoint
    on to what was found. Safe while the app appends: the head and the checkpoint are read
    before the walk, and the chain only grows."""
    problems: list[str] = []
    previous = None
    if checkpoint_path is not None and trust_checkpoint:
        try:
            previous = read_checkpoint(checkpoint_path)
        except CheckpointError as error:
            problems.append(str(error))
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    found = walk(head, {head.count if head else 0, previous.count if previous else 0})
    verdict = Verdict(walk=found, problems=problems, checkpoint=previous)
    if found.broken is not None:
        entry = found.broken
        problems.insert(
            0,
            f"The audit trail is broken at entry {entry.pk} "
            f"({entry.created_at:%Y-%m-%d %H:%M} {entry.action}): {found.reason}.",
        )
        return verdict
    if found.reason:
        problems.insert(0, f"The audit trail is broken: {found.reason}.")
        return verdict

    if head is None:
        problems.append(
            "The chain head row is missing (it is moved on with every entry): it was deleted, "
            "and with it perhaps the entries."
        )
    elif head.count > found.count:
        problems.append(
            f"The chain head counts {head.count} entries but only {found.count} are left: "
            "the newest were deleted."
        )
    elif found.at.get(head.count) != head.head_hash:
        problems.append(
            f"Entry number {head.count} is not the one the chain head points to: the trail "
            "was rewritten."
        )
    else:
        after = AuditChainHead.objects.filter(pk=HEAD_PK).first()
        if after is not None and after.count < found.count:
            problems.append(
                f"{found.count - after.count} entries at the end were added without moving "
                "the chain head: they were written outside the app."
            )

    if previous is not None:
        if found.count < previous.count:
            problems.append(
                f"The checkpoint of {previous.written_at} counted {previous.count} entries but "
                f"only {found.count} are left: entries were deleted."
            )
        elif found.at.get(previous.count) != previous.head:
            problems.append(
                f"Entry number {previous.count} is not the one checkpointed on "
                f"{previous.written_at}: the trail up to it was rewritten, or entries were "
                "removed and others put in their place."
            )

    if not problems and checkpoint_path is not None:
        try:
            verdict.new_checkpoint = write_checkpoint(checkpoint_path, found.count, found.head)
        except OSError as error:
            problems.append(f"The checkpoint {checkpoint_path} cannot be written: {error}.")
    return verdict
