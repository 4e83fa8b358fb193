"""PDF rendering with reportlab: a VisitReport in, bytes out. A4, page numbers, text that wraps.

Fonts are DejaVu Sans (visits/fonts/), embedded in every PDF: it has the Welsh letters.
"""

import io

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Spacer

from visits.models import REPORT_FIELD_LABELS
from visits.pdf_layout import (  # noqa: F401 (BRAND, GREY, INK, CONCERN, TITLE: for older imports)
    BODY,
    BRAND,
    CONCERN,
    GREY,
    H2,
    H3,
    INK,
    PAGE_WIDTH,
    SMALL,
    TITLE,
    NumberedCanvas,
    document,
)
from visits.pdf_layout import p as _p
from visits.pdf_layout import table as _table
from visits.visit_read_model import VisitReport

# The building blocks (fonts, styles, tables, footers) live in visits/pdf_layout.py, shared with
# the published documents; this module is the visit report alone.


def _fmt(moment) -> str:
    if not moment:
        return gettext("Not recorded")
    return date_format(timezone.localtime(moment), "d M Y, H:i")


def _answer_rows(sections) -> list:
    flow = []
    for section in sections:
        rows = [[_p(gettext("Question"), SMALL), _p(gettext("Answer"), SMALL)]]
        rows[0].append(_p(gettext("Note"), SMALL))
        concerns = []
        for q in section.questions:
            if q.concern:
                concerns.append(len(rows))
            rows.append([_p(q.text, SMALL), _p(q.answer, SMALL), _p(q.note, SMALL)])
        flow += [
            _p(section.title, H3),
            _table(
                rows,
                [PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.15, PAGE_WIDTH * 0.35],
                header=True,
                concern_rows=concerns,
            ),
        ]
    return flow


# A photo fills the text width at most, and half a page's height, so a caption fits beneath.
PHOTO_MAX_HEIGHT = 110 * mm


def _photo_flow(report: VisitReport) -> list:
    """Each photo of the suite's conditions scaled to fit, its caption below."""
    flow = [_p(gettext("Photos of conditions (%(count)d)") % {"count": len(report.photos)}, H2)]
    if not report.photos:
        return flow + [_p(gettext("No photos were taken."))]
    for photo in report.photos:
        caption = gettext("Photo %(number)d") % {"number": photo.number}
        if photo.caption:
            caption += ": " + photo.caption
        caption += " " + gettext("(added by %(by)s, %(at)s)") % {
            "by": photo.taken_by,
            "at": _fmt(photo.taken_at),
        }
        scale = min(PAGE_WIDTH / photo.width, PHOTO_MAX_HEIGHT / photo.height)
        try:
            with photo.image.open("rb") as f:
                picture = Image(
                    io.BytesIO(f.read()), width=photo.width * scale, height=photo.height * scale
                )
        except (FileNotFoundError, ValueError):
            picture = _p(gettext("(Photo file missing.)"))
        flow.append(KeepTogether([picture, _p(caption, SMALL), Spacer(1, 6)]))
    return flow


def render_visit_report(report: VisitReport) -> bytes:
    """The report as the custody lead and the OPCC receive it."""
    visit = report.visit
    out = io.BytesIO()
    title = gettext("Custody visit report: %(suite)s, %(date)s") % {
        "suite": visit.suite.shown_name,
        "date": date_format(visit.visit_date, "d F Y"),
    }
    doc = document(
        out,
        title=title,
        author=visit.scheme.shown_name,
        subject=gettext("Independent custody visit report"),
    )
    flow = [
        _p(gettext("Custody visit report"), TITLE),
        _p(f"{visit.suite.shown_name} · {visit.scheme.shown_name}", H3),
    ]

    not_recorded = gettext("Not recorded")
    delay = gettext("None")
    if visit.delay_minutes:
        delay = ngettext(
            "%(minutes)d minute. Reason given: %(reason)s. Authorised by %(by)s.",
            "%(minutes)d minutes. Reason given: %(reason)s. Authorised by %(by)s.",
            visit.delay_minutes,
        ) % {
            "minutes": visit.delay_minutes,
            "reason": visit.delay_reason,
            "by": visit.delay_authorised_by,
        }
    outcome = visit.get_outcome_display() or not_recorded
    if visit.abandoned_reason:
        outcome += f": {visit.abandoned_reason}"
    if visit.submitted_at:
        status = gettext("Submitted %(at)s") % {"at": _fmt(visit.submitted_at)}
    else:
        status = gettext("Draft")
    facts = [
        (gettext("Date"), date_format(visit.visit_date, "l d F Y")),
        (gettext("Visitors"), ", ".join(name for _id, name, _at in report.visitors)),
        (gettext("Arrived"), _fmt(visit.arrived_at)),
        (gettext("Admitted"), _fmt(visit.admitted_at)),
        (gettext("Delay to admission"), delay),
        (gettext("Departed"), _fmt(visit.departed_at)),
        (str(REPORT_FIELD_LABELS["outcome"]), outcome),
        (str(REPORT_FIELD_LABELS["sergeant_name"]), visit.sergeant_name or not_recorded),
        (gettext("Report"), status),
    ]
    if visit.involves_tact:
        facts.append(
            (gettext("Terrorism Act"), gettext("A TACT detainee was held: restricted report."))
        )
    flow.append(
        _table([[_p(k, H3), _p(v)] for k, v in facts], [PAGE_WIDTH * 0.3, PAGE_WIDTH * 0.7])
    )

    flow.append(_p(gettext("Numbers at the time of the visit"), H2))
    half = (len(report.numbers) + 1) // 2
    left, right = report.numbers[:half], report.numbers[half:]
    rows = []
    for i in range(half):
        row = [_p(left[i][0]), _p(str(left[i][1]))]
        row += [_p(right[i][0]), _p(str(right[i][1]))] if i < len(right) else ["", ""]
        rows.append(row)
    w = PAGE_WIDTH / 2
    flow.append(_table(rows, [w * 0.8, w * 0.2, w * 0.8, w * 0.2]))
    if report.not_visited:
        flow.append(_p(gettext("Not visited, by reason"), H3))
        flow.append(
            _table(
                [[_p(label), _p(str(n))] for label, n in report.not_visited],
                [PAGE_WIDTH * 0.8, PAGE_WIDTH * 0.2],
            )
        )
        if visit.nv_access_denied_reason:
            flow.append(
                _p(
                    gettext("Access denied because: %(reason)s")
                    % {"reason": visit.nv_access_denied_reason}
                )
            )

    flow.append(_p(gettext("Detainees seen (%(number)d)") % {"number": report.detainees_seen}, H2))
    if not report.detainee_answers_shown:
        flow.append(_p(gettext("Who was seen and what they said is not shown to your role.")))
    elif not report.detainees:
        flow.append(_p(gettext("No detainee was seen on this visit.")))
    for d in report.detainees:
        flow.append(
            KeepTogether(
                [
                    _p(gettext("Detainee %(number)s") % {"number": d.custody_number}, H3),
                    _p("; ".join(map(str, d.flags)) or gettext("No flags recorded."), SMALL),
                ]
            )
        )
        flow += _answer_rows(d.sections)

    flow.append(_p(gettext("Suite checks"), H2))
    flow += _answer_rows(report.suite_sections)

    flow += _photo_flow(report)

    flow.append(_p(gettext("Issues raised"), H2))
    if not report.issues:
        flow.append(_p(gettext("No issues were raised.")))
    else:
        rows = [[_p(gettext("Category"), SMALL), _p(pgettext("a problem raised", "Issue"), SMALL)]]
        rows[0].append(_p(gettext("Status"), SMALL))
        for issue in report.issues:
            text = issue.description
            if issue.custody_number:
                text = f"{issue.custody_number}: {text}"
            if issue.recheck_next_visit:
                text += " " + gettext("(re-check on the next visit)")
            rows.append(
                [
                    _p(
                        gettext("%(category)s (%(severity)s)")
                        % {
                            "category": issue.category_label,
                            "severity": str(issue.severity_label).lower(),
                        },
                        SMALL,
                    ),
                    _p(text, SMALL),
                    _p(issue.status_label, SMALL),
                ]
            )
        flow.append(
            _table(rows, [PAGE_WIDTH * 0.25, PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.25], header=True)
        )

    flow.append(_p(gettext("Good practice seen"), H2))
    flow.append(_p(visit.good_practice or gettext("None recorded.")))

    flow.append(_p(gettext("Sign-off"), H2))
    flow.append(
        _p(gettext("Custody sergeant: %(name)s") % {"name": visit.sergeant_name or not_recorded})
    )
    flow.append(
        _p(
            gettext("Sergeant's comments: %(comments)s")
            % {"comments": visit.sergeant_comments or gettext("None")}
        )
    )
    if visit.sergeant_signature:
        try:
            with visit.sergeant_signature.open("rb") as f:
                flow.append(
                    Image(io.BytesIO(f.read()), width=60 * mm, height=20 * mm, kind="proportional")
                )
        except FileNotFoundError:
            flow.append(_p(gettext("(Signature file missing.)")))
    elif visit.sergeant_signed_at:
        flow.append(
            _p(
                gettext("Signed by confirmation on the visitors' phone, %(at)s.")
                % {"at": _fmt(visit.sergeant_signed_at)}
            )
        )
    for _id, name, confirmed in report.visitors:
        flow.append(
            _p(
                gettext("%(name)s: confirmed %(at)s") % {"name": name, "at": _fmt(confirmed)}
                if confirmed
                else gettext("%(name)s: not confirmed") % {"name": name}
            )
        )

    if report.amendments:
        flow.append(_p(gettext("Amendments"), H2))
        for a in report.amendments:
            flow.append(
                _p(
                    gettext("%(at)s, %(by)s. Reason: %(reason)s")
                    % {"at": _fmt(a.at), "by": a.by, "reason": a.reason},
                    H3,
                )
            )
            rows = [[_p(gettext("Changed"), SMALL), _p(gettext("Before"), SMALL)]]
            rows[0].append(_p(gettext("After"), SMALL))
            rows += [
                [_p(c.label, SMALL), _p(c.before, SMALL), _p(c.after, SMALL)] for c in a.changes
            ]
            flow.append(
                _table(rows, [PAGE_WIDTH * 0.4, PAGE_WIDTH * 0.3, PAGE_WIDTH * 0.3], header=True)
            )
    flow.append(Spacer(1, 6))

    class Canvas(NumberedCanvas):
        footer_text = gettext("%(suite)s, %(date)s · OFFICIAL-SENSITIVE") % {
            "suite": visit.suite.shown_name,
            "date": date_format(visit.visit_date, "d M Y"),
        }

    doc.build(flow, canvasmaker=Canvas)
    return out.getvalue()
