from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from journeys.models import Connection
from journeys.secrets import rotate_secret


class Command(BaseCommand):
    help = "Re-encrypt every stored SFMC client secret with the newest key in SFMC_SECRET_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update().exclude(
                client_secret_encrypted=""
            ):
                connection.client_secret_encrypted = rotate_secret(
                    connection.client_secret_encrypted
                )
                connection.save(update_fields=["client_secret_encrypted"])
                count += 1
        self.stdout.write(f"Re-encrypted {count} secret(s) with the newest key.")
