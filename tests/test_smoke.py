def test_home_page_speaks_vietnamese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Thi tuyển chức danh lãnh đạo, quản lý" in response.get_data(as_text=True)


def test_factories_build_a_whole_round(make, now):
    round_ = make.round()
    application = make.application(round_.positions[0])
    assert application.registration_number == "001"
    test = make.test(round_)
    attempt = make.attempt(test, application)
    assert len(attempt.questions) == 3
