"""What test contacts add to the review page: server time of the review of the largest real
journey (fixture 08) and of a generated 500-activity one, with no test contact and with 50.

Run from the repository root: `.venv/bin/python -m bench.bench_review_contacts [runs]`. A
throwaway SQLite database (bench_editor's setup), django.test.Client as a signed-in approver,
medians of `runs` requests (default 11) after a warm-up. The 50 contacts are bench_stepper's:
a value for every attribute the journey uses, random splits stated per contact.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.bench_domain import FIXTURE
from bench.bench_editor import count_queries, median_ms, setup_django
from bench.bench_stepper import contacts_for
from bench.journeys_gen import generate_journey


def contact_sheet(journey: dict[str, Any]) -> str:
    """bench_stepper's 50 contacts as a CSV sheet (attributes by their whole key)."""
    contacts = contacts_for(journey, stated=True)
    attributes = sorted({key for contact in contacts for key in contact.values})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "entered", *attributes])
    for contact in contacts:
        entered = contact.entered_at.strftime("%Y-%m-%d %H:%M")
        writer.writerow([contact.name, entered, *(contact.values[key] for key in attributes)])
    return out.getvalue()


def measure(name: str, raw: bytes, people: dict[str, Any], connection: Any, runs: int) -> str:
    from django.test import Client
    from django.urls import reverse

    from journeys.services import review, test_contacts
    from journeys.services.drafts import create_draft_from_upload

    editor, approver = people["editor"], people["approver"]
    draft = create_draft_from_upload(editor, connection, raw).draft
    draft = review.submit_for_review(
        editor, draft, expected_revision=draft.revision_number, message="bench"
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(approver)
    url = reverse("journeys:draft-review", args=[draft.pk])

    def page() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
        return response

    without = median_ms(page, runs)
    queries_without, _ = count_queries(page)
    test_contacts.import_test_contacts(editor, draft, contact_sheet(draft.document))
    with_contacts = median_ms(page, runs)
    queries_with, _ = count_queries(page)
    return (
        f"{name:<14} review page: {without:8.1f} ms, {queries_without} queries without contacts; "
        f"{with_contacts:8.1f} ms, {queries_with} queries with 50: "
        f"+{with_contacts - without:.1f} ms ({with_contacts / without:.2f}×)"
    )


def main(runs: int = 11) -> int:
    var_dir = tempfile.mkdtemp(prefix="bench-review-contacts-")
    try:
        setup_django(var_dir)
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from journeys.models import Connection

        people = {}
        for role, group in (("editor", "Editors"), ("approver", "Approvers")):
            people[role] = get_user_model().objects.create_user(f"bench-{role}")
            people[role].groups.add(Group.objects.get(name=group))
        connection = Connection.objects.create(
            name="Bench",
            auth_base_url="https://bench.auth.marketingcloudapis.com",
            rest_base_url="https://bench.rest.marketingcloudapis.com",
            client_id="bench",
        )
        print(f"bench_review_contacts: medians of {runs} requests")
        inputs = (
            ("fixture 08", Path(FIXTURE).read_bytes()),
            ("generated 500", json.dumps(generate_journey(500, 2026)).encode()),
        )
        for name, raw in inputs:
            print(measure(name, raw, people, connection, runs))
        return 0
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*(int(arg) for arg in sys.argv[1:2])))
