"""JSON responses and the error envelopes of the Interaction API (API notes §2)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

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
