"""JSON responses and the error envelopes of the Interaction API (API notes §2)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import ClosingIterator

DOCUMENTATION = (
    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
)
NOT_FOUND = "Interaction matching criteria not found."
MALFORMED = "Please validate that your request is properly formed."
VALIDATION_FAILED = "Validation Errors Occurred!"
SERVER_ERROR = "There was a problem processing your request, please try again or contact support"

# Sub-codes of validationErrors[] that the simulator invents (the real ones are unknown, except
# 121072 for illegal characters in a journey's name or description, API notes §2.2).
MISSING_FIELD = 121001
KEY_TOO_LONG = 121002
WRONG_TYPE = 121003
JOURNEY_PROBLEM = 121000
ILLEGAL_CHARACTERS = 121072


class ApiError(Exception):
    """An error answer: HTTP status plus the ``{message, errorcode, documentation}`` envelope."""

    def __init__(self, status: int, message: str, errorcode: int, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "message": message,
            "errorcode": errorcode,
            "documentation": "",
            **extra,
        }

    def response(self) -> Response:
        return json_response(self.body, self.status)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A compact JSON response."""
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def json_object_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body; 400 (malformed) for anything else."""
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise malformed("The body must be a JSON object.")
    return body


class BodyOn304Response(Response):
    """A response that keeps its body and Content-Type/-Length even as a 304.

    werkzeug drops both for a 304 (HTTP says a 304 has no content), but SFMC's PUT answers its
    "no change" 304 with the error envelope. http.client, urllib3 and requests never read a 304's
    body; the werkzeug server closes the connection after every answer, so those bytes cannot
    be mistaken for the next response on a kept-alive connection.
    """

    def get_app_iter(self, environ: dict[str, Any]) -> Any:
        return ClosingIterator(self.iter_encoded(), self.close)

    def get_wsgi_headers(self, environ: dict[str, Any]) -> Any:
        headers = super().get_wsgi_headers(environ)
        headers["Content-Type"] = self.content_type or "application/json"
        headers["Content-Length"] = str(sum(len(chunk) for chunk in self.iter_encoded()))
        return headers


def no_change_response(message: str) -> Response:
    """PUT with nothing to change: 304 with ``{message, errorcode: 304, documentation}``."""
    body = {"message": message, "errorcode": 304, "documentation": ""}
    return BodyOn304Response(
        json.dumps(body, separators=(",", ":")),
        status=304,
        content_type="application/json; charset=utf-8",
    )


def text_response(text: str) -> Response:
    """A bare text answer (DELETE answers the journey id unquoted)."""
    return Response(text, status=200, content_type="text/plain; charset=utf-8")


def not_found(message: str = NOT_FOUND) -> ApiError:
    return ApiError(404, message, 30003)


def malformed(detail: str = "") -> ApiError:
    return ApiError(400, MALFORMED + (f" {detail}" if detail else ""), 400)


def validation_item(
    message: str, errorcode: int = JOURNEY_PROBLEM, activity_key: str | None = None
) -> dict[str, Any]:
    """One validationErrors[] item; ``additionalInfo.activityKey`` names the step at fault."""
    item: dict[str, Any] = {"message": message, "errorcode": errorcode}
    if activity_key:
        item["additionalInfo"] = {"activityKey": activity_key}
    return item


def validation_failed(items: list[dict[str, Any]]) -> ApiError:
    return ApiError(400, VALIDATION_FAILED, 10006, validationErrors=items)


def server_error(status: int) -> ApiError:
    return ApiError(status, SERVER_ERROR, 500 if status == 500 else status)
