import uuid

from conftest import ADMIN, Client, assert_problem, register


def test_register_login_me_logout(server):
    c = Client(server.url)
    email = f"Ann-{uuid.uuid4().hex[:8]}@Example.com"
    r = c.post("/api/v1/users", {"email": email, "password": "correct horse", "name": "Ann"})
    assert r.status_code == 201
    user = r.json()
    assert set(user) == {"id", "email", "name", "role"}
    assert user["role"] == "customer" and user["email"] == email.lower() and user["id"] > 0
    assert "password" not in r.text

    r = c.post("/api/v1/sessions", {"email": email, "password": "correct horse"})
    assert r.status_code == 201
    s = r.json()
    assert len(s["token"]) >= 32 and s["expires_at"].endswith("Z") and s["user"] == user
    c.token = s["token"]
    assert c.get("/api/v1/users/me").json() == user

    assert c.delete("/api/v1/sessions/current").status_code == 204
    assert_problem(c.get("/api/v1/users/me"), 401, "unauthorized")
    assert_problem(c.delete("/api/v1/sessions/current"), 401)


def test_duplicate_email_is_409_case_insensitively(server):
    c = Client(server.url)
    email = f"dup-{uuid.uuid4().hex[:8]}@example.com"
    assert c.post("/api/v1/users", {"email": email, "password": "password1", "name": "A"}).status_code == 201
    assert_problem(c.post("/api/v1/users", {"email": email.upper(), "password": "password1", "name": "B"}), 409, "email-taken")


def test_invalid_registration_is_422_with_fields(server):
    c = Client(server.url)
    body = assert_problem(c.post("/api/v1/users", {"email": "not-an-email", "password": "short", "name": ""}), 422,
                          "validation-failed")
    assert {e["field"] for e in body["errors"]} == {"email", "password", "name"}
    body = assert_problem(c.post("/api/v1/users", {"email": 5}), 422)
    assert {e["field"] for e in body["errors"]} == {"email", "password", "name"}


def test_wrong_password_and_unknown_email_answer_alike(server):
    u = register(server.url)
    c = Client(server.url)
    a = c.post("/api/v1/sessions", {"email": u.user["email"], "password": "wrong-password"})
    b = c.post("/api/v1/sessions", {"email": "nobody-" + uuid.uuid4().hex + "@example.com", "password": "wrong-password"})
    assert_problem(a, 401)
    assert_problem(b, 401)
    assert a.json() == b.json()


def test_bad_tokens_are_401(server):
    for header in ["Bearer nope", "Basic abc", "Bearer", "bearer " + "x" * 43]:
        r = Client(server.url).get("/api/v1/users/me", headers={"Authorization": header})
        assert_problem(r, 401)
    assert_problem(Client(server.url).get("/api/v1/users/me"), 401)


def test_admin_is_ensured_at_startup(server):
    c = Client(server.url)
    r = c.post("/api/v1/sessions", {"email": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 201
    assert r.json()["user"]["role"] == "admin"
