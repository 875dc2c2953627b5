import sqlalchemy as sa
from exam.accounts.models import Role, User
from exam.extensions import db
from exam.demo import load_demo
from exam.core.db import utcnow
from exam.question_bank.models import Bank, Question
from tests.conftest import login

def test_smoke(app):
    load_demo(now=utcnow())
    db.session.commit()
    author = db.session.scalars(sa.select(User).where(User.email == "soande1@hoidong.demo")).one()
    bank = db.session.scalars(sa.select(Bank)).first()
    c = login(app.test_client(), author)
    for url in [f"/bank/{bank.id}", f"/bank/{bank.id}?q=nghi+dinh&page=2", f"/bank/{bank.id}/categories", f"/bank/{bank.id}/coverage?paper=30",
                f"/bank/{bank.id}/export?format=gift", f"/bank/{bank.id}/import"]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[-3000:])
    for t in ["single_choice","multiple_response","true_false","short_answer","numerical","matching","ordering","essay"]:
        r = c.get(f"/bank/{bank.id}/questions/new?type={t}")
        assert r.status_code == 200, (t, r.get_data(as_text=True)[-3000:])
    for q in db.session.scalars(sa.select(Question)):
        for u in [f"/bank/questions/{q.id}", f"/bank/questions/{q.id}/history", f"/bank/questions/{q.id}/edit"]:
            r = c.get(u)
            assert r.status_code in (200,), (u, r.status_code, r.get_data(as_text=True)[-3000:])
