"""`policyc serve` end to end: a real uvicorn process on a loopback port, driven over HTTP."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from policyc.api import load
from policyc.compiler import render
from policyc.runtime.clock import parse_instant
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router
from policyc.serve.local import call, free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
SHOPEE = Path("policies/shopee.yaml")  # relative to ROOT: spans and hashes name the file so
TAOBAO = Path("policies/taobao.yaml")
SHOP = "shopee-demo-tw"
TOKENS = {"shop": "shopee-token-0123456789", "other": "taobao-token-0123456789",
          "admin": "admin-token-0123456789ab"}
LOG = [json.loads(line) for line in
       (ROOT / "policies" / "logs" / "shopee-day.jsonl").read_text().splitlines() if line]


class Server:
    """One `policyc serve` subprocess and the way to talk to it."""

    def __init__(self, tmp: Path, *extra: str) -> None:
        (tmp / "tokens").write_text(f"{SHOP} {TOKENS['shop']}\ntaobao-demo-hz {TOKENS['other']}\n"
                                    f"* {TOKENS['admin']}\n")
        self.port = free_port()
        self.stderr = (tmp / "serve.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policyc", "serve", str(SHOPEE), str(TAOBAO),
             "--port", str(self.port), "--store", f"sqlite:{tmp / 'store.sqlite'}",
             "--tokens", str(tmp / "tokens"), "--max-body", "20000", *extra],
            stdout=self.stderr, stderr=self.stderr, cwd=ROOT)
        wait_ready(self.port, timeout=60)

    def req(self, method: str, path: str, body: Any = None, token: str | None = "shop",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        head = dict(headers or {})
        if token is not None:
            head["Authorization"] = f"Bearer {TOKENS.get(token, token)}"
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        return call(self.port, method, path, body, head)

    def events(self, events: list[dict[str, Any]], key: str | None = None) -> Any:
        text = "".join(json.dumps(e) + "\n" for e in events)
        head = {"Content-Type": "application/x-ndjson"}
        if key:
            head["Idempotency-Key"] = key
        status, _, body = self.req("POST", f"/v1/shops/{SHOP}/events", text, headers=head)
        assert status == 200, body
        return body

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.stderr.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("serve"), "--tick", "0")
    yield s
    s.stop()


def shopee() -> Router:
    with contextlib.chdir(ROOT):
        return load(SHOPEE)


def simulate(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    engine = Engine(shopee(), trace="fails")
    return [r for e in events for r in engine.feed(e)]


def test_events_in_records_out_equal_a_simulate(server: Server) -> None:
    first = server.events(LOG[:30], key="batch-1")
    one = server.events([LOG[30]])  # one event as JSON Lines of one line
    status, _, single = server.req("POST", f"/v1/shops/{SHOP}/events", LOG[31])  # plain JSON
    assert status == 200
    got = first["records"] + one["records"] + single["records"]
    assert got == simulate(LOG[:32])
    assert first["events"] == 30 and first["policy"] == shopee().policy_hash
    assert first["seq"] < one["seq"] < single["seq"]
    # A retry with the same Idempotency-Key answers the first reply and feeds nothing again.
    again = server.events(LOG[:30], key="batch-1")
    assert again["replayed"] and again["records"] == first["records"]
    nxt = server.events(LOG[32:40])
    assert first["records"] + one["records"] + single["records"] + nxt["records"] == \
        simulate(LOG[:40])


def test_what_if_decides_and_changes_nothing(server: Server) -> None:
    status, _, state = server.req("GET", f"/v1/shops/{SHOP}/policy")
    seq_before = len(state["revisions"])
    at = LOG[39]["at"]
    event = {"type": "message", "at": LOG[39]["at"], "buyer": "what-if-buyer",
             "source": "product_page"}
    status, _, live = server.req("POST", f"/v1/shops/{SHOP}/decide", {"event": event})
    assert status == 200 and live["what_if"] and live["live_state"]
    assert live["outcome"] in ("assigned", "staged", "queued", "main_account") and live["trace"]
    given = {"at": at, "agents": [{"id": "chrissy", "status": "online"}]}
    status, _, what = server.req("POST", f"/v1/shops/{SHOP}/decide",
                                 {"event": event, "state": given, "level": "summary"})
    assert status == 200 and what["outcome"] == "assigned" and what["agent"] == "chrissy"
    status = server.req("GET", f"/v1/shops/{SHOP}/buyers/what-if-buyer/explain")[0]
    assert status == 404  # nothing of the what-if reached the log
    assert len(server.req("GET", f"/v1/shops/{SHOP}/policy")[2]["revisions"]) == seq_before
    status, _, bad = server.req("POST", f"/v1/shops/{SHOP}/decide", {"event": event, "stat": 1})
    assert status == 400 and bad["where"] == "body/stat"
    # the live shop goes on as if no what-if had been asked
    assert server.events(LOG[40:42])["records"] == simulate(LOG[:42])[len(simulate(LOG[:40])):]


def test_explain_and_why_not_read_the_log(server: Server) -> None:
    buyer = next(e["buyer"] for e in LOG[:40] if e["type"] == "message")
    status, _, got = server.req("GET", f"/v1/shops/{SHOP}/buyers/{buyer}/explain")
    assert status == 200 and got["records"]
    expected = [r for r in simulate(LOG[:42]) if r.get("buyer") == buyer and
                r["kind"] != "ignored"]
    assert [dict(r, seq=None) for r in got["records"]] == [dict(r, seq=None) for r in expected]
    assert {r["policy"] for r in got["records"]} <= {v["policy"] for v in got["revisions"]}
    status, _, text = server.req("GET", f"/v1/shops/{SHOP}/buyers/{buyer}/explain?format=text")
    assert status == 200 and f"buyer {buyer}" in text
    at = got["records"][0]["at"]
    status, _, one = server.req(
        "GET", f"/v1/shops/{SHOP}/buyers/{buyer}/explain?at={at.replace('+', '%2B')}")
    assert status == 200 and all(r["at"] == at for r in one["records"])
    status, _, why = server.req("GET", f"/v1/shops/{SHOP}/agents/chrissy/why-not")
    assert status == 200 and why["policy"] == shopee().policy_hash
    assert isinstance(why["causes"], list) and why["at"] == LOG[41]["at"]
    past = LOG[5]["at"].replace("+", "%2B")
    status, _, then = server.req("GET", f"/v1/shops/{SHOP}/agents/chrissy/why-not?at={past}")
    assert status == 200 and parse_instant(then["at"]) <= parse_instant(LOG[5]["at"])
    status, _, bad = server.req("GET", f"/v1/shops/{SHOP}/agents/chrissy/why-not?at=noon")
    assert status == 400 and bad["where"] == "query/at"


def test_policy_upload_refused_then_switched(server: Server) -> None:
    broken = (ROOT / SHOPEE).read_text().replace("route:", "route:\n  - {step: nowhere}", 1)
    status, _, refused = server.req("PUT", f"/v1/shops/{SHOP}/policy", broken)
    assert status == 422 and refused["diagnostics"]
    check_shape = json.loads(render.to_json([]))  # `policyc check --format json`
    assert set(refused) == set(check_shape)
    keys = {"code", "severity", "message", "file", "line", "col", "end_line", "end_col", "hint"}
    assert all(set(d) == keys for d in refused["diagnostics"])
    assert all(d["file"] == f"uploaded/{SHOP}.yaml" for d in refused["diagnostics"])
    assert any(d["severity"] == "error" for d in refused["diagnostics"])
    old = shopee().policy_hash
    changed = (ROOT / SHOPEE).read_text() + "\n# revision 2\n"
    status, _, switched = server.req("PUT", f"/v1/shops/{SHOP}/policy", changed)
    assert status == 200 and switched["previous"] == old and switched["policy"] != old
    after = server.events(LOG[42:50])
    assert {r["policy"] for r in after["records"]} == {switched["policy"]}
    buyer = next(e["buyer"] for e in LOG[:40] if e["type"] == "message")
    status, _, got = server.req("GET", f"/v1/shops/{SHOP}/buyers/{buyer}/explain")
    assert status == 200, got
    assert got["records"][0]["policy"] == old  # the old revision stays explainable
    status, _, history = server.req("GET", f"/v1/shops/{SHOP}/policy")
    assert [v["policy"] for v in history["revisions"]][-2:] == [old, switched["policy"]]
    other = changed.replace("id: shopee-demo-tw", "id: someone-else")
    status, _, wrong = server.req("PUT", f"/v1/shops/{SHOP}/policy", other)
    assert status == 400 and "someone-else" in wrong["message"]


def test_tokens_scoped_per_shop(server: Server) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    assert server.req("GET", path, token=None)[0] == 401
    assert server.req("GET", path, token="not-a-known-token-at-all")[0] == 401
    status, _, body = server.req("GET", path, token="other")
    assert status == 403 and "shopee-demo-tw" in body["message"]
    assert server.req("GET", path, token="admin")[0] == 200
    assert server.req("GET", "/v1/shops/taobao-demo-hz/policy", token="other")[0] == 200
    assert server.req("GET", "/v1/shops/nowhere/policy", token="admin")[0] == 404
    for open_path in ("/health", "/metrics", "/openapi.json"):
        assert server.req("GET", open_path, token=None)[0] == 200
    log = Path(server.stderr.name).read_text()
    assert all(token not in log for token in TOKENS.values())


def test_bad_bodies_get_located_4xx(server: Server) -> None:
    path = f"/v1/shops/{SHOP}/events"
    jsonl = {"Content-Type": "application/x-ndjson"}
    status, _, big = server.req("POST", path, "x" * 30000)
    assert status == 413 and big["where"] == "body" and "20000" in big["message"]
    status, _, bad = server.req("POST", path, '{"type": "tick",', headers={})
    assert status == 400 and bad["where"].startswith("body:1:") and "not JSON" in bad["message"]
    lines = json.dumps(LOG[60]) + "\n" + json.dumps(dict(LOG[61], type="mesage")) + "\n"
    status, _, bad = server.req("POST", path, lines, headers=jsonl)
    assert status == 400 and bad["where"] == "body:2/type" and "mesage" in bad["message"]
    status, _, bad = server.req("POST", path, [LOG[60], {"type": "read", "at": LOG[60]["at"]}])
    assert status == 400 and bad["where"] == "body/1/agent"
    status, _, bad = server.req("POST", path, dict(LOG[0]))
    assert status == 400 and bad["where"] == "body/at" and "earlier" in bad["message"]
    status, _, bad = server.req("POST", path, b"\xff\xfe", headers={})
    assert status == 400 and "UTF-8" in bad["message"]
    status, _, bad = server.req("POST", path, "", headers=jsonl)
    assert status == 400 and bad["where"] == "body"
    status, _, bad = server.req("DELETE", path)
    assert status == 405 and bad["error"]
    # none of it reached the log
    status, _, history = server.req("GET", f"/v1/shops/{SHOP}/agents/chrissy/why-not")
    assert parse_instant(history["at"]) < parse_instant(LOG[60]["at"])


def test_metrics_and_openapi(server: Server) -> None:
    status, head, text = server.req("GET", "/metrics", token=None)
    assert status == 200 and head["content-type"].startswith("text/plain")
    assert f'policyc_decisions_total{{shop="{SHOP}",outcome=' in text
    assert 'policyc_event_latency_seconds_bucket{le="+Inf"}' in text
    for place in ("queue", "staging", "waiting", "pool"):
        assert f'policyc_waiting{{shop="{SHOP}",place="{place}"}}' in text
    assert f'policyc_replay_mismatches{{shop="{SHOP}"}} 0' in text
    status, _, spec = server.req("GET", "/openapi.json", token=None)
    assert spec["openapi"].startswith("3.") and "/v1/shops/{shop}/events" in spec["paths"]
    assert set(spec["paths"]["/v1/shops/{shop}/policy"]) == {"put", "get"}


def test_the_service_clock_moves_time_with_no_event(tmp_path: Path) -> None:
    s = Server(tmp_path, "--tick", "0.2", "--clock-lag", "0")
    try:
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 1))
        first = {"type": "agent_status", "at": stamp, "agent": "chrissy", "status": "online"}
        assert s.req("POST", f"/v1/shops/{SHOP}/events", first)[0] == 200
        time.sleep(1.0)
        status, _, why = s.req("GET", f"/v1/shops/{SHOP}/agents/chrissy/why-not")
        assert parse_instant(why["at"]) > parse_instant(stamp) + 0.5  # clock ticks went in
        status, _, late = s.req("POST", f"/v1/shops/{SHOP}/events", dict(first, status="busy"))
        assert status == 400 and "earlier than the shop's time" in late["message"]
    finally:
        s.stop()


def test_unusable_start_up_input_stops_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from policyc.cli import main
    from policyc.serve.stores.sqlite import SqliteStore

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("POLICYC_TOKENS", raising=False)
    store = f"sqlite:{tmp_path / 'store.sqlite'}"
    assert main(["serve", str(SHOPEE), "--store", store]) == 2
    assert "no tokens" in capsys.readouterr().err
    (tmp_path / "tokens").write_text("shopee-demo-tw short\n")
    assert main(["serve", str(SHOPEE), "--tokens", str(tmp_path / "tokens")]) == 2
    err = capsys.readouterr().err
    assert "tokens:1: the token for shopee-demo-tw is shorter" in err and "short\n" not in err
    monkeypatch.setenv("POLICYC_TOKENS", f"* {TOKENS['admin']}")
    assert main(["serve", str(SHOPEE), str(SHOPEE), "--store", store]) == 2
    assert "already served by" in capsys.readouterr().err
    held = SqliteStore(str(tmp_path / "store.sqlite"), "test", "")
    try:
        assert main(["serve", str(SHOPEE), "--store", store]) == 2
        assert "another policyc serve uses this store" in capsys.readouterr().err
    finally:
        held.close()
    assert main(["serve", str(SHOPEE), "--store", "mysql://x"]) == 2
    assert "neither sqlite:PATH nor redis://" in capsys.readouterr().err


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.text(max_size=12),
                    st.sampled_from(["2026-11-23T10:00:00+08:00", "2030-01-01T00:00:00Z",
                                     "2026-11-23T10:00:00", "online", "product_page", "tb-1"]),
                    st.lists(st.text(max_size=4), max_size=3), st.dictionaries(
                        st.text(max_size=4), st.integers(), max_size=2))
_KEYS = st.sampled_from(["type", "at", "buyer", "agent", "source", "status", "capacity",
                         "to_agent", "to_group", "group", "member", "order_state", "item_id",
                         "wants_human", "buyer_tags", "intent", "agents", "contacts", "queue",
                         "id", "unread"])
_AT = "2030-01-01T00:00:00+08:00"  # one far instant: every accepted event keeps time order
_AGENTS = st.sampled_from(["a-chen", "d-zhao", "tb-main", "nobody"])
_BUYERS = st.sampled_from(["hb-1", "hb-2", ""])
_VALID = st.one_of(
    st.fixed_dictionaries({"type": st.just("message"), "at": st.just(_AT), "buyer": _BUYERS,
                           "source": st.sampled_from(["product_page", "order_page", "moon"])}),
    st.fixed_dictionaries({"type": st.just("agent_status"), "at": st.just(_AT),
                           "agent": _AGENTS, "status": st.sampled_from(["online", "busy"])}),
    st.fixed_dictionaries({"type": st.sampled_from(["read", "reply", "close", "pick"]),
                           "at": st.just(_AT), "agent": _AGENTS, "buyer": _BUYERS}),
    st.fixed_dictionaries({"type": st.just("transfer"), "at": st.just(_AT), "agent": _AGENTS,
                           "buyer": _BUYERS, "to_group": st.sampled_from(["presale", "x"])}),
    st.fixed_dictionaries({"type": st.just("set_capacity"), "at": st.just(_AT),
                           "agent": _AGENTS, "capacity": st.integers(-1, 5)}),
    st.fixed_dictionaries({"type": st.just("tick"), "at": st.just(_AT)}))
# A valid event, sometimes with one key overwritten by anything or taken away.
_EVENTS = st.builds(lambda base, key, value, drop: (
    {k: v for k, v in base.items() if k != key} if drop else
    base if key is None else {**base, key: value}),
    _VALID, st.one_of(st.none(), _KEYS), _VALUES, st.booleans())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=_EVENTS, jsonl=st.booleans(), state=st.one_of(
    st.none(), st.dictionaries(_KEYS, _VALUES, max_size=5),
    st.fixed_dictionaries({"at": st.just(_AT), "agents": st.lists(st.fixed_dictionaries(
        {"id": _AGENTS, "status": st.sampled_from(["online", "away"]),
         "unread": _VALUES}), max_size=2)})))
def test_no_body_gets_a_500(server: Server, event: dict[str, Any],
                            state: dict[str, Any] | None, jsonl: bool) -> None:
    shop = "/v1/shops/taobao-demo-hz"
    head = {"Content-Type": "application/x-ndjson"} if jsonl else {}
    status, _, body = server.req("POST", f"{shop}/events", json.dumps(event), token="other",
                                 headers=head)
    assert status in (200, 400), body
    note(f"events {status}")
    what_if: dict[str, Any] = {"event": event} if state is None else {"event": event,
                                                                      "state": state}
    status, _, body = server.req("POST", f"{shop}/decide", what_if, token="other")
    assert status in (200, 400), body
    note(f"decide {status}")
    if status == 400:
        assert body["where"].startswith("body") and body["message"]
