"""Where each route of the application is checked for access (docs/architecture.md, "How
access is tested"). tests/access/test_every_route_is_classified.py walks ``app.url_map`` and
fails on a route and method that none of these names:

1. the matrix, tests/test_access_matrix.py (GET_MATRIX, POST_DENIALS, ROUND_MATRIX,
   ROUND_WRITES, ROUND_B_WRITES): its URLs are matched against the routes;
2. CASES below: a URL on one of the scenes of tests/access/scenes.py and the status each
   person gets, run by tests/access/test_route_cases.py (a refused POST must leave every
   table as it was);
3. PUBLIC: open to anyone, with the reason;
4. ELSEWHERE: covered by a named test of another file, which must exist.

A new route goes to CASES (or to the matrix) unless it is public by nature."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.access.scenes import ONLOOKERS

# A refusal, and the answers of a person let through (a page, a redirect after the action or
# a refused form sent back to its page).
REFUSED = frozenset({401, 403, 404, 405})
LET_THROUGH = frozenset({200, 302, 303})


@dataclass(frozen=True)
class Case:
    scene: str  # "world", "marked" or "ranked" (tests/access/scenes.py)
    method: str
    url: str  # a template on the scene's ids
    expected: dict[str, int]
    data: dict[str, str] = field(default_factory=dict)
    nobody: str = ""  # why no person of the scene is let through, when none is

    def refused(self, actor: str) -> bool:
        """Whose request must change nothing: the guest (sent to sign in) and the refused."""
        return actor == "guest" or self.expected[actor] in REFUSED

    @property
    def name(self) -> str:
        return f"{self.method} {self.url} [{self.scene}]"


def case(
    scene: str,
    method: str,
    url: str,
    *,
    guest: int = 302,
    candidate: int = 404,
    other_candidate: int = 404,
    round_b: int = 404,
    data: dict[str, str] | None = None,
    nobody: str = "",
    **powers: int,
) -> Case:
    """A round's staff page by default: the guest is sent to sign in, the round's candidates
    and round B's staff are told it does not exist; ``powers`` the scene's people."""
    onlookers = dict(zip(ONLOOKERS, (guest, candidate, other_candidate, round_b), strict=True))
    return Case(scene, method, url, {**onlookers, **powers}, data or {}, nobody)


GET, POST = "GET", "POST"

CASES: list[Case] = [
    # --- a person's own account ----------------------------------------------------------------
    case("world", GET, "/account/password", candidate=200, other_candidate=200, round_b=200),
    case("world", POST, "/account/password", candidate=303, other_candidate=303, round_b=303),
    # --- dossiers (the world's round is open for registration) ---------------------------------
    case(
        "world",
        GET,
        "/applications/{dossier_id}/documents/{document_id}",
        dossier_owner=200,
        council=200,
        supervisor=200,
        panel_member=404,
        platform=404,
    ),
    case(
        "world",
        POST,
        "/applications/{dossier_id}/documents/{document_id}/delete",
        council=403,
        supervisor=403,
        platform=404,
        dossier_owner=302,
    ),
    case(
        "world",
        POST,
        "/positions/{position_id}/apply",
        candidate=303,
        other_candidate=303,
        round_b=403,
        council=403,
    ),
    case(
        "world",
        GET,
        "/rounds/{round_id}/applications/import/jobs/{job_id}",
        supervisor=403,
        platform=404,
        council=200,
    ),
    case(
        "world",
        GET,
        "/rounds/{round_id}/applications/import/jobs/{job_id}.json",
        supervisor=403,
        platform=404,
        council=200,
    ),
    case(
        "world",
        POST,
        "/rounds/{round_id}/candidates/{candidate_user_id}/invitation",
        supervisor=404,
        platform=404,
        council=302,
    ),
    case(
        "world", POST, "/rounds/{round_id}/invitations", supervisor=404, platform=404, council=302
    ),
    # --- the question bank (global roles) -------------------------------------------------------
    case(
        "world",
        POST,
        "/bank/new",
        candidate=403,
        other_candidate=403,
        round_b=403,
        supervisor=403,
        author=303,
    ),
    case(
        "world",
        POST,
        "/bank/{bank_id}/questions/new",
        candidate=403,
        other_candidate=403,
        round_b=403,
        council=403,
        author=303,
    ),
    # --- setting up a round ----------------------------------------------------------------------
    case(
        "world",
        POST,
        "/rounds/new",
        candidate=403,
        other_candidate=403,
        round_b=403,
        supervisor=403,
        platform=303,
    ),
    case(
        "world",
        POST,
        "/rounds/{draft_round_id}/positions/new",
        supervisor=403,
        platform=404,
        council=303,
    ),
    case("world", POST, "/rounds/{round_id}/tests/new", supervisor=403, platform=404, council=303),
    case("world", POST, "/rounds/{round_id}/panels/new", supervisor=403, platform=404, council=303),
    case(
        "world",
        POST,
        "/panels/{panel_id}/members/{member_id}/replace",
        supervisor=403,
        panel_member=403,
        platform=404,
        council=303,
    ),
    case(
        "world",
        POST,
        "/sections/{section_id}/delete",
        supervisor=403,
        platform=404,
        council=302,
    ),
    case("world", POST, "/sessions/{session_id}/rooms", supervisor=403, platform=404, council=303),
    case(
        "world",
        POST,
        "/tests/{test_id}/questions/{test_question_id}/void",
        supervisor=403,
        platform=404,
        council=303,
    ),
    # --- the Council's meetings: its Chair or Member-secretary records them; platform
    # administration without a seat reads them with the round's bodies, records nothing ------
    case(
        "world",
        GET,
        "/meetings/{meeting_id}",
        panel_member=404,
        supervisor=200,
        chair=200,
        platform=200,
    ),
    case(
        "world",
        GET,
        "/rounds/{round_id}/meetings/new",
        panel_member=403,
        supervisor=403,
        council=403,  # a plain member of the Council
        platform=403,
        chair=200,
    ),
    case(
        "world",
        POST,
        "/meetings/{meeting_id}/items",
        data={"title": "Nội dung do người không có ghế ghi"},
        panel_member=404,
        supervisor=403,
        council=403,
        platform=403,
        chair=302,
    ),
    case(
        "world",
        POST,
        "/meetings/items/{item_id}/votes",
        data={"item{item_id}-voter_id": "{chair_id}", "item{item_id}-choice": "for"},
        panel_member=404,
        supervisor=403,
        council=403,
        platform=403,
        chair=302,
    ),
    case(
        "world",
        POST,
        "/meetings/{meeting_id}/close",
        panel_member=404,
        supervisor=403,
        council=403,
        platform=403,
        chair=302,
    ),
    # A body's decision issued with its members: the Council's by platform administration
    # (which sets the Council up), a board's by the Council's Chair or Member-secretary too.
    case(
        "world",
        POST,
        "/bodies/{body_id}/decision",
        panel_member=403,
        supervisor=403,
        chair=403,
        platform=302,
    ),
    case(
        "world",
        POST,
        "/bodies/{body_id}/decisions",
        panel_member=403,
        supervisor=403,
        chair=403,
        platform=303,
    ),
    # --- admission cards: read by the Council and the supervisory board, issued by the Council
    case(
        "world",
        GET,
        "/rounds/{round_id}/admission-cards",
        panel_member=403,
        platform=404,
        supervisor=200,
        council=200,
    ),
    case(
        "world",
        POST,
        "/rounds/{round_id}/admission-cards",
        panel_member=403,
        supervisor=403,
        platform=404,
        council=302,
    ),
    # --- the organisation's units (platform administration) -------------------------------------
    case(
        "world",
        GET,
        "/rounds/units/{unit_id}/edit",
        candidate=403,
        other_candidate=403,
        round_b=403,
        supervisor=403,
        platform=200,
    ),
    case(
        "world",
        POST,
        "/rounds/units/{unit_id}/edit",
        candidate=403,
        other_candidate=403,
        round_b=403,
        supervisor=403,
        platform=302,
    ),
    case(
        "world",
        POST,
        "/rounds/units/{unit_id}/retire",
        candidate=403,
        other_candidate=403,
        round_b=403,
        supervisor=403,
        platform=302,
    ),
    case(
        "world",
        POST,
        "/rounds/units/{unit_id}/restore",
        candidate=403,
        other_candidate=403,
        round_b=403,
        supervisor=403,
        platform=302,
    ),
    # --- supervision ------------------------------------------------------------------------------
    case("world", GET, "/rounds/{round_id}/supervision", council=403, supervisor=200),
    case(
        "world",
        POST,
        "/rounds/{round_id}/supervision/reports",
        council=403,
        platform=404,
        supervisor=303,
    ),
    case(
        "world",
        GET,
        "/supervision/reports/{report_id}.pdf",
        council=403,
        platform=404,
        supervisor=200,
    ),
    # --- marking (a published round: marked, unsealed) --------------------------------------------
    case(
        "marked",
        GET,
        "/marking/sheets/{sheet_id}",
        marking_head=404,
        anonymiser=404,
        council=404,
        supervisor=404,
        marker=200,
    ),
    case(
        "marked",
        POST,
        "/marking/sheets/{sheet_id}",
        marking_head=404,
        anonymiser=404,
        council=404,
        supervisor=404,
        marker=303,
    ),
    case(
        "marked",
        GET,
        "/scripts/{script_id}",
        anonymiser=404,
        marker=404,
        council=404,
        supervisor=404,
        marking_head=200,
    ),
    case(
        "marked",
        POST,
        "/scripts/{script_id}",
        anonymiser=404,
        marker=404,
        council=404,
        supervisor=404,
        marking_head=303,
    ),
    case(
        "marked",
        POST,
        "/scripts/{script_id}/third-marker",
        anonymiser=404,
        marker=404,
        council=404,
        supervisor=404,
        marking_head=302,
    ),
    case(
        "marked",
        POST,
        "/scripts/{script_id}/clear-flag",
        marking_head=404,
        marker=404,
        council=404,
        supervisor=404,
        anonymiser=302,
    ),
    case(
        "marked",
        POST,
        "/scripts/{script_id}/zero",
        marker=404,
        council=404,
        supervisor=404,
        anonymiser=403,
        marking_head=403,
        nobody="after the unsealing nobody records a zero; before it: "
        "tests/marking/test_marking.py",
    ),
    case(
        "marked",
        GET,
        "/scripts/{scanned_script_id}/scan.pdf",
        council=404,
        supervisor=404,
        remarker=404,
        anonymiser=200,
        marking_head=200,
    ),
    case(
        "marked",
        POST,
        "/paper-tests/{paper_test_id}/scans",
        marking_head=404,
        council=404,
        supervisor=404,
        anonymiser=303,
    ),
    case(
        "marked",
        POST,
        "/paper-tests/{paper_test_id}/scans.zip",
        marking_head=404,
        council=404,
        supervisor=404,
        anonymiser=303,
    ),
    case(
        "marked",
        GET,
        "/rounds/{round_id}/marking/codes",
        marking_head=404,
        marker=404,
        remarker=404,
        anonymiser=200,
        council=200,
        supervisor=200,
    ),
    case(
        "marked",
        GET,
        "/rounds/{round_id}/marking/hand-over.pdf",
        council=404,
        supervisor=404,
        marker=404,
        anonymiser=200,
        marking_head=200,
    ),
    # The matrix asks these of people who have no part in the marking: here the seats that do.
    case(
        "marked",
        GET,
        "/rounds/{round_id}/marking/board",
        anonymiser=404,
        marker=404,
        council=404,
        supervisor=404,
        marking_head=200,
    ),
    case(
        "marked",
        GET,
        "/rounds/{round_id}/marking/paper-tests",
        marking_head=404,
        council=404,
        supervisor=404,
        anonymiser=200,
    ),
    case(
        "marked",
        POST,
        "/rounds/{round_id}/marking/unseal",
        marking_head=404,
        marker=404,
        council=404,
        supervisor=404,
        anonymiser=302,
    ),
    # --- appeals (the first candidate's, filed) ---------------------------------------------------
    case(
        "marked",
        POST,
        "/rounds/{round_id}/appeals/rules",
        remarker=404,
        anonymiser=403,
        council=403,
        supervisor=403,
        chair=303,
    ),
    case(
        "marked",
        POST,
        "/appeals/{appeal_id}/remark",
        remarker=404,
        marker=404,
        council=403,
        supervisor=403,
        anonymiser=302,
    ),
    case(
        "marked",
        POST,
        "/appeals/{appeal_id}/refer",
        data={"meeting_id": "{meeting_id}"},
        remarker=404,
        anonymiser=403,
        council=403,
        supervisor=403,
        chair=302,
    ),
    case(
        "marked",
        POST,
        "/appeals/{appeal_id}/decide",
        data={"decision": "keep"},
        remarker=404,
        anonymiser=403,
        council=403,
        supervisor=403,
        chair=302,
    ),
    # --- panels and results (a position scored and ranked, the round in its results stage) ------
    case(
        "ranked",
        POST,
        "/panels/{panel_id}/applications/{application_id}/score",
        council=404,
        supervisor=404,
        panel_head=303,
    ),
    case(
        "ranked",
        POST,
        "/panels/{panel_id}/sheets/{sheet_id}/paper",
        council=403,
        supervisor=403,
        panel_member=403,
        panel_head=303,
    ),
    case(
        "ranked",
        POST,
        "/panels/{panel_id}/sheets/{sheet_id}/reopen",
        council=404,
        supervisor=404,
        panel_member=403,
        panel_head=303,
    ),
    # The head's sealed sheet (the matrix asks these with an id that does not exist).
    case(
        "ranked",
        GET,
        "/panels/{panel_id}/sheets/{sheet_id}/form.pdf",
        council=200,
        supervisor=200,
        panel_member=200,
        panel_head=200,
    ),
    case(
        "ranked",
        GET,
        "/panels/{panel_id}/sheets/{sheet_id}/paper",
        council=200,
        supervisor=200,
        panel_member=200,
        panel_head=200,
    ),
    case(
        "ranked",
        POST,
        "/panels/{panel_id}/record/members/{member_id}/present",
        council=403,
        supervisor=403,
        panel_member=403,
        panel_head=303,
    ),
    case(
        "ranked",
        GET,
        "/panels/{panel_id}/applications/{application_id}/sheets",
        council=200,
        supervisor=200,
        panel_member=200,
        panel_head=200,
    ),
    case(
        "ranked",
        GET,
        "/panels/{panel_id}/statistics",
        panel_member=404,
        panel_head=404,
        council=200,
        supervisor=200,
    ),
    case(
        "ranked",
        POST,
        "/results/rows/{row_id}/withdraw",
        supervisor=403,
        panel_member=403,
        council=303,
    ),
    case(
        "ranked",
        GET,
        "/results/rows/{row_id}/notice.pdf",
        council=404,
        supervisor=404,
        nobody="a draft ranking has no notice: the candidate's own once published is "
        "tests/results' (test_publication_pages.py)",
    ),
    case(
        "ranked",
        GET,
        "/recordings/{recording_id}",
        council=200,
        supervisor=200,
        panel_member=200,
        panel_head=200,
    ),
    case(
        "ranked",
        GET,
        "/positions/{position_id}/results/versions/{ranking_id}",
        panel_member=403,
        council=200,
        supervisor=200,
    ),
]

# Open to anyone, by nature: (endpoint, method) → why.
PUBLIC: dict[tuple[str, str], str] = {
    ("static", GET): "the vendored styles, scripts and fonts",
    ("main.favicon", GET): "the site's icon",
    ("main.set_language", POST): "the language switch, kept in the visitor's own session",
    ("accounts.login", POST): "signing in with one's e-mail and password",
    ("accounts.logout", POST): "signing out ends the visitor's own session only",
    ("accounts.register", POST): "a candidate creates their account",
    ("accounts.registered", GET): "the page after registering, the same for everyone",
    ("accounts.forgot_password", GET): "asking for a reset link",
    ("accounts.forgot_password", POST): "the same answer whether the address has an account",
    ("accounts.use_token", GET): "an invitation or reset link: the token is the credential",
    ("accounts.use_token", POST): "an invitation or reset link: the token is the credential",
    ("documents.verify", POST): "public verification: a file compared with the issued one",
}

# Covered by a named test elsewhere: (endpoint, method) → "tests/…::test_name" (checked).
ELSEWHERE: dict[tuple[str, str], str] = {
    # Sending mail: the test points the outbox at a local SMTP server.
    ("notices.send_now", POST): "tests/notices/test_outbox.py::test_only_the_board_sends",
    # Issuing a panel's minutes and a results report: the documents' own tests (H3).
    ("panels.close_session_record", POST): (
        "tests/panels/test_issued_papers.py::"
        "test_only_the_one_running_the_session_completes_the_record"
    ),
    # The approval's decision issued in the background: its job's status and the retry (H4).
    ("results.retry_decision", POST): (
        "tests/results/test_decision_jobs.py::test_only_the_council_retries_and_reads_the_decision_job"
    ),
    ("results.decision_job_status", GET): (
        "tests/results/test_decision_jobs.py::test_only_the_council_retries_and_reads_the_decision_job"
    ),
    # The hand-over's minutes issued in the background: the retry and the job's status.
    ("marking.retry_hand_over_minutes_job", POST): (
        "tests/marking/test_hand_over_job.py::"
        "test_only_the_ban_phach_retries_and_only_the_two_sides_read_the_job"
    ),
    ("marking.hand_over_job_status", GET): (
        "tests/marking/test_hand_over_job.py::"
        "test_only_the_ban_phach_retries_and_only_the_two_sides_read_the_job"
    ),
    ("results.issue_report", POST): (
        "tests/results/test_results_report_issued.py::"
        "test_the_report_is_read_by_the_council_and_the_supervisors_only"
    ),
}
