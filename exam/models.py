"""Imports every domain's models, so the metadata (and Alembic) sees every table."""

from exam.accounts.models import AccountToken, RoleGrant, User  # noqa: F401
from exam.appeals.models import Appeal, PublicHoliday  # noqa: F401
from exam.audit.models import AuditEntry  # noqa: F401
from exam.candidates.models import (  # noqa: F401
    Application,
    ApplicationDocument,
    PresentationDraw,
)
from exam.core.jobs import Job  # noqa: F401
from exam.core.refused_forms import RefusedForm  # noqa: F401
from exam.council.models import (  # noqa: F401
    Body,
    Meeting,
    MeetingAttendee,
    MeetingItem,
    Membership,
    Vote,
)
from exam.documents.models import IssuedDocument  # noqa: F401
from exam.exams.models import Answer, Attempt, AttemptQuestion, Test  # noqa: F401
from exam.marking.models import MarkingPlan, MarkingSheet, Script, SheetLine  # noqa: F401
from exam.notices.models import OutboxMessage  # noqa: F401
from exam.panels.models import (  # noqa: F401
    Criterion,
    Declaration,
    InterviewGuide,
    Panel,
    PanelMember,
    PanelPosition,
    ScoreSheet,
    SheetScan,
    SpreadRuling,
)
from exam.question_bank.models import (  # noqa: F401
    Bank,
    BankMedia,
    Category,
    Question,
    QuestionVersion,
    Tag,
)
from exam.results.models import (  # noqa: F401
    FormulaPart,
    PartScore,
    Ranking,
    RankingRow,
    ResultFormula,
    ScoresHandOver,
    TieSettlement,
)
from exam.rounds.models import Position, Round, Unit  # noqa: F401
from exam.supervision.models import SupervisionReport  # noqa: F401
