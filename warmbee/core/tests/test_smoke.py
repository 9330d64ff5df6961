import pytest


@pytest.mark.django_db
def test_home_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "暖蜂" in response.content.decode()


def test_personas_log_in(as_persona):
    c = as_persona("district_officer")
    assert c.get("/console/users/").status_code == 200
