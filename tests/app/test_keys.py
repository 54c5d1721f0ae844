"""API keys: stored as sha256 digests, matched in constant time, made by `python -m app.access`."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from app.access.keys import (
    ApiKey,
    KeyFormatError,
    bearer_token,
    hash_key,
    key_line,
    match_key,
    new_key,
    parse_key_file,
    parse_key_list,
)
from app.settings import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]
DIGEST_A = hashlib.sha256(b"secret-a").hexdigest()
DIGEST_B = hashlib.sha256(b"secret-b").hexdigest()


def test_hash_is_sha256_hex() -> None:
    assert hash_key("secret-a") == DIGEST_A and len(DIGEST_A) == 64


def test_new_keys_are_random_and_long() -> None:
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(k.startswith("rag_") and len(k) >= 40 for k in keys)


def test_key_line_round_trips() -> None:
    key = new_key()
    [parsed] = parse_key_list(key_line("intranet", key))
    assert parsed == ApiKey("intranet", hash_key(key))
    assert match_key(key, (parsed,)) == parsed


def test_several_named_keys_from_a_setting_and_a_file() -> None:
    keys = parse_key_list(f"a:{DIGEST_A}, b:{DIGEST_B.upper()}")
    assert [k.name for k in keys] == ["a", "b"]
    assert match_key("secret-b", keys) == ApiKey("b", DIGEST_B)
    assert match_key("secret-c", keys) is None
    text = f"# clients\n\na:{DIGEST_A}\n  b:{DIGEST_B}  \n"
    assert parse_key_file(text, "keys.txt") == keys


@pytest.mark.parametrize(
    "bad",
    [
        "no-colon",
        f"a:{DIGEST_A[:-1]}",
        f"a b:{DIGEST_A}",
        f":{DIGEST_A}",
        "a:" + "g" * 64,
        f"a:{DIGEST_A},a:{DIGEST_B}",
    ],
)
def test_malformed_entries_name_where(bad: str) -> None:
    with pytest.raises(KeyFormatError, match="RAG_API_KEYS"):
        parse_key_list(bad)


def test_malformed_file_line_names_the_line() -> None:
    with pytest.raises(KeyFormatError, match=r"keys\.txt:3"):
        parse_key_file(f"a:{DIGEST_A}\n\nnot a key\n", "keys.txt")


def test_the_raw_key_is_never_in_an_error() -> None:
    with pytest.raises(KeyFormatError) as info:
        parse_key_list("rag_thisIsARawKeyPastedByMistake")
    assert "thisIsARawKey" not in str(info.value)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_match_compares_every_digest() -> None:
    """The loop never stops early (no timing hint about which key matched)."""
    keys = (ApiKey("a", DIGEST_A), ApiKey("b", DIGEST_B), ApiKey("c", DIGEST_A))
    assert match_key("secret-a", keys) == keys[0]


def test_invalid_key_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_API_KEYS", "intranet:nothex")
    with pytest.raises(SettingsError, match="RAG_API_KEYS"):
        load_settings()
    monkeypatch.setenv("RAG_API_KEYS", f"intranet:{DIGEST_A}")
    monkeypatch.setenv("RAG_TRUSTED_PROXIES", "10.0.0.0/33")
    with pytest.raises(SettingsError, match="RAG_TRUSTED_PROXIES"):
        load_settings()


def test_trusted_header_needs_proxies() -> None:
    with pytest.raises(ValueError, match="RAG_TRUSTED_PROXIES"):
        Settings(trusted_user_header="X-Forwarded-User", _env_file=None)  # type: ignore[call-arg]


def test_cli_prints_a_key_and_the_line_to_store() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.access", "new", "intranet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.strip().splitlines())
    key, line = lines["key"].strip(), lines["line"].strip()
    assert line == f"intranet:{hash_key(key)}"
    [stored] = parse_key_file(line + "\n", "keys.txt")
    assert match_key(key, (stored,)) == stored


def test_cli_refuses_a_bad_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.access", "new", "two words"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "error:" in result.stderr and not result.stdout


def test_a_key_line_may_carry_its_own_limit() -> None:
    digest = hash_key("k")
    [plain, fast, unlimited] = parse_key_file(
        f"a:{digest}\nb:{digest}  rate=6000 burst=600\nc:{digest} rate=0\n", "keys.txt"
    )
    assert (plain.per_minute, plain.burst) == (None, None)
    assert (fast.per_minute, fast.burst) == (6000.0, 600)
    assert (unlimited.per_minute, unlimited.burst) == (0.0, None)


@pytest.mark.parametrize(
    "options", ["rate=fast", "burst=0", "burst=1.5", "rate=1 rate=2", "limit=5", "rate=-1"]
)
def test_a_malformed_limit_names_its_line(options: str) -> None:
    with pytest.raises(KeyFormatError, match=r"keys.txt:2: .*(rate=N|burst)"):
        parse_key_file(f"a:{hash_key('k')}\nb:{hash_key('k')} {options}\n", "keys.txt")
