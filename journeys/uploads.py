"""Uploads are bounded while they stream: no request makes the web process read a file past
JOURNEY_UPLOAD_MAX_BYTES, on every upload path (a journey, a sheet of contacts, any later one).

`BoundedUploadHandler` comes first in FILE_UPLOAD_HANDLERS. A request whose Content-Length is over
UPLOAD_REQUEST_MAX_BYTES is refused at its first file, before any of the file is read; a file
that grows past the limit while it streams (together with the request's earlier files) is read
no further. Either way the parser stops reading the body: the fields before the file (the CSRF
token, the form's other fields) are kept, and `received_files` puts a `RefusedUpload` in the
file's place, which an `UploadField` refuses with a message next to the field.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

MIB = 1024 * 1024


class RefusedUpload(UploadedFile):
    """Stands for a file whose reading was stopped: its name and a size over the limit, no
    content."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(BytesIO(), name=name, size=size)


class BoundedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit: int = settings.JOURNEY_UPLOAD_MAX_BYTES
        self.declared = 0
        self.received = 0
        self.refused: dict[str, RefusedUpload] = {}

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, *args: Any) -> None:
        self.declared = content_length  # Django reads no further than this, whatever follows

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if self.declared > settings.UPLOAD_REQUEST_MAX_BYTES:
            self._refuse(self.declared)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse(self.received)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler keeps the file

    def _refuse(self, size: int) -> None:
        self.refused[str(self.field_name)] = RefusedUpload(str(self.file_name), size)
        raise StopUpload(connection_reset=True)  # read no more of the body


def received_files(request: HttpRequest) -> MultiValueDict[str, UploadedFile]:
    """request.FILES, with a RefusedUpload in the place of each file the handler stopped."""
    files = request.FILES.copy()  # parses the body first, if nothing has yet
    for handler in request.upload_handlers:
        if isinstance(handler, BoundedUploadHandler):
            for field, refused in handler.refused.items():
                files.setlist(field, [refused])
    return files


def too_large(limit: int) -> str:
    size = f"{limit / MIB:.3g} MB" if limit >= MIB else f"{limit / 1024:.3g} KB"
    return f"The file is larger than {size}, the largest accepted."


def validate_upload_size(upload: UploadedFile) -> None:
    if (upload.size or 0) > settings.JOURNEY_UPLOAD_MAX_BYTES:
        raise ValidationError(too_large(settings.JOURNEY_UPLOAD_MAX_BYTES), code="too_large")


class UploadField(forms.FileField):
    """A file field that says when the file is over the upload limit (RefusedUpload included)."""

    default_validators = [validate_upload_size]
