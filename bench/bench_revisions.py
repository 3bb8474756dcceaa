"""What revisions cost to store and to read, and what loading a journey costs.

Run from the repository root (about 30 s): `.venv/bin/python -m bench.bench_revisions`.

On a throwaway SQLite database (a temporary VAR_DIR), a draft of the largest real journey
(fixture 08) and one of a generated 500-activity journey each get 200 single-field edits (an
activity's name, a different activity each time) through services.drafts.save_revision. Bytes
stored: the values of every revision and part row the draft has (journeys.revision_store),
against what whole documents would take (the compact JSON of every revision's document, what
each revision stored before). Reading: median of REPEATS reads of revision 1, 101 and 201
(row + parts, fresh each time, as a page does), against json.loads of the same document.
Loading: parse_journey_json (what an upload runs: JSON read and storability checked) against
json.loads of the same bytes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.bench_editor import median_ms, setup_django
from bench.journeys_gen import generate_journey

FIXTURES = Path(
    os.environ.get("SFMC_FIXTURES_DIR")
    or Path(__file__).resolve().parents[2] / "shared/fixtures/sfmc-real"
)
FIXTURE = FIXTURES / "08-greenpeace-automation-audience-stowait-updatecontact.json"
EDITS = 200
REPEATS = 31


def edit_many(user: Any, draft: Any, edits: int) -> Any:
    """`edits` revisions, each renaming one activity (the next one each time)."""
    from journeys.domain.graph import set_field
    from journeys.services.drafts import save_revision

    activities = len(draft.document["activities"])
    for number in range(edits):
        path = ("activities", number % activities, "name")
        document = set_field(draft.document, path, f"Step {number}")
        draft = save_revision(
            user, draft, document, expected_revision=draft.revision_number, summary="bench"
        )
    return draft


def storage_rows(name: str, user: Any, connection: Any, raw: bytes) -> list[str]:
    from journeys.models import DocumentPart, Revision
    from journeys.revision_store import stored_bytes
    from journeys.services.drafts import create_draft_from_upload

    draft = edit_many(user, create_draft_from_upload(user, connection, raw).draft, EDITS)
    revisions = Revision.objects.filter(draft=draft)
    whole = sum(len(json.dumps(r.document, separators=(",", ":")).encode()) for r in revisions)
    stored = stored_bytes(Revision, DocumentPart, draft.pk)
    first = len(json.dumps(revisions.get(number=1).document, separators=(",", ":")).encode())
    rows = [
        f"{name}: bytes stored, {EDITS} single-field edits (+ revision 1): {stored:,} "
        f"({stored / whole:.1%} of whole documents: {whole:,}); the document is {first:,}",
        f"{name}: bytes per single-field edit: {(stored - first) / EDITS:,.0f} "
        f"(whole documents: {(whole - first) / EDITS:,.0f})",
    ]
    for number in (1, 1 + EDITS // 2, 1 + EDITS):
        pk = revisions.get(number=number).pk
        text = json.dumps(revisions.get(number=number).document)
        loads = median_ms(lambda t=text: json.loads(t), REPEATS)
        read = median_ms(lambda pk=pk: Revision.objects.get(pk=pk).document, REPEATS)
        rows.append(
            f"{name}: read revision {number} (row + parts): {read:.2f} ms median, "
            f"{read / loads:.1f}× json.loads of the document ({loads:.2f} ms)"
        )
    return rows


def loading_rows(name: str, raw: bytes) -> list[str]:
    from journeys.domain.document import parse_journey_json

    loads = median_ms(lambda: json.loads(raw), REPEATS)
    parsed = median_ms(lambda: parse_journey_json(raw), REPEATS)
    return [
        f"{name}: load into the domain (parse_journey_json): {parsed:.2f} ms median, "
        f"{parsed / loads:.1f}× json.loads ({loads:.2f} ms, {len(raw) / 1024:.0f} KiB)"
    ]


def main() -> int:
    var_dir = tempfile.mkdtemp(prefix="bench-revisions-")
    setup_django(var_dir)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from journeys.models import Connection

    user = get_user_model().objects.create_user("bench-revisions")
    user.groups.add(Group.objects.get(name="Editors"))
    inputs = {
        "fixture 08": FIXTURE.read_bytes(),
        "generated 500": json.dumps(generate_journey(500, 2026)).encode(),
    }
    rows = []
    for name, raw in inputs.items():
        rows += loading_rows(name, raw)
    for index, (name, raw) in enumerate(inputs.items()):
        connection = Connection.objects.create(name=f"Bench {index}", client_id="bench")
        rows += storage_rows(name, user, connection, raw)
    print("bench_revisions: medians of", REPEATS, "runs")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
