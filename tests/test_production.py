"""Production refuses unsafe settings at start, passes `check --deploy`, and never
loads the demo data.

Each case starts its own Python process with only the given environment, the
way a server would. The processes of this module all run at once, once, before
its first test asks for a result: starting Django takes a second each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.members.models import Organisation

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Zt4kP9wQ2mV7xR1nB6cL3hJ8dF5sG0aE2uK7iO4pY9wT1xC6vN3bM8lR5qH0eU2"

#: Everything settings.py reads that matters here; the test process's own
#: values (and its DJANGO_* ones) are removed so that each start sees only what
#: the case gives it.
VARIABLES = (
    "TTC_ENV",
    "TTC_VAR_DIR",
    "TTC_BEHIND_PROXY",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DEBUG",
    "SITE_URL",
    "EMAIL_BACKEND",
    "EMAIL_USE_TLS",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
)

START = ("-c", "import django; django.setup()")
#: Starts like START, then prints what the settings came to.
REPORT = (
    "-c",
    """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SITE_URL": s.SITE_URL,
    "MAILER": s.MAILERS["default"],
    "SECURE_PROXY_SSL_HEADER": getattr(s, "SECURE_PROXY_SSL_HEADER", None),
}))
""",
)
DEPLOY_CHECK = ("manage.py", "check", "--deploy", "--fail-level", "WARNING")


def production(**overrides: str | None) -> dict[str, str]:
    """The values of the deploy check in .ci/run, with some changed or removed (None)."""
    variables = {
        "TTC_ENV": "production",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "platform.techtegencorona.nl",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        "SITE_URL": "https://platform.techtegencorona.nl",
    }
    for key, value in overrides.items():
        if value is None:
            variables.pop(key, None)
        else:
            variables[key] = value
    return variables


OUTBOX_REFUSED = (
    "EMAIL_BACKEND must not be the development outbox (ttc.core.mail.OutboxBackend) "
    "when TTC_ENV=production"
)
SITE_URL_UNSET = "SITE_URL must be set when TTC_ENV=production"


def https_refused(shown: str) -> str:
    return f"SITE_URL must be an https:// address when TTC_ENV=production, not {shown}"


#: Environments production refuses, and the message that says why.
REFUSED: dict[str, tuple[dict[str, str], str]] = {
    "debug true": (production(DEBUG="true"), "DEBUG must be off when TTC_ENV=production"),
    "debug 1": (production(DEBUG="1"), "DEBUG must be off when TTC_ENV=production"),
    "outbox": (production(EMAIL_BACKEND="ttc.core.mail.OutboxBackend"), OUTBOX_REFUSED),
    "site url unset": (production(SITE_URL=None), SITE_URL_UNSET),
    "site url empty": (production(SITE_URL="  "), SITE_URL_UNSET),
    "site url http": (
        production(SITE_URL="http://platform.techtegencorona.nl"),
        https_refused("'http://platform.techtegencorona.nl'"),
    ),
    "site url HTTP": (
        production(SITE_URL="HTTP://platform.techtegencorona.nl/"),
        https_refused("'HTTP://platform.techtegencorona.nl'"),
    ),
    "site url without scheme": (
        production(SITE_URL="platform.techtegencorona.nl"),
        https_refused("'platform.techtegencorona.nl'"),
    ),
    "site url without host": (production(SITE_URL="https://"), https_refused("'https:'")),
    "behind proxy unclear": (
        production(TTC_BEHIND_PROXY="misschien"),
        "TTC_BEHIND_PROXY must be one of",
    ),
}

#: Every process this module starts: (environment, command).
JOBS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "valid": (production(), START),
    "valid report": (production(), REPORT),
    "explicit report": (
        production(
            DEBUG="false",
            SITE_URL="https://platform.techtegencorona.nl/",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_USE_TLS="false",
            TTC_BEHIND_PROXY="true",
        ),
        REPORT,
    ),
    "deploy check": (production(), DEPLOY_CHECK),
    "deploy check behind proxy": (production(TTC_BEHIND_PROXY="true"), DEPLOY_CHECK),
    "development report": ({"DEBUG": "true", "SITE_URL": "http://127.0.0.1:8000"}, REPORT),
    "development smtp report": (
        {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"},
        REPORT,
    ),
} | {name: (variables, START) for name, (variables, _) in REFUSED.items()}


def run(var_dir: Path, variables: dict[str, str], command: tuple[str, ...]):
    # DJANGO_*: e.g. DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests set, fails the
    # deploy check.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in VARIABLES and not key.startswith("DJANGO_")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "ttc.settings",
        "TTC_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT),
    }
    env |= variables
    return subprocess.run(  # noqa: S603 - only the commands defined above
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        futures = {
            name: pool.submit(run, tmp_path_factory.mktemp("var"), variables, command)
            for name, (variables, command) in JOBS.items()
        }
        return {name: future.result() for name, future in futures.items()}


def report(started, name: str) -> dict:
    result = started[name]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the valid production set ----------------------------------------------------------------


def test_the_valid_production_set_starts(started):
    result = started["valid"]
    assert result.returncode == 0, result.stderr


def test_production_defaults(started):
    settings = report(started, "valid report")
    assert settings["DEBUG"] is False
    assert settings["SITE_URL"] == "https://platform.techtegencorona.nl"
    assert settings["MAILER"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["MAILER"]["OPTIONS"]["use_tls"] is True
    # X-Forwarded-Proto is not trusted unless the operator says a proxy sets it.
    assert settings["SECURE_PROXY_SSL_HEADER"] is None


def test_production_accepts_explicit_safe_values(started):
    settings = report(started, "explicit report")
    assert settings["DEBUG"] is False
    assert settings["SITE_URL"] == "https://platform.techtegencorona.nl"
    assert settings["MAILER"]["OPTIONS"]["use_tls"] is False
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("name", ["deploy check", "deploy check behind proxy"])
def test_production_passes_the_deploy_check(started, name):
    result = started[name]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_keeps_its_conveniences(started):
    """The refusals are for production only: development runs on http, with
    DEBUG and the outbox."""
    settings = report(started, "development report")
    assert settings["DEBUG"] is True
    assert settings["SITE_URL"] == "http://127.0.0.1:8000"
    assert settings["MAILER"]["BACKEND"] == "ttc.core.mail.OutboxBackend"
    assert settings["SECURE_PROXY_SSL_HEADER"] is None
    smtp = report(started, "development smtp report")
    assert smtp["MAILER"]["OPTIONS"]["use_tls"] is False


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REFUSED))
def test_production_refuses_to_start(started, name):
    _, message = REFUSED[name]
    result = started[name]
    assert result.returncode != 0
    assert "EnvError" in result.stderr
    assert message in result.stderr, result.stderr


# --- the demo data ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_never_runs_in_production(settings):
    settings.PRODUCTION = True
    before = (User.objects.count(), Organisation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError) as error:
        call_command("seed_demo", companies=3, experts=3)
    assert str(error.value) == (
        "seed_demo loads published demo log-ins; it never runs in production"
    )
    assert (User.objects.count(), Organisation.objects.count(), AuditEvent.objects.count()) == (
        before
    )
    assert before == (0, 0, 0)
