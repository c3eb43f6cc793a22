"""Settings from the environment (ttc/lib/env.py, ttc/settings.py) and the security headers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ttc.lib.env import EnvError, env_bool, env_choice, env_int, env_list, env_rate, env_str

ROOT = Path(__file__).resolve().parent.parent

# --- the typed helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("True", True),
        (" TRUE ", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("no", False),
        ("off", False),
    ],
)
def test_env_bool_accepts_the_usual_spellings(raw, expected):
    assert env_bool("TTC_FLAG", not expected, environ={"TTC_FLAG": raw}) is expected


def test_env_bool_uses_the_default_when_unset_or_empty():
    assert env_bool("TTC_FLAG", True, environ={}) is True
    assert env_bool("TTC_FLAG", False, environ={}) is False
    assert env_bool("TTC_FLAG", True, environ={"TTC_FLAG": "  "}) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "ja", "y es"])
def test_env_bool_rejects_anything_else(raw):
    with pytest.raises(EnvError, match=r"^TTC_FLAG must be one of .* not ") as error:
        env_bool("TTC_FLAG", False, environ={"TTC_FLAG": raw})
    assert repr(raw.strip().lower()) in str(error.value)


def test_env_int_reads_whole_numbers():
    assert env_int("TTC_PORT", 25, environ={"TTC_PORT": "587"}) == 587
    assert env_int("TTC_PORT", 25, environ={"TTC_PORT": " 42 "}) == 42
    assert env_int("TTC_PORT", 25, environ={}) == 25
    assert env_int("TTC_PORT", 25, minimum=1, environ={"TTC_PORT": "1"}) == 1


@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10", "10 20"])
def test_env_int_rejects_what_is_not_a_whole_number(raw):
    with pytest.raises(EnvError, match=r"^TTC_PORT must be a whole number, not "):
        env_int("TTC_PORT", 25, environ={"TTC_PORT": raw})


def test_env_int_rejects_values_below_the_minimum():
    with pytest.raises(EnvError, match=r"^TTC_PORT must be at least 1, not 0$"):
        env_int("TTC_PORT", 25, minimum=1, environ={"TTC_PORT": "0"})
    with pytest.raises(EnvError, match=r"^TTC_HSTS must be at least 0, not -5$"):
        env_int("TTC_HSTS", 0, minimum=0, environ={"TTC_HSTS": "-5"})


def test_env_list_splits_on_commas():
    environ = {"TTC_HOSTS": "ttc.example, www.ttc.example ,api.ttc.example"}
    assert env_list("TTC_HOSTS", [], environ=environ) == [
        "ttc.example",
        "www.ttc.example",
        "api.ttc.example",
    ]
    assert env_list("TTC_HOSTS", ["localhost"], environ={}) == ["localhost"]


@pytest.mark.parametrize("raw", ["a,,b", "a,", ",a", "a, ,b"])
def test_env_list_rejects_empty_items(raw):
    with pytest.raises(EnvError, match=r"^TTC_HOSTS is a comma-separated list without empty"):
        env_list("TTC_HOSTS", [], environ={"TTC_HOSTS": raw})


def test_env_list_default_is_a_copy():
    default = ["localhost"]
    env_list("TTC_HOSTS", default, environ={}).append("evil.example")
    assert default == ["localhost"]


def test_env_choice():
    choices = {"development", "production"}
    assert env_choice("TTC_ENV", "development", choices, environ={}) == "development"
    assert (
        env_choice("TTC_ENV", "development", choices, environ={"TTC_ENV": "production"})
        == "production"
    )
    with pytest.raises(
        EnvError, match=r"^TTC_ENV must be one of \['development', 'production'\], not 'staging'$"
    ):
        env_choice("TTC_ENV", "development", choices, environ={"TTC_ENV": "staging"})
    with pytest.raises(EnvError, match="TTC_ENV"):
        env_choice("TTC_ENV", "development", choices, environ={"TTC_ENV": "Production"})


def test_env_str_strips_and_defaults():
    assert env_str("TTC_NAME", "x", environ={"TTC_NAME": "  waarde  "}) == "waarde"
    assert env_str("TTC_NAME", "x", environ={}) == "x"


def test_env_helpers_read_the_process_environment(monkeypatch):
    monkeypatch.setenv("TTC_TEST_FLAG", "maybe")
    with pytest.raises(EnvError, match="TTC_TEST_FLAG"):
        env_bool("TTC_TEST_FLAG", False)
    monkeypatch.setenv("TTC_TEST_FLAG", "yes")
    assert env_bool("TTC_TEST_FLAG", False) is True


# --- production refuses to start without real values ---------------------------------

GOOD_SECRET = "q8Vn3kPz7LwX2rT9mB5cY1hJ6dF4sG0aE8uK3iO7pQ2wZ5xC9vN1bM4lR6tY0e"
PRODUCTION_VARIABLES = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DEBUG",
    "TTC_ENV",
    "TTC_VAR_DIR",
    "EMAIL_BACKEND",
    "EMAIL_USE_TLS",
    "REDIS_URL",
    "SITE_URL",
    "TTC_BEHIND_PROXY",
)


def start(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """Start Django the way a server process would, with only these settings."""
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION_VARIABLES}
    env |= {
        "DJANGO_SETTINGS_MODULE": "ttc.settings",
        "TTC_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    env |= variables
    return subprocess.run(
        [sys.executable, "-c", "import django, os; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def production(**overrides: str | None) -> dict[str, str]:
    variables = {
        "TTC_ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "ALLOWED_HOSTS": "platform.techtegencorona.nl",
        "DATABASE_URL": "postgres://ttc:geheim@db.internal:5432/ttc",
        "SITE_URL": "https://platform.techtegencorona.nl",
    }
    for key, value in overrides.items():
        if value is None:
            variables.pop(key)
        else:
            variables[key] = value
    return variables


def test_production_starts_with_real_values(tmp_path):
    result = start(tmp_path, **production())
    assert result.returncode == 0, result.stderr
    # No local secret was generated: production never invents one.
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set when TTC_ENV=production"),
        ({"SECRET_KEY": "   "}, "SECRET_KEY must be set when TTC_ENV=production"),
        ({"SECRET_KEY": "kort-geheim"}, "SECRET_KEY must be at least 50 characters"),
        ({"SECRET_KEY": "a" * 80}, "SECRET_KEY must be at least 50 characters"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set when TTC_ENV=production"),
        ({"ALLOWED_HOSTS": "a.example,,b.example"}, "ALLOWED_HOSTS is a comma-separated list"),
        ({"DATABASE_URL": None}, "DATABASE_URL must be set when TTC_ENV=production"),
        ({"DEBUG": "misschien"}, "DEBUG must be one of"),
        ({"TTC_ENV": "staging"}, "TTC_ENV must be one of ['development', 'production']"),
        ({"TTC_ENV": "staging", "SECRET_KEY": None}, "not 'staging'"),
    ],
)
def test_production_refuses_to_start(tmp_path, overrides, message):
    result = start(tmp_path, **production(**overrides))
    assert result.returncode != 0
    assert "EnvError" in result.stderr
    assert message in result.stderr


def test_development_needs_nothing(tmp_path):
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr
    # It keeps a generated secret under var/, readable by the owner only.
    key_file = tmp_path / "secret_key"
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


# --- security headers ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "expert"])
@pytest.mark.parametrize("url", ["/", "/dashboard/", "/accounts/login/"])
def test_pages_carry_csp_with_a_nonce_and_deny_framing(client_for, personas, persona, url):
    response = client_for(persona).get(url, follow=True)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    script_src = directives["script-src"]
    assert "'unsafe-inline'" not in script_src
    nonces = [source for source in script_src if source.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    assert len(nonce) >= 16
    page = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts, "the page loads htmx"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce(client_for, personas):
    client = client_for("anonymous")

    def nonce() -> str:
        match = re.search(r"'nonce-([^']+)'", client.get("/")["Content-Security-Policy"])
        assert match
        return match.group(1)

    assert nonce() != nonce()


def test_env_rate_reads_calls_per_period():
    assert env_rate("TTC_API_RATE", "60/m", environ={}) == "60/m"
    assert env_rate("TTC_API_RATE", "60/m", environ={"TTC_API_RATE": "1000/h"}) == "1000/h"


@pytest.mark.parametrize("raw", ["60", "60/minute", "0/m", "-5/m", "many/m", "60 per m"])
def test_env_rate_rejects_what_is_not_a_rate(raw):
    with pytest.raises(EnvError, match="TTC_API_RATE"):
        env_rate("TTC_API_RATE", "60/m", environ={"TTC_API_RATE": raw})
