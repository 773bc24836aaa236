"""Production settings refuse to start without their secrets; with them, check --deploy is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _run(args, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "DEBUG"}}
    base.update(DJANGO_SETTINGS_MODULE="portal.settings", DEBUG="False", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


SECRETS = {
    "SECRET_KEY": "x" * 60 + "-prod-secret-for-the-test",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "portal.example.com",
}


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in SECRETS.items() if k != missing}
    result = _run(["check"], **env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_production_check_deploy_is_clean():
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], **SECRETS)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_disables_the_sandbox_by_default():
    result = _run(["shell", "-v", "0", "-c", "from django.conf import settings; print(settings.GRAPH_SANDBOX_ENABLED, settings.GRAPH_BASE_URL)"], **SECRETS)
    assert result.stdout.split() == ["False", "https://graph.facebook.com"], result.stderr
