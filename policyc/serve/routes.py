"""The HTTP endpoints: events in, records out; what-if; explain and why-not; policy upload.

Every shop endpoint takes a bearer token for that shop (or an admin's): none or
unknown is 401, another shop's is 403. Bodies are capped (`--max-body`, 413);
bad input gets the CLI's located message as a 400 JSON body
`{"error", "where", "message"}`; a shop this instance does not own answers a
307 to the owner (Redis store), or a 503 while nobody owns it yet.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..compiler import compile_file, render
from ..dsl.diagnostic import Severity
from ..runtime.catalog import choose
from ..runtime.clock import TimeError, format_instant, parse_instant
from ..runtime.explain import record_text
from ..runtime.inputs import InputError, check_event, check_snapshot
from ..runtime.router import Router
from ..runtime.trace import LEVELS
from ..runtime.why_not import render_causes, why_not, why_not_text
from .app import Service
from .bodies import check_events, json_object, split_events, strictly
from .openapi import describe
from .shops import Shop
from .stores import NotOwner, StoreError

DECIDE_KEYS = ("event", "state", "level")


class Refused(Exception):
    """A request answered early: its response is ready."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def problem(status: int, where: str, message: str, **extra: Any) -> JSONResponse:
    """The JSON error body every refusal uses."""
    error = {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large",
             422: "policy_errors", 503: "unavailable"}.get(status, "bad_input")
    return JSONResponse({"error": error, "where": where, "message": message, **extra},
                        status_code=status)


async def _body(request: Request) -> bytes:
    """The request body, refused (413) past the size cap without reading it all."""
    limit = _service(request).config.max_body
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(problem(413, "body", f"{declared} bytes is over the {limit}-byte limit"))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(problem(413, "body", f"over the {limit}-byte limit"))
        chunks.append(chunk)
    return b"".join(chunks)


def _shop(request: Request) -> Shop:
    """The shop of the path, once the token opens it and this instance owns it."""
    service = _service(request)
    name = request.path_params["shop"]
    status = service.config.tokens.allows(request.headers.get("authorization"), name)
    if status != 200:
        why = "give `Authorization: Bearer TOKEN`" if status == 401 else \
            f"this token is not for shop {name!r}"
        raise Refused(problem(status, "authorization", why))
    if name not in service.shops:
        raise Refused(problem(404, "shop", f"no shop {name!r} here; shops: "
                                           + ", ".join(sorted(service.shops))))
    assert service.leases is not None and service.store is not None
    if not service.ready or not service.leases.owns(name):
        raise NotOwner(name, service.store.owner(name))
    return service.shops[name]


def _not_owner(request: Request, err: NotOwner) -> Response:
    service = _service(request)
    if err.owner and err.owner != service.config.address:
        url = err.owner.rstrip("/") + request.url.path + (
            f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(url, status_code=307)
    return problem(503, "shop", f"shop {err.shop!r} is being taken over; retry",
                   retry_after=1)


def _let_go(request: Request, name: str | None) -> None:
    """Stop serving a shop until it is claimed and rebuilt again."""
    service = _service(request)
    if name in service.shops and service.leases is not None:
        service.leases.drop(name)


async def guarded(request: Request, handler: Any, route: str) -> Response:
    """Run a handler; its refusals and errors become JSON responses, and are counted."""
    started = time.perf_counter()
    events = 0
    response: Response
    try:
        response, events = await handler(request)
    except Refused as refused:
        response = refused.response
    except InputError as err:
        response = problem(400, err.where, err.message)
    except NotOwner as err:
        _let_go(request, err.shop)
        response = _not_owner(request, err)
    except StoreError as err:  # the shop may be half rebuilt: the next request rebuilds it
        _let_go(request, request.path_params.get("shop"))
        response = problem(503, "store", str(err), retry_after=1)
    _service(request).metrics.request(route, response.status_code,
                                      time.perf_counter() - started, events)
    return response


# -- events ---------------------------------------------------------------------------
async def _events(request: Request) -> tuple[Response, int]:
    shop = _shop(request)
    raw = await _body(request)
    key = request.headers.get("idempotency-key")
    if key is not None:
        done = shop.store.by_key(shop.name, key)
        if done is not None:
            return JSONResponse(_reply(shop, done.seq, done.policy, done.records,
                                       replayed=True)), 0
    assert shop.router is not None
    events = check_events(shop.router, split_events(raw, request.headers.get(
        "content-type", "application/json")), shop.at)
    entry = shop.apply(events, key)
    flat = [r for made in entry.records for r in made]
    _service(request).metrics.recorded(shop.name, flat, len(events))
    return JSONResponse(_reply(shop, entry.seq, entry.policy, entry.records)), len(events)


def _reply(shop: Shop, seq: int, policy: str, records: list[list[dict[str, Any]]],
           replayed: bool = False) -> dict[str, Any]:
    flat = [r for made in records for r in made]
    outcomes = Counter(r["outcome"] for r in flat if "outcome" in r)
    return {"shop": shop.name, "seq": seq, "policy": policy, "events": len(records),
            "records": flat, "outcomes": dict(sorted(outcomes.items())), "replayed": replayed}


# -- what-if ----------------------------------------------------------------------------
async def _decide(request: Request) -> tuple[Response, int]:
    shop = _shop(request)
    body = json_object(await _body(request))
    for key in body:
        if key not in DECIDE_KEYS:
            raise InputError(f"body/{key}", f"unknown key; known: {', '.join(DECIDE_KEYS)}")
    level = body.get("level", "fails")
    if level not in LEVELS:
        raise InputError("body/level", f"{level!r} is not one of {', '.join(LEVELS)}")
    router, engine = shop.router, shop.engine
    assert router is not None and engine is not None
    event = strictly(check_event, body.get("event"), "body/event", router.agent_ids,
                     set(router.groups))
    if event["type"] != "message":
        raise InputError("body/event/type", "only a `message` event is decided as a what-if")
    if "state" in body:
        state = router.state(strictly(check_snapshot, body["state"], "body/state",
                                      router.agent_ids, router.channel_ids))
    elif engine.state is not None:
        state = engine.shop  # read only: Router.decide does not change the state
    else:
        state = router.state({"at": event["at"]})
    decision = router.decide(state, event, trace=True)
    return JSONResponse({"shop": shop.name, "what_if": True, "live_state": "state" not in body,
                         **decision.to_dict(level)}), 0


# -- reading the log -----------------------------------------------------------------------
def _at(request: Request) -> float | None:
    text = request.query_params.get("at")
    if text is None:
        return None
    try:
        return parse_instant(text)
    except TimeError as err:
        raise InputError("query/at", str(err)) from None


def _lang(request: Request) -> str:
    """`?lang=`: the language of the text answers (en, zh-Hans, zh-Hant); default en."""
    try:
        return choose(request.query_params.get("lang") or "en")
    except ValueError as err:
        raise InputError("query/lang", str(err)) from None


def _format(request: Request) -> str:
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "text"):
        raise InputError("query/format", f"{fmt!r} is not one of json, text")
    return fmt


async def _explain(request: Request) -> tuple[Response, int]:
    shop = _shop(request)
    buyer = request.path_params["buyer"]
    at, fmt = _at(request), _format(request)
    found = [(seq, r) for seq, r in shop.records()
             if r.get("buyer") == buyer and r["kind"] != "ignored"
             and (at is None or parse_instant(r["at"]) == at)]
    if not found:
        when = f" at {request.query_params['at']}" if at is not None else ""
        raise Refused(problem(404, "buyer", f"buyer {buyer!r} has no routing record{when} "
                                            f"in the log of {shop.name}"))
    if fmt == "text":
        lang = _lang(request)
        return PlainTextResponse("\n".join(record_text(r, "fails", lang) for _, r in found)), 0
    used = {r["policy"] for _, r in found}
    revisions = [v.to_dict() for v in shop.revisions if v.policy in used]
    return JSONResponse({"shop": shop.name, "buyer": buyer, "revisions": revisions,
                         "records": [dict(r, seq=seq) for seq, r in found]}), 0


async def _why_not(request: Request) -> tuple[Response, int]:
    shop = _shop(request)
    agent = request.path_params["agent"]
    at, fmt = _at(request), _format(request)
    engine, policy = (shop.engine, shop.router.policy_hash if shop.router else None) \
        if at is None else shop.engine_at(at)
    if engine is None or engine.state is None:
        raise Refused(problem(404, "query/at", f"the log of {shop.name} has no event "
                                               + ("yet" if at is None else "by then")))
    lang = _lang(request)
    causes = render_causes(why_not(engine.router, engine.shop, agent), lang)
    if fmt == "text":
        return PlainTextResponse(why_not_text(agent, causes, lang, None,
                                              engine.router.display_names.get(agent))), 0
    recent = [dict(r, seq=seq) for seq, r in shop.records() if r.get("agent") == agent][-5:]
    return JSONResponse({"shop": shop.name, "agent": agent, "policy": policy,
                         "at": format_instant(engine.shop.at, engine.router.tz),
                         "receives_chats": not causes,
                         "causes": causes, "recent_records": recent}), 0


# -- policy -------------------------------------------------------------------------------
async def _put_policy(request: Request) -> tuple[Response, int]:
    shop = _shop(request)
    raw = await _body(request)
    shown = f"uploaded/{shop.name}.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / shown
        path.parent.mkdir()
        path.write_bytes(raw)
        # A policy's hash and spans name its file as shown from the working directory, so
        # the upload is compiled from inside the temporary folder: the same text uploaded to
        # any instance gets the same hash and names `uploaded/SHOP.yaml`, never a temp path.
        # (Compiling is synchronous: nothing else runs on the event loop meanwhile.)
        with contextlib.chdir(tmp):
            result = compile_file(Path(shown))
    diagnostics = [render.as_dict(d) for d in result.diagnostics]
    if result.artifact is None or any(d.severity == Severity.ERROR for d in result.diagnostics):
        return JSONResponse({"diagnostics": diagnostics}, status_code=422), 0
    router = Router(result.artifact)
    named = router.artifact["shop"]["id"]
    if named != shop.name:
        raise InputError(f"{shown}/shop/id", f"the policy is for shop {named!r}, "
                                             f"not {shop.name!r}")
    previous = shop.router.policy_hash if shop.router else None
    entry = shop.switch(router, "upload")
    return JSONResponse({"shop": shop.name, "policy": router.policy_hash, "previous": previous,
                         "seq": entry.seq, "diagnostics": diagnostics}), 0


async def _get_policy(request: Request) -> tuple[Response, int]:
    shop = _shop(request)
    assert shop.router is not None
    return JSONResponse({"shop": shop.name, "policy": shop.router.policy_hash,
                         "revisions": [v.to_dict() for v in shop.revisions]}), 0


# -- service --------------------------------------------------------------------------------
async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    service = _service(request)
    owned = sorted(service.leases.owned) if service.leases else []
    return JSONResponse({"ready": service.ready, "owned": owned, "shops": sorted(service.shops)},
                        status_code=200 if service.ready else 503)


async def metrics(request: Request) -> Response:
    service = _service(request)
    owned = service.leases.owned if service.leases else set()
    text = service.metrics.render(s for n, s in service.shops.items() if n in owned)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


async def openapi(request: Request) -> Response:
    return JSONResponse(describe())


def _route(path: str, handler: Any, method: str, name: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return await guarded(request, handler, name)
    return Route(path, endpoint, methods=[method], name=name)


SHOP = "/v1/shops/{shop}"
ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/ready", ready, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    _route(f"{SHOP}/events", _events, "POST", "events"),
    _route(f"{SHOP}/decide", _decide, "POST", "decide"),
    _route(f"{SHOP}/buyers/{{buyer}}/explain", _explain, "GET", "explain"),
    _route(f"{SHOP}/agents/{{agent}}/why-not", _why_not, "GET", "why_not"),
    _route(f"{SHOP}/policy", _put_policy, "PUT", "put_policy"),
    _route(f"{SHOP}/policy", _get_policy, "GET", "get_policy"),
]


def error_handlers() -> dict[Any, Any]:
    """Unknown paths and methods, and anything unforeseen, answer in JSON too."""
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return problem(exc.status_code, "path", f"{request.method} {request.url.path}: "
                                                f"{exc.detail}")

    async def unforeseen(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "internal", "where": "service",
                             "message": f"{type(exc).__name__}: {exc}"}, status_code=500)

    return {HTTPException: http_error, Exception: unforeseen}
