"""E-mails are plain text rendered from templates/mail/ (visits.mail_messages._render): what a
person typed (a name, an issue's description, a scheme's name) reaches the e-mail as typed,
never HTML-escaped, and every template renders a subject of one line."""

from pathlib import Path

import pytest
from django.template.loader import render_to_string

MAIL = Path(__file__).resolve().parent.parent / "templates" / "mail"
TYPED = 'O\'Brien & <Sons> "Ltd"'
KINDS = sorted({p.name.rsplit("_", 1)[0] for p in MAIL.glob("*_subject.txt")})


def context() -> dict:
    """Every value a mail template shows, as awkward typed text (and counts of 2)."""
    text_keys = [
        "suite", "when", "outcome", "about", "level", "due", "description", "link", "scheme",
        "today", "period", "slot", "offered_by", "taken_by", "note", "partner", "date", "name",
        "module", "reason", "username",
    ]  # fmt: skip
    values = dict.fromkeys(text_keys, TYPED)
    values |= {"count": 2, "late": 1, "photos": 2, "to_triage": 2, "responded": 1}
    values |= {"remind_days": 2, "empty": 1, "first": True, "vetting": True, "own": False}
    values |= {"overdue": [TYPED], "due_soon": [TYPED], "lines": [TYPED], "told": [TYPED]}
    values |= {"slots": [TYPED], "has_password": True, "action": "close"}
    values["due"] = [{"name": TYPED, "module": TYPED, "reason": TYPED}]
    return values


def test_every_kind_has_a_subject_and_a_body():
    assert len(KINDS) >= 17
    for kind in KINDS:
        assert (MAIL / f"{kind}_body.txt").exists(), kind


@pytest.mark.parametrize("kind", KINDS)
def test_typed_text_reaches_the_mail_as_typed(kind):
    subject = render_to_string(f"mail/{kind}_subject.txt", context())
    body = render_to_string(f"mail/{kind}_body.txt", context())
    for text in (subject, body):
        assert "&#x27;" not in text and "&amp;" not in text and "&lt;" not in text
    assert TYPED in subject + body, kind
    assert "\n" not in subject.strip(), kind
