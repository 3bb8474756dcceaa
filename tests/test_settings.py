"""Settings come from the environment; production refuses development defaults."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def production_env() -> dict[str, str]:
    """.env.example with its published secrets replaced, as a deployment must."""
    from cryptography.fernet import Fernet

    return {
        **env_example(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SFMC_SECRET_KEYS": Fernet.generate_key().decode(),
    }


def run_manage(args, env, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "CELERY_", "SFMC_"))}
    base.update({"VAR_DIR": str(tmp_path), **env})
    base.pop("DJANGO_SETTINGS_MODULE", None)
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_the_production_values_of_env_example(tmp_path):
    result = run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"], production_env(), tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


STARTS = [["check", "--deploy"], ["shell", "-c", "import journeys.wsgi"]]


@pytest.mark.parametrize("command", STARTS)
def test_production_refuses_the_secret_key_published_in_env_example(tmp_path, command):
    env = {**production_env(), "SECRET_KEY": env_example()["SECRET_KEY"]}
    result = run_manage(command, env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and ".env.example" in result.stderr


@pytest.mark.parametrize("position", ["alone", "after a real key"])
def test_production_refuses_the_encryption_key_published_in_env_example(tmp_path, position):
    published = env_example()["SFMC_SECRET_KEYS"]
    keys = (
        published if position == "alone" else f"{production_env()['SFMC_SECRET_KEYS']},{published}"
    )
    result = run_manage(
        ["check", "--deploy"], {**production_env(), "SFMC_SECRET_KEYS": keys}, tmp_path
    )
    assert result.returncode != 0
    assert "SFMC_SECRET_KEYS" in result.stderr and ".env.example" in result.stderr


def test_the_deploy_check_refuses_published_keys_even_with_debug_on(tmp_path):
    example = env_example()
    env = {"SECRET_KEY": example["SECRET_KEY"], "SFMC_SECRET_KEYS": example["SFMC_SECRET_KEYS"]}
    result = run_manage(["check", "--deploy"], env, tmp_path)
    assert result.returncode != 0
    assert "journeys.E002" in result.stderr and "journeys.E003" in result.stderr


def test_production_refuses_the_development_secret_key(tmp_path):
    env = production_env()
    env.pop("SECRET_KEY")
    result = run_manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_refuses_to_run_without_secret_encryption_keys(tmp_path):
    env = production_env()
    env.pop("SFMC_SECRET_KEYS")
    result = run_manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "SFMC_SECRET_KEYS" in result.stderr


def test_production_never_enables_the_simulator_even_when_asked(tmp_path):
    env = {**production_env(), "SFMC_SIMULATOR_ENABLED": "True"}
    result = run_manage(
        ["shell", "-c", "from django.conf import settings; print(settings.SFMC_SIMULATOR_ENABLED)"],
        env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("False")


def test_a_malformed_boolean_is_a_clear_configuration_error(tmp_path):
    result = run_manage(["check"], {"DEBUG": "yes"}, tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be True or False" in result.stderr


def test_an_invalid_fernet_key_fails_the_system_check(tmp_path):
    result = run_manage(["check"], {"SFMC_SECRET_KEYS": "not-a-key"}, tmp_path)
    assert result.returncode != 0
    assert "journeys.E001" in result.stderr


def test_embedded_defaults_are_sqlite_filesystem_broker_and_simulator(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, "
        "s.SFMC_SIMULATOR_ENABLED, s.DEBUG)"
    )
    result = run_manage(["shell", "-c", code], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "True",
        "True",
    ]


def test_postgres_and_redis_are_selected_by_environment(tmp_path):
    env = {"DB_ENGINE": "postgres", "DB_NAME": "x", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/3"}
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    )
    result = run_manage(["shell", "-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/3",
    ]


def settings_variables() -> set[str]:
    source = (REPO / "journeys" / "settings.py").read_text()
    pattern = r'(?:env_bool|env_int|env_float|env_list|os\.environ\.get)\(\s*"([A-Z_]+)"'
    return set(re.findall(pattern, source))


def test_env_example_lists_every_variable_the_settings_read():
    missing = settings_variables() - set(env_example())
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_readme_documents_every_variable_the_settings_read():
    readme = (REPO / "README.md").read_text()
    missing = sorted(v for v in settings_variables() if f"`{v}`" not in readme)
    assert not missing, f"README configuration section lacks {missing}"


@pytest.fixture(scope="module")
def compose():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_database_broker_web_and_worker_with_health_checks(compose):
    services = compose["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert "postgres" in services["db"]["image"]
    assert "redis" in services["redis"]["image"]
    assert "gunicorn journeys.wsgi" in services["web"]["command"]
    assert "migrate" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "journeys", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "journeys", "beat"]


def test_compose_app_services_take_env_file_and_wait_for_healthy_dependencies(compose):
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        assert service["env_file"] == ".env"
        assert service["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
        assert set(service["environment"]) <= settings_variables()
        assert service["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:")


def test_compose_database_credentials_come_from_the_same_variables_as_the_settings(compose):
    db_env = compose["services"]["db"]["environment"]
    referenced = set(re.findall(r"\$\{(\w+)", " ".join(db_env.values())))
    assert referenced == {"DB_NAME", "DB_USER", "DB_PASSWORD"}
    assert referenced <= settings_variables()
    assert env_example()["DB_ENGINE"] == "postgres"
