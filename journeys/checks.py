"""System checks of our own settings, run by `manage.py check` (the deploy ones with --deploy)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security)
def check_sfmc_secret_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for index, key in enumerate(settings.SFMC_SECRET_KEYS):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(
                Error(
                    f"SFMC_SECRET_KEYS item {index + 1} is not a Fernet key.",
                    hint="Generate one with cryptography.fernet.Fernet.generate_key().",
                    id="journeys.E001",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def check_no_published_secrets(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The secrets .env.example publishes (production start-up refuses them too)."""
    from journeys.settings import published_values

    problems: list[CheckMessage] = []
    if settings.SECRET_KEY in published_values("SECRET_KEY"):
        problems.append(Error("SECRET_KEY is .env.example's published one.", id="journeys.E002"))
    if published_values("SFMC_SECRET_KEYS") & set(settings.SFMC_SECRET_KEYS):
        problems.append(
            Error(
                "SFMC_SECRET_KEYS holds the key published in .env.example.",
                hint="Generate one with cryptography.fernet.Fernet.generate_key().",
                id="journeys.E003",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_no_development_defaults(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    from journeys.settings import DEV_SFMC_SECRET_KEY, DEV_SITE_URL

    problems: list[CheckMessage] = []
    if DEV_SFMC_SECRET_KEY in settings.SFMC_SECRET_KEYS:
        problems.append(Warning("SFMC_SECRET_KEYS holds the development key.", id="journeys.W001"))
    if settings.SFMC_SIMULATOR_ENABLED:
        problems.append(
            Warning(
                "The SFMC simulator is enabled; it must never be in production.", id="journeys.W002"
            )
        )
    if settings.SITE_URL == DEV_SITE_URL:
        problems.append(
            Warning(
                "SITE_URL is the development address; notification links would point there.",
                hint="Set SITE_URL to the address users reach the product at.",
                id="journeys.W003",
            )
        )
    return problems
