"""The round's formula (exam/results/formula.py): presets, validation, frozen after the draft,
the board's page and a further part's scores page."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from exam import create_app
from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.results.formula import (
    FormulaSpec,
    PartSpec,
    civil_service_preset,
    formula_errors,
    formula_of,
    leadership_preset,
    set_formula,
    stored_formula,
)
from exam.results.models import FormulaPart, FormulaPreset, PartKind, PartScore, ResultFormula
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.helpers import config_for_tests, fresh_database_url
from tests.results.test_ranking import Person, build_contest


def _draft(make):
    return make.round(status=RoundStatus.DRAFT)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _weighted(*weights: int) -> FormulaSpec:
    kinds = [PartKind.COMPUTER_TEST, PartKind.WRITTEN_TEST, PartKind.INTERVIEW]
    return FormulaSpec(
        FormulaPreset.CUSTOM,
        tuple(
            PartSpec(kind, str(kind.title), weight=w)
            for kind, w in zip(kinds, weights, strict=False)
        ),
    )


# --- presets and the default -------------------------------------------------------------


def test_a_new_round_follows_the_leadership_preset_from_its_own_settings(make):
    round_ = _draft(make)
    spec = formula_of(round_)
    assert stored_formula(round_) is None
    assert spec.preset == FormulaPreset.LEADERSHIP
    assert [(p.kind, p.gate, p.weight, p.tie_break) for p in spec.parts] == [
        (PartKind.COMPUTER_TEST, round_.test_pass_mark, None, 1),
        (PartKind.INTERVIEW, None, 100, None),
    ]
    assert spec.winner_min_score == round_.winner_min_score == 50


def test_the_civil_service_preset_is_written_seventy_interview_thirty_each_at_least_fifty():
    spec = civil_service_preset()
    assert [(p.kind, p.gate, p.weight) for p in spec.parts] == [
        (PartKind.WRITTEN_TEST, 50, 70),
        (PartKind.INTERVIEW, 50, 30),
    ]
    assert spec.winner_min_score == 50
    assert formula_errors(spec) == []
    assert formula_errors(leadership_preset()) == []


def test_setting_a_preset_in_the_draft_is_stored_and_audited(make):
    round_ = _draft(make)
    board = make.user(Role.BOARD_ADMIN)
    set_formula(round_, civil_service_preset(), actor=board)
    set_formula(round_, leadership_preset(pass_mark=60, winner_min_score=55), actor=board)
    db.session.flush()
    formula = stored_formula(round_)
    assert formula.preset == FormulaPreset.LEADERSHIP
    assert [p.kind for p in formula.parts] == [PartKind.COMPUTER_TEST, PartKind.INTERVIEW]
    assert _count(FormulaPart) == 2  # the civil-service parts were replaced, not kept
    # The interview list's pass mark and the winner's minimum follow the formula.
    assert (round_.test_pass_mark, round_.winner_min_score) == (60, 55)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "formula.set").order_by(AuditEntry.id)
    ).all()
    assert entries[0].before is None
    assert entries[1].before["preset"] == "civil_service"
    assert entries[1].after["parts"][0] == [
        "computer_test",
        "Thi trắc nghiệm trên máy tính",
        60,
        None,
        1,
    ]


# --- bad input: refused, nothing half-saved ---------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_weighted(60, 30), "Tổng trọng số các phần thi phải bằng 100 % (hiện là 90 %)."),
        (_weighted(60, 30, 20), "Tổng trọng số các phần thi phải bằng 100 % (hiện là 110 %)."),
        (
            FormulaSpec(
                FormulaPreset.CUSTOM,
                (
                    PartSpec(PartKind.COMPUTER_TEST, "Trắc nghiệm", gate=101),
                    PartSpec(PartKind.INTERVIEW, "Phỏng vấn", weight=100),
                ),
            ),
            "Điểm tối thiểu của «Trắc nghiệm» phải từ 0 đến 100.",
        ),
        (
            FormulaSpec(
                FormulaPreset.CUSTOM,
                (PartSpec(PartKind.INTERVIEW, "Phỏng vấn", weight=100),),
                winner_min_score=101,
            ),
            "Điểm tối thiểu để trúng tuyển phải từ 0 đến 100.",
        ),
        (
            FormulaSpec(
                FormulaPreset.CUSTOM,
                (
                    PartSpec(PartKind.COMPUTER_TEST, "Trắc nghiệm", gate=50),
                    PartSpec(PartKind.OTHER, "Tin học"),
                    PartSpec(PartKind.INTERVIEW, "Phỏng vấn", weight=100),
                ),
            ),
            "Phần «Tin học» cần điểm tối thiểu hoặc trọng số.",
        ),
        (
            FormulaSpec(
                FormulaPreset.CUSTOM,
                (PartSpec(PartKind.COMPUTER_TEST, "Trắc nghiệm", gate=50),),
            ),
            "Cần ít nhất một phần thi có trọng số để tính tổng điểm.",
        ),
        (
            FormulaSpec(
                FormulaPreset.CUSTOM,
                (
                    PartSpec(PartKind.INTERVIEW, "Phỏng vấn", weight=50, tie_break=1),
                    PartSpec(PartKind.OTHER, "Tin học", weight=50, tie_break=1),
                ),
            ),
            "Hai phần thi không được cùng thứ tự xét bằng điểm.",
        ),
        (
            FormulaSpec(
                FormulaPreset.CUSTOM,
                (
                    PartSpec(PartKind.INTERVIEW, "Phỏng vấn", weight=50),
                    PartSpec(PartKind.INTERVIEW, "Đề án", weight=50),
                ),
            ),
            "Mỗi loại phần thi (trắc nghiệm, viết, đề án/phỏng vấn) chỉ có một lần.",
        ),
        (
            FormulaSpec(
                FormulaPreset.CUSTOM,
                (
                    PartSpec(PartKind.OTHER, "Tin học", weight=50),
                    PartSpec(PartKind.OTHER, "tin  học", weight=50),
                ),
            ),
            "Hai phần thi không được trùng tên.",
        ),
    ],
)
def test_a_bad_formula_is_refused_and_the_stored_one_stays(make, spec, message):
    round_ = _draft(make)
    board = make.user(Role.BOARD_ADMIN)
    set_formula(round_, civil_service_preset(), actor=board)
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        set_formula(round_, spec, actor=board)
    assert message in refused.value.message
    db.session.rollback()
    formula = stored_formula(round_)
    assert formula.preset == FormulaPreset.CIVIL_SERVICE
    assert [(p.kind, p.weight) for p in formula.parts] == [
        (PartKind.WRITTEN_TEST, 70),
        (PartKind.INTERVIEW, 30),
    ]


@pytest.mark.parametrize(
    "status", [RoundStatus.REGISTRATION_OPEN, RoundStatus.TESTING, RoundStatus.RESULTS]
)
def test_the_formula_is_frozen_once_registration_opened(make, status):
    round_ = make.round(status=RoundStatus.REGISTRATION_OPEN)
    make.stage(round_, status)
    with pytest.raises(DomainError) as refused:
        set_formula(round_, civil_service_preset(), actor=make.user(Role.BOARD_ADMIN))
    assert "chỉ được đặt khi kỳ thi còn là bản nháp" in refused.value.message
    db.session.rollback()
    assert stored_formula(round_) is None
    assert _count(ResultFormula) == 0
    assert formula_of(round_).preset == FormulaPreset.LEADERSHIP


# --- the board's page ----------------------------------------------------------------------


def _post(client, round_id: int, data: dict, *, follow: bool = True):
    return client.post(f"/rounds/{round_id}/formula", data=data, follow_redirects=follow)


def _custom_rows(rows: list[tuple[str, str, str, str, str]]) -> dict:
    data = {}
    for i, (kind, name, gate, weight, tie) in enumerate(rows):
        data |= {
            f"parts-{i}-kind": kind,
            f"parts-{i}-name": name,
            f"parts-{i}-gate": gate,
            f"parts-{i}-weight": weight,
            f"parts-{i}-tie_break": tie,
        }
    return data


def test_the_hub_links_the_formula_and_the_page_shows_the_default(app, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    client = login(app.test_client(), board)
    hub = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert f"/rounds/{round_.id}/formula" in hub
    page = client.get(f"/rounds/{round_.id}/formula").get_data(as_text=True)
    assert "Đang áp dụng: Thi tuyển lãnh đạo" in page
    assert "Bằng tổng điểm: xét lần lượt Thi trắc nghiệm trên máy tính; sau đó Hội đồng" in page


def test_the_board_chooses_the_civil_service_preset_with_a_reserve(app, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    client = login(app.test_client(), board)
    page = _post(client, round_.id, {"preset": "civil_service", "reserve_count": "2"})
    assert "Đã lưu công thức tính kết quả." in page.get_data(as_text=True)
    db.session.expire_all()
    formula = stored_formula(round_)
    assert formula.preset == FormulaPreset.CIVIL_SERVICE
    assert formula.reserve_count == 2
    assert [(p.kind, p.gate, p.weight) for p in formula.parts] == [
        (PartKind.WRITTEN_TEST, 50, 70),
        (PartKind.INTERVIEW, 50, 30),
    ]


def test_the_board_writes_its_own_formula_on_the_page(app, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    client = login(app.test_client(), board)
    data = {"preset": "custom", "winner_min_score": "60", "reserve_count": "0"}
    data |= _custom_rows(
        [
            ("computer_test", "", "40", "", ""),
            ("interview", "Đề án", "", "80", "1"),
            ("other", "Sát hạch tin học", "50", "20", "2"),
        ]
    )
    assert "Đã lưu công thức" in _post(client, round_.id, data).get_data(as_text=True)
    db.session.expire_all()
    formula = stored_formula(round_)
    assert [(p.name, p.gate, p.weight, p.tie_break) for p in formula.parts] == [
        ("Thi trắc nghiệm trên máy tính", 40, None, None),
        ("Đề án", None, 80, 1),
        ("Sát hạch tin học", 50, 20, 2),
    ]
    assert formula.winner_min_score == 60


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [("written_test", "", "50", "70", ""), ("interview", "", "50", "20", "")],
            "Tổng trọng số các phần thi phải bằng 100 % (hiện là 90 %).",
        ),
        (
            [("written_test", "", "150", "70", ""), ("interview", "", "50", "30", "")],
            "Điểm tối thiểu của «Thi viết» phải từ 0 đến 100.",
        ),
        (
            [("written_test", "", "năm mươi", "70", ""), ("interview", "", "50", "30", "")],
            "Nhập một số nguyên.",
        ),
    ],
)
def test_a_bad_formula_on_the_page_is_refused_in_vietnamese_and_nothing_is_saved(
    app, make, rows, message
):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    client = login(app.test_client(), board)
    data = {"preset": "custom", "winner_min_score": "50", "reserve_count": "0"}
    response = _post(client, round_.id, data | _custom_rows(rows))
    html = response.get_data(as_text=True)
    assert "Chưa lưu được" in html
    assert message in html
    db.session.expire_all()
    assert _count(ResultFormula) == 0
    assert _count(FormulaPart) == 0


def test_the_page_refuses_a_change_after_registration_opened(app, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.REGISTRATION_OPEN, board=board)
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/rounds/{round_.id}/formula").get_data(as_text=True)
    assert "không thay đổi được" in page
    assert 'name="preset"' not in page
    html = _post(client, round_.id, {"preset": "civil_service", "reserve_count": "0"})
    assert "chỉ được đặt khi kỳ thi còn là bản nháp" in html.get_data(as_text=True)
    db.session.expire_all()
    assert _count(ResultFormula) == 0


@pytest.mark.parametrize(("role", "status"), [(Role.SUPERVISOR, 403), (Role.CANDIDATE, 404)])
def test_only_the_council_sets_the_formula(app, make, role, status):
    round_ = make.round(status=RoundStatus.DRAFT)
    user = make.user(role)
    db.session.commit()
    client = login(app.test_client(), user)
    assert client.get(f"/rounds/{round_.id}/formula").status_code == status
    assert _post(client, round_.id, {"preset": "civil_service"}, follow=False).status_code == status
    db.session.expire_all()
    assert _count(ResultFormula) == 0


# --- a further part's scores page ---------------------------------------------------------


def _with_other_part():
    return FormulaSpec(
        FormulaPreset.CUSTOM,
        (
            PartSpec(PartKind.INTERVIEW, "Đề án", weight=80, tie_break=1),
            PartSpec(PartKind.OTHER, "Sát hạch tin học", gate=50, weight=20),
        ),
    )


def test_the_board_types_a_further_parts_scores_all_or_none(app, make):
    position, applications = build_contest(
        make,
        [Person("Mạnh Văn Một", 4, ("80", "80")), Person("Mạnh Văn Hai", 4, ("70", "70"))],
        formula=_with_other_part(),
    )
    board = make.user(Role.BOARD_ADMIN)
    part = stored_formula(position.round).parts[1]
    db.session.commit()
    client = login(app.test_client(), board)
    url = f"/rounds/{position.round_id}/formula/parts/{part.id}/scores"
    one, two = applications["Mạnh Văn Một"], applications["Mạnh Văn Hai"]
    formula_page = client.get(f"/rounds/{position.round_id}/formula").get_data(as_text=True)
    assert url in formula_page  # the formula page leads to the part's scores
    assert "Nhập điểm «Sát hạch tin học»" in formula_page
    page = client.get(url).get_data(as_text=True)
    assert "Mạnh Văn Một" in page
    refused = client.post(
        url, data={f"score_{one.id}": "88,5", f"score_{two.id}": "100,5"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Mạnh Văn Hai: Điểm phải từ 0 đến 100." in refused
    db.session.expire_all()
    assert _count(PartScore) == 0  # the good one was not kept either
    done = client.post(
        url, data={f"score_{one.id}": "88,5", f"score_{two.id}": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Đã lưu điểm phần thi." in done
    db.session.expire_all()
    scores = db.session.scalars(sa.select(PartScore)).all()
    assert [(s.application_id, str(s.score)) for s in scores] == [(one.id, "88.50")]


def test_the_migration_gives_every_existing_round_the_leadership_preset(tmp_path):
    """Rounds made before formulas keep the rule their results were computed by."""
    app = create_app(config_for_tests(SQLALCHEMY_DATABASE_URI=fresh_database_url(tmp_path, "rf")))
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    rows = [
        "INSERT INTO users (id, email, full_name, active, created_at, updated_at,"
        " session_token) VALUES (1, 'a@b.vn', 'A', TRUE, :at, :at, 'x')",
        "INSERT INTO rounds (id, name, organisation, parent_body, status, registration_opens_at,"
        " registration_closes_at, min_candidates_per_position, test_pass_mark,"
        " winner_min_score, panel_spread_limit, created_by_id, created_at, updated_at)"
        " VALUES (:id, :name, 'O', 'P', 'results', :at, :later, 2, :gate, :minimum, 10, 1,"
        " :at, :at)",
    ]
    with app.app_context():
        upgrade(revision="4b7e2a9c1d63")
        with db.engine.begin() as connection:
            values = {"at": at, "later": at + dt.timedelta(days=1)}
            connection.execute(sa.text(rows[0]), values)
            for round_id, gate, minimum in ((1, 50, 50), (2, 60, 55)):
                connection.execute(
                    sa.text(rows[1]),
                    {
                        **values,
                        "id": round_id,
                        "name": f"R{round_id}",
                        "gate": gate,
                        "minimum": minimum,
                    },
                )
        upgrade(revision="c1f0a7d3e952")
        with db.engine.connect() as connection:
            formulas = connection.execute(
                sa.text(
                    "SELECT f.round_id, f.preset, f.winner_min_score, f.reserve_count, p.seq,"
                    " p.kind, p.gate, p.weight, p.tie_break FROM result_formulas f"
                    " JOIN formula_parts p ON p.formula_id = f.id ORDER BY f.round_id, p.seq"
                )
            ).all()
        assert [tuple(row) for row in formulas] == [
            (1, "leadership", 50, 0, 1, "computer_test", 50, None, 1),
            (1, "leadership", 50, 0, 2, "interview", None, 100, None),
            (2, "leadership", 55, 0, 1, "computer_test", 60, None, 1),
            (2, "leadership", 55, 0, 2, "interview", None, 100, None),
        ]
        downgrade(revision="4b7e2a9c1d63")  # and back: the tables go, the rounds stay
        with db.engine.connect() as connection:
            assert "result_formulas" not in db.inspect(connection).get_table_names()
            assert connection.scalar(sa.text("SELECT count(*) FROM rounds")) == 2
        db.engine.dispose()
