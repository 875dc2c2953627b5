"""Every named permission predicate, for templates (``can.view_bank(current_user)``) so a
page hides exactly what the server forbids."""

from exam.accounts.permissions import (  # noqa: F401
    can_administer_accounts,
    is_author,
    is_board,
    is_candidate,
)
from exam.appeals.permissions import can_view_appeals, is_remarker  # noqa: F401
from exam.candidates.permissions import (  # noqa: F401
    can_apply,
    can_decide_eligibility,
    can_draw_lots,
    can_edit_application,
    can_import_candidates,
    can_send_summons,
    can_view_application,
    can_view_candidates,
)
from exam.council.permissions import (  # noqa: F401
    can_run_meetings,
    can_set_up_bodies,
    can_view_bodies,
    can_view_meetings,
    is_platform_admin,
    sits_on,
)
from exam.exams.permissions import (  # noqa: F401
    can_invigilate,
    can_invigilate_some_room,
    can_manage_tests,
    can_monitor_tests,
    can_sit,
    can_watch_room,
    can_watch_some_room,
    is_invigilator,
)
from exam.main.permissions import can_retry_notices, can_view_outbox  # noqa: F401
from exam.marking.permissions import can_view_marking  # noqa: F401
from exam.panels.permissions import (  # noqa: F401
    can_manage_panels,
    can_score_on,
    can_view_panel,
    is_panel_member,
)
from exam.question_bank.permissions import (  # noqa: F401
    can_approve_question,
    can_delete_question,
    can_edit_question,
    can_export_bank,
    can_reject_question,
    can_retire_question,
    can_submit_question,
    can_view_bank,
    can_write_questions,
)
from exam.results.permissions import can_compute_results, can_view_results  # noqa: F401
from exam.rounds.permissions import (  # noqa: F401
    can_manage_round,
    can_manage_rounds,
    can_manage_units,
    can_view_round_admin,
    can_view_units,
)
from exam.supervision.permissions import can_supervise  # noqa: F401
