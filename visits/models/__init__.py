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
from .expenses import ExpenseClaim, MileageRate
from .issues import Issue, IssueEvent
from .jobs import JobRun
from .mail import Email
from .people import (
    VISITING_ROLES,
    ApiToken,
    CalendarFeed,
    Conflict,
    Membership,
    Profile,
    Role,
    VettingLevel,
    VisitingBar,
    VisitorStatus,
)
from .publication import PublishedQuarter
from .recruitment import CLOSED_STATUSES, Application, ApplicationStatus, Reference
from .rota import Availability, RotaPeriod, RotaSlot, SwapRequest, TimeBand
from .schemes import CustodySuite, Panel, Scheme
from .training import TrainingCompletion, TrainingModule
from .visits import (
    DETAINEE_FLAG_NAMES,
    DETAINEE_FLAGS,
    NOT_VISITED_LABELS,
    NOT_VISITED_TITLES,
    NUMBER_LABELS,
    REPORT_FIELD_LABELS,
    Amendment,
    Answer,
    Attachment,
    CopyPhoto,
    DetaineeFlag,
    DetaineeRecord,
    Visit,
    VisitCopy,
    VisitVisitor,
)

__all__ = [
    "DETAINEE_FLAGS",
    "DETAINEE_FLAG_NAMES",
    "NOT_VISITED_LABELS",
    "NOT_VISITED_TITLES",
    "NUMBER_LABELS",
    "REPORT_FIELD_LABELS",
    "DetaineeFlag",
    "CLOSED_STATUSES",
    "Application",
    "ApplicationStatus",
    "Reference",
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
    "ExpenseClaim",
    "IdCard",
    "Issue",
    "IssueCategory",
    "IssueEvent",
    "JobRun",
    "Membership",
    "Profile",
    "MileageRate",
    "Panel",
    "PublishedQuarter",
    "Question",
    "Role",
    "RotaPeriod",
    "RotaSlot",
    "Scheme",
    "SwapRequest",
    "TimeBand",
    "TrainingCompletion",
    "TrainingModule",
    "Visit",
    "VisitCopy",
    "CopyPhoto",
    "CopyPhoto",
    "VisitVisitor",
    "VettingLevel",
    "VisitingBar",
    "VisitorStatus",
]
