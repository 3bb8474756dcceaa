from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.models import Draft, RemoteSnapshot


class Command(BaseCommand):
    help = "Write a draft's (or a remote snapshot's) journey JSON to a file or stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--draft", type=int)
        group.add_argument("--snapshot", type=int)
        parser.add_argument("--output", "-o", default="-", help="file path, or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        model = Draft if options["draft"] else RemoteSnapshot
        pk = options["draft"] or options["snapshot"]
        try:
            document = model.objects.get(pk=pk).document
        except model.DoesNotExist as exc:
            raise CommandError(f"No {model.__name__} #{pk}.") from exc
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            with open(options["output"], "w", encoding="utf-8") as out:
                out.write(text)
