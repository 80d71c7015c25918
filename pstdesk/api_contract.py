"""What /api/v1/openapi.json promises beyond what django-ninja infers from the views' signatures.

Every operation declares the error responses it can give, all as `{"detail": …}` (a message, or ninja's list of
validation errors for 422):

- 401 for an operation that needs a token or a session;
- 422 for one that takes parameters or a body (ninja refuses a value of the wrong type, or a missing one);
- 400 for one that takes query parameters or a body (a value the type allows but the desk refuses, e.g. an
  unknown filter value among comma-separated ones, or a period that is no date);
- 404 for one with an id or code in its path or an `office` filter, or an authenticated one with a body that
  names an office or an object (missing and another office's objects alike);
- 403 and 409 for one that changes state (not allowed for this user; not possible in the current state).

Filters and body fields whose values come from a fixed list declare it (an enum, or for comma-separated filters a
pattern of that list), so a client and a fuzzer know which values are accepted. The test that holds the API to
this document is `pstdesk/tests/test_api_contract.py` (schemathesis against a running `pstdesk serve`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from django.conf import settings
from pydantic import BeforeValidator

from pstdesk.complaints.models import ComplaintKind, ComplaintSource, ComplaintStatus, LaporStage
from pstdesk.consultations.models import Channel, Status, Topic
from pstdesk.reports.exports import ROW_FORMATS

ERROR = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "description": "A message in the request's language, or (422) the list of invalid fields.",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}],
        }
    },
    "required": ["detail"],
}
DESCRIPTIONS = {
    "400": "Refused value (the message says which and why)",
    "401": "No valid token or session",
    "403": "Not allowed for this user",
    "404": "Not found (or not in the caller's offices)",
    "409": "Not possible in the current state",
    "422": "Invalid or missing parameter or body field",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def one_or_more_of(values: Iterable[str]) -> dict[str, Any]:
    """A comma-separated list of values taken from `values` ("new,assigned"); empty: no filter."""
    choice = "|".join(re.escape(v) for v in values)
    return {"type": "string", "pattern": f"^(({choice})(,({choice}))*)?$"}


def one_of(values: Iterable[str], *, or_empty: bool = False) -> dict[str, Any]:
    """One of `values`; with `or_empty`, also "" (a filter left empty filters nothing)."""
    return {"type": "string", "enum": [*([""] if or_empty else []), *values]}


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("use YYYY-MM-DD")
    return value


# A date given as YYYY-MM-DD only (pydantic alone also takes "0" or "1700000000" as a timestamp).
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


# A report period: a month (2026-11), a year (2026) or a range of days (2026-11-01..2026-11-30); empty: the last
# month.
_DAY = r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
MONTH_OR_YEAR = r"^(19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?$"
PERIOD = rf"^((19|20)[0-9]{{2}}(-(0[1-9]|1[0-2]))?|{_DAY}\.\.{_DAY})?$"
# (path, parameter name) → the parameter's schema (null stays allowed where ninja allows it).
QUERY_PARAMETERS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/consultations", "status"): one_or_more_of(Status.values),
    ("/api/v1/consultations", "channel"): one_or_more_of(Channel.values),
    ("/api/v1/consultations", "topic"): one_or_more_of(Topic.values),
    ("/api/v1/consultations", "assigned"): one_of(["me", "none"], or_empty=True),
    ("/api/v1/complaints", "status"): one_of([*ComplaintStatus.values, "open"], or_empty=True),
    ("/api/v1/complaints", "source"): one_of(ComplaintSource.values, or_empty=True),
    ("/api/v1/complaints", "kind"): one_of(ComplaintKind.values, or_empty=True),
    ("/api/v1/ratings", "score"): {"type": "integer", "minimum": 1, "maximum": 5},
    ("/api/v1/reports/{code}/rows", "format"): {**one_of(ROW_FORMATS), "default": "csv"},
    ("/api/v1/reports/{code}", "period"): {"type": "string", "pattern": PERIOD, "default": ""},
    ("/api/v1/reports/{code}/rows", "period"): {"type": "string", "pattern": PERIOD, "default": ""},
    ("/api/v1/offices/{code}/figures", "period"): {"type": "string", "pattern": MONTH_OR_YEAR},
    # Words to look for in the BPS Web API: some text, at most 100 characters (others: 400 with the reason).
    ("/api/v1/bps/{domain}/search", "q"): {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"},
}
# Inline JSON bodies (declared by the view, not a component): (method, path) → field → schema.
JSON_BODY_FIELDS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    # A reply as JSON has text (a reply with files only is sent as multipart/form-data).
    ("post", "/api/v1/consultations/{consultation_id}/reply"): {
        "body": {"type": "string", "minLength": 1, "pattern": r"\S"}
    },
}
# Operations that answer 201 Created (with the body their 200 declares) instead of 200.
CREATED = {
    ("post", "/api/v1/complaints"),
    ("post", "/api/v1/consultations/{consultation_id}/note"),
    ("post", "/api/v1/consultations/{consultation_id}/reply"),
    ("post", "/api/v1/consultations/{consultation_id}/rating"),
}
# component → field → schema of a body field with a fixed list of values.
BODY_FIELDS: dict[str, dict[str, dict[str, Any]]] = {
    "TopicIn": {"topic": one_of(Topic.values)},
    # A message or note: some text that is not only spaces (an empty one is refused).
    "BodyIn": {"body": {"type": "string", "minLength": 1, "pattern": r"\S"}},
    "RatingIn": {"score": {"type": "integer", "minimum": 1, "maximum": 5}},
    "ComplaintIn": {"kind": one_of(ComplaintKind.values), "source": one_of(ComplaintSource.values)},
    "ComplaintUpdate": {"lapor_stage": {"anyOf": [one_of(LaporStage.values), {"type": "null"}]}},
}


def _error(code: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _narrow(parameter: dict[str, Any], schema: dict[str, Any]) -> None:
    current = parameter.get("schema", {})
    nullable = any(option.get("type") == "null" for option in current.get("anyOf", []))
    title = current.get("title")
    parameter["schema"] = {"anyOf": [schema, {"type": "null"}]} if nullable else dict(schema)
    if title:
        parameter["schema"]["title"] = title


def declare_contract(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses and the fixed value lists to ninja's OpenAPI document (in place; returned)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    BODY_FIELDS["BodyIn"]["body"]["maxLength"] = settings.MESSAGE_MAX_CHARS
    for name, fields in BODY_FIELDS.items():
        properties = components.get(name, {}).get("properties", {})
        for field, field_schema in fields.items():
            if field in properties:
                title = properties[field].get("title")
                default = properties[field].get("default")
                properties[field] = {**field_schema, **({"title": title} if title else {})}
                if default is not None:
                    properties[field]["default"] = default
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                narrowed = QUERY_PARAMETERS.get((path, parameter["name"]))
                if narrowed and parameter.get("in") == "query":
                    _narrow(parameter, narrowed)
            codes = set()
            if operation.get("security"):
                codes.add("401")
            has_body = "requestBody" in operation
            if parameters or has_body:
                codes.add("422")
            if has_body or any(p.get("in") == "query" for p in parameters):
                codes.add("400")
            names_object = any(p.get("in") == "path" or p.get("name") == "office" for p in parameters)
            if names_object or (has_body and operation.get("security")):
                codes.add("404")  # an office or object named in the path, a filter or the body, not visible
            if method in WRITE_METHODS and operation.get("security"):
                codes |= {"403", "409"}
            json_body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if (method, path) in JSON_BODY_FIELDS:
                operation["requestBody"]["required"] = True  # a reply without a body is refused
            for field, field_schema in JSON_BODY_FIELDS.get((method, path), {}).items():
                properties = json_body.get("schema", {}).get("properties", {})
                if field in properties:
                    properties[field] = {**field_schema, "maxLength": settings.MESSAGE_MAX_CHARS}
            # ninja keys responses by int status; the document (JSON) by string: one key per status here.
            responses = {str(status): value for status, value in operation.get("responses", {}).items()}
            operation["responses"] = responses
            if (method, path) in CREATED and "200" in responses:
                responses["201"] = {**responses.pop("200"), "description": "Created"}
            for code in sorted(codes):
                responses.setdefault(code, _error(code))
    return schema
