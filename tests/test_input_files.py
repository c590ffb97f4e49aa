"""Issue 14, input files: every file a command reads is bounded, regular, and never crashes it.

Each crash of the issue is a named test through the CLI (a located message,
exit 2, no traceback): huge numbers, deep JSON, out-of-range years, snapshot
values out of the policy's ranges, malformed waiting chats, line separators in
JSON strings, form feeds, capacity 0. Then the files themselves: FIFOs, devices
and folders are refused before a byte is read, caps hold, and a log is streamed
(a bad first line is reported while the writer still holds the pipe open).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.cli import main
from policyc.runtime import source_files

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "shopee.yaml"
STATE_FILE = ROOT / "policies" / "examples" / "shopee-state.json"
EVENT_FILE = ROOT / "policies" / "examples" / "shopee-event.json"
STATE = json.loads(STATE_FILE.read_text(encoding="utf-8"))
TICK = '{"type": "tick", "at": "2026-11-23T09:00:00+08:00"}'


def refused(capsys: pytest.CaptureFixture[str], status: int, *parts: str) -> str:
    out, err = capsys.readouterr()
    assert (status, out) == (2, ""), err
    assert "Traceback" not in err
    for part in parts:
        assert part in err, err
    return err


def simulate(tmp_path: Path, text: str, policy: Path = POLICY) -> int:
    log = tmp_path / "log.jsonl"
    log.write_text(text, encoding="utf-8")
    return main(["simulate", str(policy), "--log", str(log)])


def explain_state(tmp_path: Path, state: object, policy: Path = POLICY) -> int:
    path = tmp_path / "state.json"
    path.write_text(state if isinstance(state, str) else json.dumps(state), encoding="utf-8")
    return main(["explain", str(policy), "--state", str(path), "--event", str(EVENT_FILE)])


# -- numbers, nesting, years -----------------------------------------------------------

def test_a_5000_digit_number_in_a_log_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    line = ('{"type": "set_capacity", "at": "2026-11-23T09:00:01+08:00", "agent": "elly", '
            '"capacity": ' + "9" * 5000 + "}")
    refused(capsys, simulate(tmp_path, f"{TICK}\n{line}\n"),
            "log.jsonl:2: not JSON this reader accepts: a number with too many digits")


def test_100k_deep_json_in_a_log_line_and_a_state(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    refused(capsys, simulate(tmp_path, f"{TICK}\n{deep}\n"), "log.jsonl:2: ", "nested too deeply")
    refused(capsys, explain_state(tmp_path, deep), "state.json: ", "nested too deeply")


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_years_beyond_the_bounds_in_simulate(at: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    status = simulate(tmp_path, json.dumps({"type": "tick", "at": at}) + "\n")
    refused(capsys, status, f"log.jsonl:1: at: '{at}': the year is outside 1900-2999")


def test_nan_and_repeated_keys_are_not_json_we_accept(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    refused(capsys, explain_state(tmp_path, '{"at": NaN}'), "NaN is not a JSON number")
    refused(capsys, explain_state(tmp_path, '{"at": "2026-11-23T09:00:00+08:00", "at": 1}'),
            "key `at` is given twice")


# -- snapshot values within the policy's ranges ------------------------------------------

def _weighted(tmp_path: Path) -> Path:
    policy = tmp_path / "weighted.yaml"
    policy.write_text(POLICY.read_text(encoding="utf-8").replace(
        "strategy: fewest_unread", "strategy: weighted"), encoding="utf-8")
    return policy


@pytest.mark.parametrize(("override", "message"), [
    ({"score": 10 ** 400}, "agents/1/score: expected a whole number from 0 to 100"),
    ({"score": 101}, "agents/1/score: expected a whole number from 0 to 100"),
    ({"capacity": 0}, "agents/1/capacity: expected a whole number from 1 to 10000"),
    ({"capacity": 10_001}, "agents/1/capacity: expected a whole number from 1 to 10000"),
    ({"unread": -1}, "agents/1/unread: expected a whole number from 0 to 1000000"),
    ({"role": "boss"}, "agents/1/role: 'boss' is not one of main, admin, agent"),
    ({"created_at": "2026-11-23"}, "agents/1/created_at: '2026-11-23' has no UTC offset"),
])
def test_snapshot_roster_overrides_are_range_checked_with_the_weighted_strategy(
        override: dict[str, object], message: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    state = copy.deepcopy(STATE)
    state["agents"][1].update(override)
    refused(capsys, explain_state(tmp_path, state, _weighted(tmp_path)), message)


@pytest.mark.parametrize("place", ["queue", "staging", "pool"])
@pytest.mark.parametrize(("entries", "message"), [
    ([{}], "/0/buyer: a waiting chat lacks `buyer`"),
    ([1], "/0: a waiting chat is a JSON object, found a number"),
    ([{"buyer": "b1"}, {"buyer": "b1"}], "/1/buyer: buyer 'b1' already waits in"),
    ([{"buyer": "b1", "since": "x"}], "/0/since: unknown key `since` in a waiting chat"),
])
def test_malformed_waiting_chats_in_a_snapshot(place: str, entries: list[object], message: str,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    state = dict(STATE, **{place: entries})
    refused(capsys, explain_state(tmp_path, state), f"state.json/{place}{message}")


def test_one_buyer_waiting_in_two_places(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    state = dict(STATE, queue=[{"buyer": "b1"}], pool=[{"buyer": "b1"}])
    refused(capsys, explain_state(tmp_path, state),
            "state.json/pool/0/buyer: buyer 'b1' already waits in queue")


@pytest.mark.parametrize("capacity", [0, 10_001, -1, 2.5, "3"])
def test_events_set_capacity_only_within_the_policy_range(
        capacity: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = json.dumps({"type": "set_capacity", "at": "2026-11-23T09:00:01+08:00",
                       "agent": "elly", "capacity": capacity})
    refused(capsys, simulate(tmp_path, f"{TICK}\n{line}\n"),
            "log.jsonl:2: capacity: expected a whole number from 1 to 10000")


# -- JSON Lines are split on \n only ----------------------------------------------------------

@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x1c", "\x1d", "\x1e"])
def test_line_separators_inside_json_strings_keep_a_log_valid(
        separator: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = json.dumps({"type": "message", "at": "2026-11-23T09:00:02+08:00",
                          "buyer": f"b{separator}1", "source": "order_page"},
                         ensure_ascii=False)
    bad = '{"type": "wave", "at": "2026-11-23T09:00:03+08:00"}'
    assert simulate(tmp_path, f"{TICK}\n{message}\n") == 0
    capsys.readouterr()
    # and the lines after it keep their numbers
    refused(capsys, simulate(tmp_path, f"{TICK}\n{message}\n{bad}\n"), "log.jsonl:3: type: ")


def test_a_form_feed_does_not_shift_line_numbers(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = '{"type": "wave", "at": "2026-11-23T09:00:03+08:00"}'
    refused(capsys, simulate(tmp_path, f"{TICK}\f\n{TICK}\n"), "log.jsonl:1: not JSON")
    refused(capsys, simulate(tmp_path, f"{TICK}\n\n{TICK}\n{bad}\n"), "log.jsonl:4: type: ")


def test_a_log_with_a_line_separator_journals_and_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = json.dumps({"type": "message", "at": "2026-11-23T09:00:02+08:00",
                          "buyer": "b\u20281", "source": "order_page"}, ensure_ascii=False)
    log = tmp_path / "log.jsonl"
    log.write_text(f"{TICK}\n\n{message}\n", encoding="utf-8")
    out = tmp_path / "records.jsonl"
    assert main(["simulate", str(POLICY), "--log", str(log), "-o", str(out)]) == 0
    assert main(["simulate", str(POLICY), "--log", str(log), "-o", str(out), "--resume"]) == 0
    capsys.readouterr()
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    assert [r["buyer"] for r in records if "buyer" in r] == ["b\u20281"]


# -- the files themselves --------------------------------------------------------------

@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", [
    ["explain", str(POLICY), "--state", "{x}", "--event", str(EVENT_FILE)],
    ["explain", str(POLICY), "--state", str(STATE_FILE), "--event", "{x}"],
    ["explain", str(POLICY), "--log", "{x}", "--buyer", "b"],
    ["why-not", str(POLICY), "--state", "{x}", "--agent", "elly"],
    ["simulate", str(POLICY), "--log", "{x}"],
    ["graph", str(POLICY), "--state", "{x}", "--event", str(EVENT_FILE)],
    ["check", "{x}"],
    ["fmt", "--check", "{x}"],
    ["graph", "{x}"],
], ids=["state", "event", "explain-log", "why-not", "simulate-log", "graph-state", "policy",
        "fmt", "graph-policy"])
@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_fifos_devices_and_folders_are_refused_not_read(
        command: list[str], kind: str, request: pytest.FixtureRequest, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = {"fifo": lambda: request.getfixturevalue("fifo"), "device": lambda: Path("/dev/zero"),
            "folder": lambda: tmp_path}[kind]()
    if not path.exists():
        pytest.skip(f"no {path}")
    if kind == "folder" and (command[0] in ("check", "fmt") or command[0:3:2] == ["simulate",
                                                                                    "--log"]):
        pytest.skip(f"a folder is where `{command[0]}` looks for its files")
    status = main([part.replace("{x}", str(path)) for part in command])
    out, err = capsys.readouterr()
    what = {"fifo": "a pipe (FIFO)", "device": "a character device", "folder": "a folder"}[kind]
    assert status == 2, out + err
    assert "Traceback" not in err
    assert what in out + err or "not a regular file" in out + err, out + err


def test_an_artifact_fifo_is_refused(fifo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = fifo.with_suffix(".json")
    os.mkfifo(link)
    status = main(["simulate", str(link), "--log", str(ROOT / "policies/logs/shopee-day.jsonl")])
    refused(capsys, status, "not a regular file")


@pytest.mark.parametrize(("kind", "cap"), [("state", 64), ("log", 64)])
def test_files_beyond_their_cap_are_refused_before_reading(
        kind: str, cap: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(source_files.CAPS, kind, cap)
    if kind == "state":
        status = explain_state(tmp_path, STATE)
    else:
        status = simulate(tmp_path, f"{TICK}\n{TICK}\n")
    refused(capsys, status, f"a {kind} file is at most {cap} bytes")


def test_a_log_line_beyond_the_line_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(source_files, "LINE_CAP", 40)
    refused(capsys, simulate(tmp_path, f"{TICK}\n"), "log.jsonl:1: a line of more than")


def test_a_log_on_standard_input_is_streamed(tmp_path: Path) -> None:
    """A bad first line is reported while the writer still holds the pipe open."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with subprocess.Popen([sys.executable, "-m", "policyc", "simulate", str(POLICY),
                           "--log", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdin is not None
        proc.stdin.write(b'{"type": "tick", "at": "2026-11-23T09:00:00+08:00", "tock": 1}\n')
        proc.stdin.flush()
        try:
            status = proc.wait(timeout=60)
        finally:
            proc.stdin.close()
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
    assert status == 2 and "<stdin>:1: tock: unknown key `tock`" in err, err


def test_a_policy_naming_a_year_the_clock_refuses_is_an_error_not_a_crash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = POLICY.read_text(encoding="utf-8").replace("2023-01-05T10:00:00+08:00",
                                                      "0001-01-01T00:00:00+14:00")
    policy = tmp_path / "old.yaml"
    policy.write_text(text, encoding="utf-8")
    assert main(["check", str(policy)]) == 1
    assert "error[E123]: '0001-01-01T00:00:00+14:00': the year is outside 1900-2999" in \
        capsys.readouterr().out
    artifact = tmp_path / "shopee.json"
    assert main(["compile", str(POLICY), "-o", str(artifact)]) == 0
    artifact.write_text(artifact.read_text(encoding="utf-8").replace(
        "2023-01-05T10:00:00+08:00", "0001-01-01T00:00:00+14:00"), encoding="utf-8")
    capsys.readouterr()
    log = ROOT / "policies" / "logs" / "shopee-day.jsonl"
    status = main(["simulate", str(artifact), "--log", str(log)])
    refused(capsys, status, "shopee.json/agents/0/created_at: '0001-01-01T00:00:00+14:00': "
                            "the year is outside 1900-2999")
