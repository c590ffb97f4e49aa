"""The OpenAPI 3.1 description of the service (`GET /openapi.json`), as one data table."""

from __future__ import annotations

from typing import Any

from .. import __version__

_ERROR = {"description": "refused: a JSON body {error, where, message}",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_SHOP = {"name": "shop", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "the policy's `shop.id`"}
_AT = {"name": "at", "in": "query", "schema": {"type": "string", "format": "date-time"}}
_FORMAT = {"name": "format", "in": "query", "schema": {"enum": ["json", "text"]}}

# path, method, summary, extra parameters, request media types, success description
ENDPOINTS: tuple[tuple[str, str, str, list[dict[str, Any]], tuple[str, ...], str], ...] = (
    ("/v1/shops/{shop}/events", "post",
     "Feed one event, a JSON array of events, or JSON Lines (CONTRACT.md events, checked as "
     "the CLI checks a log); answered once the events and their records are durable. An "
     "`Idempotency-Key` header makes a retry return the first answer instead of feeding "
     "the events twice.",
     [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
     ("application/json", "application/x-ndjson"), "the records the events made"),
    ("/v1/shops/{shop}/decide", "post",
     "What-if: decide one message against a given `state` snapshot or the live state; "
     "changes nothing.", [], ("application/json",), "the decision with its trace"),
    ("/v1/shops/{shop}/buyers/{buyer}/explain", "get",
     "Every routing record of a buyer in the shop's log (or the one `at`), with the policy "
     "revision that made each.",
     [{"name": "buyer", "in": "path", "required": True, "schema": {"type": "string"}},
      _AT, _FORMAT], (), "the buyer's records"),
    ("/v1/shops/{shop}/agents/{agent}/why-not", "get",
     "Why an agent receives no new chats now, or `at` a past time of the log.",
     [{"name": "agent", "in": "path", "required": True, "schema": {"type": "string"}},
      _AT, _FORMAT], (), "the causes, each with its policy span and a fix"),
    ("/v1/shops/{shop}/policy", "put",
     "Upload a policy (YAML): refused with its diagnostics (422, the `check --format json` "
     "shape) when it has errors, else switched atomically from the next event on.",
     [], ("application/yaml",), "the new revision"),
    ("/v1/shops/{shop}/policy", "get", "The revision in force and every earlier one.",
     [], (), "the revisions"),
)


def describe() -> dict[str, Any]:
    """The whole description."""
    paths: dict[str, Any] = {
        "/health": {"get": {"summary": "The process answers.", "security": [],
                            "responses": {"200": {"description": "ok"}}}},
        "/ready": {"get": {"summary": "The store is open and the shops are seeded.",
                           "security": [], "responses": {"200": {"description": "ready"},
                                                         "503": {"description": "not yet"}}}},
        "/metrics": {"get": {"summary": "Prometheus text: decisions, latency, waiting chats.",
                             "security": [], "responses": {"200": {"description": "metrics"}}}},
    }
    for path, method, summary, params, media, success in ENDPOINTS:
        op: dict[str, Any] = {
            "summary": summary, "parameters": [_SHOP, *params],
            "responses": {"200": {"description": success}, "400": _ERROR, "401": _ERROR,
                          "403": _ERROR, "404": _ERROR, "307": {"description": "another "
                          "instance owns the shop (Redis store): repeat there"},
                          "413": _ERROR, "503": _ERROR}}
        if media:
            op["requestBody"] = {"required": True,
                                 "content": {m: {"schema": {}} for m in media}}
        if method == "put":
            op["responses"]["422"] = {"description": "the policy has errors: "
                                                     "{diagnostics: [...]}"}
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "policyc serve", "version": __version__},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "where", "message"],
                                  "properties": {"error": {"type": "string"},
                                                 "where": {"type": "string"},
                                                 "message": {"type": "string"}}}}},
        "security": [{"bearer": []}],
    }
