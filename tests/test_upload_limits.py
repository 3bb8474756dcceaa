"""Uploads are bounded while they stream, on every upload path (a journey, a sheet of contacts).

The request body is made on the fly and counts what the server reads, so a test states how much
of a hostile body was read, not how long it took: a body whose Content-Length is over the limit
is refused before its file is read, and a file that grows past the limit is read no further
than the limit and one chunk. The user gets the form back with why; nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from journeys.models import AuditEvent, Draft, Journey, Revision, TestContact
from journeys.services.drafts import create_new_journey
from tests.factories import ConnectionFactory

BOUNDARY = "journeys-test-boundary-7MA4YWxk"
CHUNK = 64 * 1024  # Django's upload handlers read the body in chunks of this size
GIB = 1024**3
TOO_LARGE = "The file is larger than 5 MB"


class GeneratedBody:
    """A multipart body of `head`, `size` filler bytes of file and `tail`, made as it is read
    (never held whole); `read` counts the bytes the server took."""

    def __init__(self, head: bytes, size: int, tail: bytes) -> None:
        self.head, self.size, self.tail = head, size, tail
        self.length = len(head) + size + len(tail)
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        start = self.read_bytes
        end = self.length if size is None or size < 0 else min(self.length, start + size)
        self.read_bytes = end
        return b"".join(self._slice(start, end))

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    def _slice(self, start: int, end: int) -> Any:
        file_start, file_end = len(self.head), len(self.head) + self.size
        if start < file_start:
            yield self.head[start : min(end, file_start)]
        if end > file_start and start < file_end:
            yield b"x" * (min(end, file_end) - max(start, file_start))
        if end > file_end:
            yield self.tail[max(start, file_end) - file_end : end - file_end]


@dataclass
class UploadPath:
    name: str
    url: str
    fields: dict[str, str]


def _field(name: str, value: str) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
    return f"{head}{value}\r\n".encode()


def _body(fields: dict[str, str], size: int) -> GeneratedBody:
    head = b"".join(_field(name, value) for name, value in fields.items())
    head += (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    return GeneratedBody(head, size, f"\r\n--{BOUNDARY}--\r\n".encode())


@pytest.fixture
def csrf_client(editor) -> Client:
    """A client that must send the CSRF token, as a browser does: a refusal is the form with why,
    never a CSRF failure because the fields after the file went unread."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    client.get(reverse("journeys:draft-upload"))
    return client


@pytest.fixture(params=["journey", "sheet"])
def path(request, editor, csrf_client) -> UploadPath:
    connection = ConnectionFactory()
    token = csrf_client.cookies["csrftoken"].value
    if request.param == "journey":
        url = reverse("journeys:draft-upload")
        return UploadPath(
            "journey", url, {"csrfmiddlewaretoken": token, "connection": str(connection.pk)}
        )
    draft = create_new_journey(editor, connection, "Contacts")
    url = reverse("journeys:draft-contacts-import", args=[draft.pk])
    return UploadPath("sheet", url, {"csrfmiddlewaretoken": token, "text": ""})


def _stored() -> dict[str, int]:
    models = (Draft, Journey, Revision, TestContact, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


def _post(client: Client, path: UploadPath, body: GeneratedBody, content_length: int) -> Any:
    return client.generic(
        "POST",
        path.url,
        b"-",  # replaced by the generated body below
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(content_length)},
    )


def _assert_refused_with_the_form(response: Any, path: UploadPath) -> None:
    html = response.content.decode()
    assert response.status_code == (
        200 if path.name == "journey" else 400
    )  # the page, not a bare 4xx
    assert TOO_LARGE in html
    assert "<form" in html and 'name="file"' in html


def test_a_body_whose_content_length_is_over_the_limit_is_refused_before_its_file_is_read(
    csrf_client, path
):
    before = _stored()
    body = _body(path.fields, 3 * GIB // 2)  # 1.5 GB, as in the report
    response = _post(csrf_client, path, body, body.length)
    _assert_refused_with_the_form(response, path)
    assert body.read_bytes <= CHUNK  # the fields before the file, nothing of the file
    assert _stored() == before


def test_a_file_is_read_no_further_than_the_limit_while_it_streams(csrf_client, path, settings):
    settings.UPLOAD_REQUEST_MAX_BYTES = 2 * GIB  # a Content-Length check that lets it through
    before = _stored()
    body = _body(path.fields, GIB)
    response = _post(csrf_client, path, body, body.length)
    _assert_refused_with_the_form(response, path)
    assert body.read_bytes < settings.JOURNEY_UPLOAD_MAX_BYTES + len(body.head) + CHUNK
    assert _stored() == before


def test_a_file_one_byte_over_the_limit_is_refused_and_one_at_the_limit_is_read(editor, settings):
    settings.JOURNEY_UPLOAD_MAX_BYTES = 1024
    client = Client()
    client.force_login(editor)
    connection = ConnectionFactory()
    document = b'{"key": "k", "activities": [], "pad": "'
    at_limit = document + b"x" * (1024 - len(document) - 2) + b'"}'
    url = reverse("journeys:draft-upload")

    over = client.post(
        url, {"connection": connection.pk, "file": SimpleUploadedFile("j.json", at_limit + b" ")}
    )
    assert over.status_code == 200
    assert "The file is larger than 1 KB" in over.content.decode()
    assert not Draft.objects.exists()

    read = client.post(
        url, {"connection": connection.pk, "file": SimpleUploadedFile("j.json", at_limit)}
    )
    assert read.status_code == 302
    assert Draft.objects.get().document["pad"] == "x" * (1024 - len(document) - 2)
