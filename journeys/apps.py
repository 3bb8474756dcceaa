from __future__ import annotations

from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = "Journeys"
    default_auto_field = "django.db.models.BigAutoField"
