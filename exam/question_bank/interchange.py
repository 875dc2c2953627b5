"""The interchange form of a question: plain data, shared by every import and export format.

Parsers (GIFT, Moodle XML, Aiken, QTI, native YAML) turn a file into a list of
``QuestionData``; writers turn such a list back into a file. Nothing here touches the
database: the bank's operations turn ``QuestionData`` into stored question versions.

Scoring conventions follow Moodle: a choice or answer carries a ``fraction`` of the
question's points (1.0 = full credit, 0.5 = half, negative values are penalties).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

QUESTION_TYPES = (
    "single_choice",
    "multiple_response",
    "true_false",
    "short_answer",
    "numerical",
    "matching",
    "ordering",
    "essay",
)
DIFFICULTIES = ("easy", "medium", "hard")
TEXT_FORMATS = ("plain", "html", "markdown")


@dataclass
class Choice:
    """One option of a single-choice or multiple-response question."""

    text: str
    fraction: float = 0.0
    feedback: str = ""


@dataclass
class ShortAnswer:
    """One accepted answer of a short-answer (fill-in-the-blank) question."""

    text: str
    fraction: float = 1.0
    feedback: str = ""


@dataclass
class NumericAnswer:
    """An accepted number: ``value`` ± ``tolerance`` earns ``fraction`` of the points."""

    value: float
    tolerance: float = 0.0
    fraction: float = 1.0
    feedback: str = ""


@dataclass
class NumericUnit:
    """A unit a numerical answer may be written in: the value typed in this unit,
    divided by ``multiplier``, is the value in the answers' unit (Moodle's rule: the
    answers' own unit has multiplier 1; "cm" beside "m" has 100)."""

    unit: str
    multiplier: float = 1.0


@dataclass
class MatchPair:
    """A prompt and the answer it must be matched with. A pair with an empty prompt is a
    distractor answer (Moodle allows those)."""

    prompt: str
    answer: str


@dataclass
class RubricCriterion:
    """One line of an essay's marking guide."""

    criterion: str
    points: float


@dataclass
class QuestionData:
    """A question as every format sees it. Only the fields of its ``type`` are used."""

    type: str
    text: str
    name: str = ""
    key: str = ""  # a stable identifier inside its bank (native ``id``, QTI identifier)
    text_format: str = "plain"
    category: str = ""  # a path, levels separated by "/"
    difficulty: str | None = None
    tags: list[str] = field(default_factory=list)
    legal_basis: str = ""
    legal_basis_date: dt.date | None = None
    default_points: float = 1.0
    general_feedback: str = ""
    # single_choice, multiple_response
    choices: list[Choice] = field(default_factory=list)
    shuffle_choices: bool = True
    # true_false
    correct_answer: bool | None = None
    # short_answer
    answers: list[ShortAnswer] = field(default_factory=list)
    case_sensitive: bool = False
    diacritics_sensitive: bool = True
    # numerical; units are optional: a response may carry one of them, or none
    numeric_answers: list[NumericAnswer] = field(default_factory=list)
    units: list[NumericUnit] = field(default_factory=list)
    # matching
    pairs: list[MatchPair] = field(default_factory=list)
    # ordering: the items in their correct order
    items: list[str] = field(default_factory=list)
    # essay
    rubric: list[RubricCriterion] = field(default_factory=list)
    # embedded files (images), by the name the text refers to
    media: dict[str, bytes] = field(default_factory=dict)
    # kept as history only (native ``status: retired``): imported retired, never drawn
    retired: bool = False


@dataclass
class ImportProblem:
    """Why a part of a file cannot be imported, and where."""

    line: int | None
    message: str
    question: str = ""  # the question's name or first words, when known

    def __str__(self) -> str:
        where = f"dòng {self.line}" if self.line else "tệp"
        who = f" (câu hỏi «{self.question}»)" if self.question else ""
        return f"{where}{who}: {self.message}"


class ImportFailed(Exception):
    """A file that cannot be imported whole: every problem found, the bank untouched."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
