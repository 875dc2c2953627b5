"""When a position's ranking may be computed, given its lifecycle (docs/domain.md §8): kept
apart from exam/results/publication.py so that the computation (exam/results/ranking.py)
asks it without importing the approval that calls the computation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from exam.core.errors import DomainError
from exam.results.queries import current_version
from exam.rounds.models import Position, RoundStatus
from exam.rounds.stages import require_stage


def ensure_computable(position: Position, *, reason: str = "") -> None:
    """A first computation runs in the results stage, as often as needed while it is a draft.
    Once the Council approved a version it is locked: a new computation is a new version,
    only with its reason (an audited correction or an appeal), in the results or published
    stage."""
    version = current_version(position.id)
    if version is None:
        require_stage(position.round, RoundStatus.RESULTS, action=_l("tổng hợp kết quả"))
        return
    if not reason.strip():
        raise DomainError(
            _l(
                "Kết quả vị trí %(p)s đã được Hội đồng phê duyệt (phiên bản %(v)s, Quyết định "
                "số %(n)s): không tính lại được. Chỉ điều chỉnh qua phúc khảo hoặc đính chính "
                "có ghi lý do, tạo thành phiên bản mới.",
                p=position.label,
                v=version.version,
                n=version.decision.decision_number if version.decision else "",
            )
        )
    require_stage(
        position.round,
        RoundStatus.RESULTS,
        RoundStatus.PUBLISHED,
        action=_l("lập phiên bản kết quả mới"),
    )
