from .annual_reports import AnnualReport
from .audit import AuditEntry
from .cards import CardPhoto, IdCard
from .checklists import (
    ChecklistSection,
    ChecklistTemplate,
    ChecklistVersion,
    IssueCategory,
    Question,
)
from .issues import Issue, IssueEvent
from .jobs import JobRun
from .mail import Email
from .people import (
    VISITING_ROLES,
    ApiToken,
    CalendarFeed,
    Conflict,
    Membership,
    Role,
    VettingLevel,
    VisitingBar,
    VisitorStatus,
)
from .publication import PublishedQuarter
from .rota import Availability, RotaPeriod, RotaSlot, SwapRequest, TimeBand
from .schemes import CustodySuite, Panel, Scheme
from .visits import (
    Amendment,
    Answer,
    Attachment,
    CopyPhoto,
    DetaineeRecord,
    Visit,
    VisitCopy,
    VisitVisitor,
)

__all__ = [
    "VISITING_ROLES",
    "AnnualReport",
    "Amendment",
    "Answer",
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Availability",
    "CalendarFeed",
    "CardPhoto",
    "ChecklistSection",
    "ChecklistTemplate",
    "ChecklistVersion",
    "Conflict",
    "CustodySuite",
    "DetaineeRecord",
    "Email",
    "IdCard",
    "Issue",
    "IssueCategory",
    "IssueEvent",
    "JobRun",
    "Membership",
    "Panel",
    "PublishedQuarter",
    "Question",
    "Role",
    "RotaPeriod",
    "RotaSlot",
    "Scheme",
    "SwapRequest",
    "TimeBand",
    "Visit",
    "VisitCopy",
    "CopyPhoto",
    "CopyPhoto",
    "VisitVisitor",
    "VettingLevel",
    "VisitingBar",
    "VisitorStatus",
]
