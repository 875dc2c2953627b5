"""The scoring page for a tablet in the room, the keyboard and a screen reader (issue 15
item 9): the criteria grouped under a legend, each field labelled and described by its
maximum and the guide's descriptor, in the order of the guide, the total announced. The
real browser (keyboard only, tablet-sized) is tests/e2e/test_panel_scoring.py."""

from __future__ import annotations

import lxml.html

from exam.accounts.models import Role
from exam.extensions import db
from exam.panels.operations import DEFAULT_CRITERIA, set_guide
from exam.panels.queries import guide_of
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0
from tests.panels.helpers import declare_no_relation


def test_each_criterion_is_labelled_described_and_grouped_in_the_guides_order(app, make):
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=2)
    application = make.application(position)
    set_guide(
        round_,
        [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA],
        actor=make.user(Role.BOARD_ADMIN),
    )
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    db.session.commit()
    criteria = list(guide_of(round_).criteria)
    client = login(app.test_client(), panel.members[1].user)
    html = client.get(f"/panels/{panel.id}/applications/{application.id}/score")
    tree = lxml.html.fromstring(html.get_data(as_text=True))
    form = tree.get_element_by_id("sheet-form")
    [group] = form.xpath(".//fieldset[.//input[starts-with(@name, 'criterion_')]]")
    assert group.xpath("./legend")[0].text_content().strip()
    inputs = group.xpath(".//input[starts-with(@name, 'criterion_')]")
    # The guide's order is the focus order: no tabindex reorders it.
    assert [i.get("name") for i in inputs] == [f"criterion_{c.id}" for c in criteria]
    assert not form.xpath(".//*[@tabindex and @tabindex != '0' and @tabindex != '-1']")
    for field, criterion in zip(inputs, criteria, strict=True):
        [label] = tree.xpath(f"//label[@for='{field.get('id')}']")
        assert label.text_content().strip() == criterion.title
        described = " ".join(
            tree.get_element_by_id(ref).text_content()
            for ref in field.get("aria-describedby").split()
        )
        maximum = format(criterion.max_points.normalize(), "f")
        assert f"Tối đa {maximum} điểm." in described
        assert criterion.descriptor in described
        assert field.get("inputmode") == "decimal"
    total = tree.get_element_by_id("sheet-total")
    assert total.get("aria-live") == "polite"
    assert tree.get_element_by_id("sheet-status").get("role") == "status"
    # The comment and the seal button come after the criteria.
    names = [
        e.get("name") or e.tag
        for e in form.xpath(".//input[@type!='hidden']|.//textarea|.//button")
    ]
    assert names[-2:] == ["comment", "button"]


def test_the_panels_list_names_the_candidate_in_each_scoring_link(app, make):
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=2)
    first, second = make.application(position), make.application(position)
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    db.session.commit()
    client = login(app.test_client(), panel.members[1].user)
    tree = lxml.html.fromstring(client.get(f"/panels/{panel.id}").get_data(as_text=True))
    links = [
        " ".join(a.text_content().split()) for a in tree.xpath("//a[contains(@href, '/score')]")
    ]
    assert sorted(links) == sorted(f"Chấm điểm — {a.candidate.full_name}" for a in (first, second))
