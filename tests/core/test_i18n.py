"""Vietnamese collation of names, dates and times in Hanoi, and UTC storage of datetimes."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.core.i18n import (
    LOCAL_TZ,
    format_date,
    format_datetime,
    format_score,
    local_to_utc,
    to_local,
    vietnamese_sort_key,
)
from exam.extensions import db


def vn_sorted(names: list[str]) -> list[str]:
    return sorted(names, key=vietnamese_sort_key)


def assert_order(expected: list[str]) -> None:
    """``expected`` is in Vietnamese order, whatever order the names arrive in."""
    for seed in range(5):
        shuffled = expected[:]
        random.Random(seed).shuffle(shuffled)
        assert vn_sorted(shuffled) == expected
    assert vn_sorted(list(reversed(expected))) == expected


# --- Order of names -------------------------------------------------------------------------


def test_names_sort_by_given_name_first():
    assert_order(["Nguyễn Văn An", "Trần Thị Ánh", "Lê Văn Ân", "Phạm Bình"])


def test_same_given_name_sorts_by_family_name_then_middle_name():
    assert_order(
        [
            "Lê Văn Hùng",
            "Nguyễn Ngọc Hùng",
            "Nguyễn Thị Minh Hùng",
            "Nguyễn Văn Hùng",
            "Trần Hùng",
        ]
    )


def test_a_family_name_alone_does_not_decide():
    # Unicode order of whole strings would put every Nguyễn before every Trần.
    assert vn_sorted(["Nguyễn Văn Bình", "Trần An"]) == ["Trần An", "Nguyễn Văn Bình"]


@pytest.mark.parametrize(
    "ordered",
    [
        ["Lan", "Lăng", "Lâm"],  # a < ă < â  (code points: a < â < ă)
        ["Hoa", "Hồng", "Hơn"],  # o < ô < ơ  (code points: ơ < ồ)
        ["Thu", "Thuỷ", "Thư"],  # u < ư
        ["Tú", "Tụ", "Tư", "Tự"],  # u < ư whatever the tone (code points: ư < ụ)
        ["Dung", "Dũng", "Đào", "Đông", "Em"],  # d < đ < e (code points: e < đ)
        ["Ánh", "Bảo", "Yến"],  # a with a tone still sorts as a (code points: Y < Á)
    ],
)
def test_vietnamese_letter_order(ordered):
    assert_order([f"Lê Thị {given}" for given in ordered])


def test_dd_is_a_letter_after_d():
    assert_order(["Dương Dũng", "Đỗ Đức"])
    assert_order(["Dương Văn An", "Đinh Văn An", "Đỗ Văn An", "Đinh Văn Ăn"])
    assert vn_sorted(["Đỗ Văn Bình", "Dương Văn Bình"]) == ["Dương Văn Bình", "Đỗ Văn Bình"]


def test_tones_only_break_ties_in_this_order():
    # ngang < huyền < hỏi < ngã < sắc < nặng
    assert_order(["Lê Văn Ma", "Lê Văn Mà", "Lê Văn Mả", "Lê Văn Mã", "Lê Văn Má", "Lê Văn Mạ"])


def test_letters_of_any_word_outrank_tones():
    # Same given name letters; the family name decides before any tone is looked at.
    assert vn_sorted(["Trần Anh", "Nguyễn Ánh"]) == ["Nguyễn Ánh", "Trần Anh"]
    # A tone on the first letter does not outrank a later letter.
    assert vn_sorted(["Lê Ảnh", "Lê An"]) == ["Lê An", "Lê Ảnh"]
    assert vn_sorted(["Lê Văn Ánh", "Lê Văn Anh"]) == ["Lê Văn Anh", "Lê Văn Ánh"]


def test_letter_marks_combine_with_tones():
    # ậ is â with nặng: a letter â first, then the tone; ự is ư with nặng.
    assert_order(["Lê Văn Ấn", "Lê Văn Ận", "Lê Văn Bự"])
    assert_order(["Lê Văn Tú", "Lê Văn Tư", "Lê Văn Tự"])
    assert_order(["Lê Văn Lợi", "Lê Văn Lưu"])


def test_capital_letters_sort_as_small_ones():
    assert vietnamese_sort_key("NGUYỄN VĂN AN")[:2] == vietnamese_sort_key("Nguyễn Văn An")[:2]
    assert vietnamese_sort_key("ĐỖ ĐỨC")[:2] == vietnamese_sort_key("Đỗ Đức")[:2]


def test_nfc_and_nfd_names_sort_the_same():
    names = [
        "Nguyễn Văn An",
        "Trần Thị Ánh",
        "Lê Văn Ân",
        "Phạm Bình",
        "Đỗ Đức",
        "Dương Dũng",
        "Hồ Thị Hơn",
        "Bùi Thị Hồng",
        "Vũ Thị Thuỷ",
        "Ngô Thư",
        "Lê Văn Ận",
    ]
    nfc = [unicodedata.normalize("NFC", n) for n in names]
    nfd = [unicodedata.normalize("NFD", n) for n in names]
    assert nfc != nfd  # the two inputs really differ

    for composed, decomposed in zip(nfc, nfd, strict=True):
        assert vietnamese_sort_key(composed)[:2] == vietnamese_sort_key(decomposed)[:2]
    order_nfc = [unicodedata.normalize("NFC", n) for n in vn_sorted(nfc)]
    order_nfd = [unicodedata.normalize("NFC", n) for n in vn_sorted(nfd)]
    assert order_nfc == order_nfd
    mixed = [n if i % 2 else unicodedata.normalize("NFD", n) for i, n in enumerate(nfc)]
    assert [unicodedata.normalize("NFC", n) for n in vn_sorted(mixed)] == order_nfc


def test_extra_spaces_do_not_change_the_order():
    assert (
        vietnamese_sort_key("  Nguyễn   Văn  An ")[:2] == vietnamese_sort_key("Nguyễn Văn An")[:2]
    )


def test_one_word_and_empty_names_do_not_break_sorting():
    assert vn_sorted(["Bình", "", "Nguyễn An", "   "])[2:] == ["Nguyễn An", "Bình"]
    assert vn_sorted(["Lê An", "An"]) == ["An", "Lê An"]


def test_identical_names_get_a_deterministic_order():
    names = ["Lê Văn An", "Lê  Văn An", "Lê Văn An"]
    assert vn_sorted(names) == vn_sorted(list(reversed(names)))


# --- Dates and times ------------------------------------------------------------------------


def test_dates_are_day_month_year():
    assert format_date(dt.date(2026, 3, 9)) == "09/03/2026"
    assert format_date(None) == ""


def test_a_datetime_is_shown_in_hanoi_time():
    new_year_eve = dt.datetime(2025, 12, 31, 20, 30, tzinfo=dt.UTC)

    assert format_datetime(new_year_eve) == "01/01/2026 03:30"
    assert format_date(new_year_eve) == "01/01/2026"  # the Hanoi date, not the UTC one
    assert format_datetime(None) == ""


def test_a_datetime_from_another_zone_is_converted():
    paris = dt.timezone(dt.timedelta(hours=1))
    assert format_datetime(dt.datetime(2026, 3, 2, 8, 5, tzinfo=paris)) == "02/03/2026 14:05"


def test_hanoi_is_utc_plus_seven_all_year():
    for month in (1, 4, 7, 10):
        local = to_local(dt.datetime(2026, month, 15, 0, 0, tzinfo=dt.UTC))
        assert local.utcoffset() == dt.timedelta(hours=7)
        assert local.hour == 7


def test_a_time_typed_in_a_form_is_hanoi_time_stored_as_utc():
    typed = dt.datetime(2026, 1, 1, 3, 30)  # what a datetime-local input gives

    stored = local_to_utc(typed)

    assert stored == dt.datetime(2025, 12, 31, 20, 30, tzinfo=dt.UTC)
    assert stored.tzinfo == dt.UTC
    assert format_datetime(stored) == "01/01/2026 03:30"


def test_local_to_utc_keeps_an_aware_time_as_it_is():
    aware = dt.datetime(2026, 3, 2, 8, 0, tzinfo=LOCAL_TZ)

    assert local_to_utc(aware) == dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    assert local_to_utc(aware).utcoffset() == dt.timedelta(0)
    already_utc = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    assert local_to_utc(already_utc) == already_utc


def test_scores_use_the_decimal_comma():
    assert format_score(7.5) == "7,50"
    assert format_score(100) == "100,00"
    assert format_score(None) == "—"


# --- UTCDateTime ----------------------------------------------------------------------------


def test_a_naive_datetime_is_refused_when_written(make):
    user = make.user(Role.CANDIDATE)
    db.session.commit()
    user.last_login_at = dt.datetime(2026, 3, 2, 8, 0)  # naive: Hanoi? UTC? unknown

    with pytest.raises(sa.exc.StatementError, match="naive datetime refused"):
        db.session.flush()

    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is None


def test_a_naive_datetime_is_refused_in_a_query():
    with pytest.raises(sa.exc.StatementError, match="naive datetime refused"):
        db.session.scalars(
            sa.select(User).where(User.last_login_at < dt.datetime(2026, 1, 1))
        ).all()


def test_datetimes_come_back_aware_and_in_utc(make):
    user = make.user(Role.CANDIDATE)
    in_hanoi = dt.datetime(2026, 3, 2, 8, 0, tzinfo=LOCAL_TZ)
    user.last_login_at = in_hanoi
    db.session.commit()
    db.session.expire_all()

    loaded = db.session.get(User, user.id).last_login_at

    assert loaded == in_hanoi  # the same instant
    assert loaded.tzinfo is not None
    assert loaded.utcoffset() == dt.timedelta(0)
    assert (loaded.hour, loaded.minute) == (1, 0)


def test_datetimes_are_stored_as_utc_wall_clock(make):
    user = make.user(Role.CANDIDATE)
    user.last_login_at = dt.datetime(2026, 3, 2, 8, 0, tzinfo=LOCAL_TZ)
    db.session.flush()

    raw = db.session.execute(
        sa.text("SELECT last_login_at FROM users WHERE id = :id"), {"id": user.id}
    ).scalar_one()

    assert str(raw).startswith("2026-03-02 01:00:00")


def test_comparisons_in_queries_use_the_instant(make):
    user = make.user(Role.CANDIDATE)
    user.last_login_at = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    db.session.flush()
    just_after_in_hanoi = dt.datetime(2026, 3, 2, 8, 1, tzinfo=LOCAL_TZ)
    just_before_in_hanoi = dt.datetime(2026, 3, 2, 7, 59, tzinfo=LOCAL_TZ)

    def logged_in_before(moment: dt.datetime) -> bool:
        return (
            db.session.scalar(
                sa.select(sa.func.count(User.id)).where(
                    User.id == user.id, User.last_login_at < moment
                )
            )
            == 1
        )

    assert logged_in_before(just_after_in_hanoi)
    assert not logged_in_before(just_before_in_hanoi)
