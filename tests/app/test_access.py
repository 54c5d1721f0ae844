"""Access: API keys for machine clients, a trusted proxy's user for staff, CORS by allow-list."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.access.keys import key_line, new_key
from app.api.access_control import AccessConfigError
from app.service import QuestionAnswering
from app.settings import Settings
from tests.app.apps import app_client, make_app

pytestmark = pytest.mark.slow

KEY = new_key()
OTHER_KEY = new_key()
KEYS = f"{key_line('batch', KEY)},{key_line('intranet', OTHER_KEY)}"
BEARER = {"Authorization": f"Bearer {KEY}"}
FEEDBACK = {
    "question": "Vad är NB8?",
    "answer": "De nordiska och baltiska länderna. [1]",
    "rating": "up",
    "backend": "extractive",
}
ASK = {"question": "Vad är NB8?"}
PROTECTED = [
    ("POST", "/ask", ASK),
    ("POST", "/search", {"query": "NB8"}),
    ("POST", "/feedback", FEEDBACK),
    ("GET", "/feedback/export", None),
    ("GET", "/chunks/strategi:0001", None),
    ("GET", "/documents", None),
    ("GET", "/documents/strategi", None),
    ("POST", "/admin/reload", None),
    ("GET", "/metrics", None),
    ("GET", "/no-such-route", None),
]


def test_keys_are_off_by_default(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa) as client:
        assert client.post("/ask", json=ASK).status_code == 200
        assert client.get("/documents").status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_protected_endpoints_need_a_key(
    settings: Settings, qa: QuestionAnswering, method: str, path: str, body: object
) -> None:
    with app_client(settings, qa, api_keys=KEYS) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.headers["www-authenticate"].startswith("Bearer")
            error = response.json()["error"]
            assert error["code"] == "unauthorized" and "Traceback" not in response.text


def test_a_valid_key_opens_them(settings: Settings, qa: QuestionAnswering, tmp_path: Path) -> None:
    with app_client(settings, qa, api_keys=KEYS, data_dir=tmp_path) as client:
        assert client.post("/ask", json=ASK, headers=BEARER).status_code == 200
        assert client.post("/search", json={"query": "NB8"}, headers=BEARER).status_code == 200
        assert client.get("/documents", headers=BEARER).status_code == 200
        assert client.get("/chunks/strategi:0001", headers=BEARER).status_code == 200
        assert client.post("/feedback", json=FEEDBACK, headers=BEARER).status_code == 201
        other = {"Authorization": f"Bearer {OTHER_KEY}"}
        rows = client.get("/feedback/export", headers=other).text.splitlines()
        assert json.loads(rows[0])["user"] == "key:batch"


def test_health_and_the_page_stay_open(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa, api_keys=KEYS, llm_api_key="sk-upstream-secret") as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        for secret in ("batch", "intranet", KEY, key_line("batch", KEY).split(":")[1], "sk-up"):
            assert secret not in health.text
        assert str(settings.store_dir) not in health.text
        assert client.get("/").status_code == 200
        assert client.get("/static/main.js").status_code == 200
        # The reading view's page is open; its text comes from the guarded JSON route.
        reading = client.get("/dokument/strategi")
        assert reading.status_code == 200 and "Förord" not in reading.text
        assert client.get("/dokument/finns-inte").status_code == 404
        assert client.get("/openapi.json").status_code == 200


def test_keys_from_a_file(settings: Settings, qa: QuestionAnswering, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(f"# machine clients\n{key_line('nightly', KEY)}\n")
    with app_client(settings, qa, api_keys_file=keys_file) as client:
        assert client.get("/documents").status_code == 401
        assert client.get("/documents", headers=BEARER).status_code == 200


def test_a_bad_key_file_stops_start_up(
    settings: Settings, qa: QuestionAnswering, tmp_path: Path
) -> None:
    with pytest.raises(AccessConfigError, match="RAG_API_KEYS_FILE"):
        make_app(settings, qa, api_keys_file=tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("nightly:1234\n")
    with pytest.raises(AccessConfigError, match=r"bad\.txt:1"):
        make_app(settings, qa, api_keys_file=bad)


def test_a_bad_key_file_stops_the_real_service_in_one_line(
    settings: Settings, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_STORE_DIR=str(settings.store_dir),
        RAG_API_KEYS_FILE=str(tmp_path / "missing-keys.txt"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "app", "--port", "1"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: RAG_API_KEYS_FILE") and "missing-keys.txt" in line


PROXY = {"trusted_user_header": "X-Forwarded-User", "trusted_proxies": "10.0.0.0/8"}


def test_trusted_proxy_user_counts_as_authenticated_and_is_stored(
    settings: Settings, qa: QuestionAnswering, tmp_path: Path
) -> None:
    staff = {"X-Forwarded-User": "anna@example.se"}
    with app_client(
        settings, qa, client=("10.1.2.3", 4444), api_keys=KEYS, data_dir=tmp_path, **PROXY
    ) as client:
        assert client.post("/ask", json=ASK, headers=staff).status_code == 200
        assert client.post("/feedback", json=FEEDBACK, headers=staff).status_code == 201
        assert client.post("/ask", json=ASK).status_code == 401, "the proxy sends no user"
        rows = client.get("/feedback/export", headers=staff).text.splitlines()
        assert json.loads(rows[0])["user"] == "anna@example.se"
        # Administration still needs a key: a browser login is not enough.
        assert client.post("/admin/reload", headers=staff).status_code == 403


def test_user_header_from_anyone_else_is_ignored(
    settings: Settings, qa: QuestionAnswering, tmp_path: Path
) -> None:
    forged = {"X-Forwarded-User": "admin", "X-Forwarded-For": "10.0.0.1"}
    with app_client(
        settings, qa, client=("192.0.2.10", 4444), api_keys=KEYS, data_dir=tmp_path, **PROXY
    ) as client:
        assert client.post("/ask", json=ASK, headers=forged).status_code == 401
    with app_client(settings, qa, client=("192.0.2.10", 4444), data_dir=tmp_path, **PROXY) as c:
        assert c.post("/feedback", json=FEEDBACK, headers=forged).status_code == 201
        [row] = c.get("/feedback/export").text.splitlines()
        assert json.loads(row)["user"] is None


def test_cors_is_off_by_default(settings: Settings, qa: QuestionAnswering) -> None:
    origin = {"Origin": "https://intranet.example.se"}
    with app_client(settings, qa) as client:
        response = client.get("/health", headers=origin)
        assert "access-control-allow-origin" not in response.headers
        preflight = client.options(
            "/ask", headers={**origin, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers


def test_cors_allow_list(settings: Settings, qa: QuestionAnswering) -> None:
    allowed = "https://intranet.example.se"
    with app_client(settings, qa, api_keys=KEYS, cors_origins=f"{allowed}, https://b.se") as c:
        preflight = c.options(
            "/ask",
            headers={
                "Origin": allowed,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200, "a preflight carries no key and must pass"
        assert preflight.headers["access-control-allow-origin"] == allowed
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        response = c.post("/ask", json=ASK, headers={"Origin": allowed, **BEARER})
        assert response.headers["access-control-allow-origin"] == allowed
        evil = c.options(
            "/ask",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert evil.status_code == 400
        assert "access-control-allow-origin" not in evil.headers


def test_keys_never_reach_the_logs(
    settings: Settings, qa: QuestionAnswering, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "rag_" + "W" * 43
    with caplog.at_level(logging.DEBUG), app_client(settings, qa, api_keys=KEYS) as client:
        client.post("/ask", json=ASK, headers=BEARER)
        client.post("/ask", json=ASK, headers={"Authorization": f"Bearer {wrong}"})
        client.get("/documents", headers={"Authorization": f"Bearer {KEY}x"})
    lines = [record.getMessage() for record in caplog.records]
    lines += [json.dumps(vars(record), default=str) for record in caplog.records]
    assert any("unauthenticated request refused" in line for line in lines)
    assert any('"principal": "key:batch"' in line for line in lines)
    for line in lines:
        assert KEY not in line and wrong not in line and OTHER_KEY not in line
