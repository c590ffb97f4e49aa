"""The decision log as the record of truth (policyc/decision_log.py): `explain --decisions`
and `why-not --decisions` answer from what `simulate -o` recorded, through an index, with the
policy revision that made each record; a replay with another policy is refused or compared."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from test_explain_log import BUYERS

from policyc.cli import main
from policyc.decision_log import index_path, revisions_dir

ROOT = Path(__file__).resolve().parents[1]


def _simulate(policy: Path, log: Path, out: Path, capsys: pytest.CaptureFixture[str],
              trace: str = "fails") -> None:
    assert main(["simulate", str(policy), "--log", str(log), "-o", str(out), "--trace", trace,
                 "--no-journal"]) == 0
    capsys.readouterr()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def decisions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each shipped day simulated once, with its trace at `fails`."""
    folder = tmp_path_factory.mktemp("decisions")
    out: dict[str, Path] = {}
    for name in ("shopee", "youzan", "taobao"):
        target = folder / f"{name}.jsonl"
        assert main(["simulate", str(ROOT / "policies" / f"{name}.yaml"), "--log",
                     str(ROOT / "policies" / "logs" / f"{name}-day.jsonl"), "-o", str(target),
                     "--trace", "full", "--no-journal"]) == 0
        out[name] = target
    return out


@pytest.mark.parametrize(("what", "policy", "buyer", "reason"), BUYERS,
                         ids=[b[0] for b in BUYERS])
def test_explain_decisions_equals_the_replay(what: str, policy: str, buyer: str, reason: str,
                                             decisions: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    replay = ["explain", str(ROOT / "policies" / f"{policy}.yaml"), "--log",
              str(ROOT / "policies" / "logs" / f"{policy}-day.jsonl"), "--buyer", buyer]
    recorded = ["explain", "--decisions", str(decisions[policy]), "--buyer", buyer]
    for extra in ([], ["--format", "json"], ["--level", "summary"], ["--level", "full"]):
        status, want, _ = _run(capsys, *replay, *extra)
        assert status == 0
        assert _run(capsys, *recorded, *extra) == (0, want, "")
    first = json.loads(_run(capsys, *recorded, "--format", "json")[1])["records"][0]["at"]
    assert _run(capsys, *recorded, "--at", first)[1] == _run(capsys, *replay, "--at", first)[1]


@pytest.mark.parametrize("agent", ["chrissy", "elly", "hank", "intern", "shop-main", "nobody"])
def test_why_not_decisions_equals_the_replay(agent: str, decisions: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    for when in ("09:00:00", "09:31:00", "12:00:30", "16:04:00", "23:00:00"):
        at = f"2026-11-23T{when}+08:00"
        status, want, _ = _run(capsys, "why-not", str(ROOT / "policies" / "shopee.yaml"),
                               "--log", str(ROOT / "policies" / "logs" / "shopee-day.jsonl"),
                               "--agent", agent, "--at", at, "--format", "json")
        assert status == 0
        status, got, _ = _run(capsys, "why-not", "--decisions", str(decisions["shopee"]),
                              "--agent", agent, "--at", at, "--format", "json")
        assert status == 0
        answer = json.loads(got)
        jsonschema.validate(answer, json.loads(
            (ROOT / "policyc" / "schemas" / "why-not.schema.json").read_text()))
        assert answer.pop("policy").startswith("sha256:")
        answer.pop("facts")
        replayed = json.loads(want)
        # The replay also counts the picks the agent lost in the log; the index answers
        # for the moment asked about only (README: why-not --decisions).
        replayed.pop("log", None)
        assert answer == replayed, (agent, at)


def test_the_index_is_sqlite_beside_the_log_and_the_revision_is_kept(
        decisions: dict[str, Path]) -> None:
    log = decisions["youzan"]
    kept = list(revisions_dir(log).glob("*.json"))
    assert len(kept) == 1
    assert json.loads(kept[0].read_text())["policy"] == f"sha256:{kept[0].stem}"
    db = sqlite3.connect(index_path(log))
    lines = sum(1 for line in log.read_text().splitlines() if line.strip())
    assert db.execute("SELECT count(*) FROM policies").fetchone()[0] == lines
    assert db.execute("SELECT value FROM meta WHERE key = 'trace'").fetchone()[0] == "full"
    db.close()


# -- policy revisions -------------------------------------------------------------------------

HANK = '{id: hank, created_at: "2024-01-10T09:00:00+08:00"}'
DAY = [
    {"type": "agent_status", "at": "2026-11-23T09:00:00+08:00", "agent": "hank",
     "status": "online"},
    {"type": "message", "at": "2026-11-23T09:01:00+08:00", "buyer": "b1",
     "source": "live_story"},
    {"type": "message", "at": "2026-11-23T09:05:00+08:00", "buyer": "b2",
     "source": "order_page"},
]


@pytest.fixture
def revised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, Path]:
    """(policy file, events, decisions): the decisions made by revision A of the policy
    file, which has since become revision B (hank lost its chat permission)."""
    policy = tmp_path / "shop.yaml"
    text = (ROOT / "policies" / "shopee.yaml").read_text(encoding="utf-8")
    assert HANK in text
    policy.write_text(text, encoding="utf-8")
    log = tmp_path / "day.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in DAY))
    out = tmp_path / "decisions.jsonl"
    _simulate(policy, log, out, capsys)
    policy.write_text(text.replace(HANK, HANK[:-1] + ", chat_permission: false}"),
                      encoding="utf-8")
    return policy, log, out


def test_a_record_is_explained_with_the_revision_that_made_it(
        revised: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    policy, _, out = revised
    (kept,) = revisions_dir(out).glob("*.json")
    made_by = f"sha256:{kept.stem}"
    status, text, _ = _run(capsys, "explain", "--decisions", str(out), "--buyer", "b1")
    assert status == 0
    assert "agent:     hank" in text and f"policy:    {made_by}" in text
    # why-not reads revision A's roster (hank may chat), not the file's B (it may not)
    status, text, _ = _run(capsys, "why-not", "--decisions", str(out), "--agent", "hank",
                           "--at", "2026-11-23T09:02:00+08:00", "--format", "json")
    answer = json.loads(text)
    assert (status, answer["policy"], answer["receives_chats"]) == (0, made_by, True)
    assert answer["facts"]["status"] == "online" and answer["facts"]["open"] == 1
    status, text, _ = _run(capsys, "why-not", str(policy), "--log", str(out.parent / "day.jsonl"),
                           "--agent", "hank", "--at", "2026-11-23T09:02:00+08:00")
    assert "no_chat_permission" in text  # the replay with today's file says otherwise


def test_replaying_with_a_changed_policy_is_refused_naming_both_hashes(
        revised: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    policy, log, out = revised
    (kept,) = revisions_dir(out).glob("*.json")
    status, text, err = _run(capsys, "explain", str(policy), "--log", str(log), "--decisions",
                             str(out), "--buyer", "b1")
    assert (status, text) == (2, "")
    assert f"sha256:{kept.stem}" in err and "--policy-changed ok" in err
    now = [w for w in err.replace(".", " ").split() if w.startswith("sha256:")]
    assert len(set(now)) == 2  # the recorded hash and the file's
    status, _, err = _run(capsys, "why-not", str(policy), "--decisions", str(out), "--agent",
                          "hank")
    assert status == 2 and f"sha256:{kept.stem}" in err


def test_policy_changed_ok_shows_both_outcomes_side_by_side(
        revised: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    policy, log, out = revised
    (kept,) = revisions_dir(out).glob("*.json")
    args = ["explain", str(policy), "--log", str(log), "--decisions", str(out), "--buyer", "b1",
            "--policy-changed", "ok"]
    status, text, _ = _run(capsys, *args)
    assert status == 0
    assert f"recorded by sha256:{kept.stem}" in text
    agent_line = next(line for line in text.splitlines() if " agent " in line)
    assert agent_line.split() == ["*", "agent", "hank", "-"]  # hank may no longer chat
    assert any(line.split()[:2] == ["*", "outcome"] for line in text.splitlines())
    status, text, _ = _run(capsys, *args, "--format", "json")
    both = json.loads(text)
    assert both["recorded"]["policy"] == [f"sha256:{kept.stem}"]
    assert both["replayed"]["policy"] != both["recorded"]["policy"][0]
    assert [r["agent"] for r in both["recorded"]["records"]] == ["hank"]
    assert both["replayed"]["records"][0]["agent"] != "hank"
    status, text, _ = _run(capsys, "why-not", str(policy), "--decisions", str(out), "--agent",
                           "hank", "--policy-changed", "ok", "--format", "json")
    answer = json.loads(text)
    assert answer["recorded"]["causes"] == []
    assert [c["cause"] for c in answer["given"]["causes"]] == ["no_chat_permission"]


def test_the_same_policy_with_decisions_answers_from_the_records(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "day.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in DAY))
    out = tmp_path / "d.jsonl"
    policy = ROOT / "policies" / "shopee.yaml"
    _simulate(policy, log, out, capsys)
    status, text, _ = _run(capsys, "explain", str(policy), "--log", str(log), "--decisions",
                           str(out), "--buyer", "b1")
    assert status == 0
    assert text == _run(capsys, "explain", "--decisions", str(out), "--buyer", "b1")[1]


# -- unusable decision logs -------------------------------------------------------------------

def test_a_stale_index_is_rebuilt_and_said_so(revised: tuple[Path, Path, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, _, out = revised
    index_path(out).unlink()
    status, text, err = _run(capsys, "explain", "--decisions", str(out), "--buyer", "b2")
    assert status == 0 and "indexed" in err and "buyer b2" in text
    assert _run(capsys, "explain", "--decisions", str(out), "--buyer", "b2")[2] == ""


def test_bad_decision_logs_exit_2_with_the_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.jsonl"
    status, _, err = _run(capsys, "explain", "--decisions", str(missing), "--buyer", "b1")
    assert status == 2 and "no such file" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "route", "at": "2026-11-23T09:00:00+08:00", "buyer": "b1"}\n'
                   "{not json\n")
    status, _, err = _run(capsys, "explain", "--decisions", str(bad), "--buyer", "b1")
    assert status == 2 and "bad.jsonl:2" in err and "Traceback" not in err
    status, _, err = _run(capsys, "why-not", "--decisions", str(bad.with_name("x.jsonl")),
                          "--agent", "a")
    assert status == 2
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"kind": "route", "at": "2026-11-23T09:00:00+08:00", "facts": 7}\n')
    status, _, err = _run(capsys, "why-not", "--decisions", str(odd), "--agent", "a")
    assert status == 2 and "odd.jsonl:1: facts" in err
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    status, _, err = _run(capsys, "explain", "--decisions", str(fifo), "--buyer", "b1")
    assert status == 2 and "not a regular file" in err


def test_a_buyer_without_records_exits_1_and_a_missing_revision_2(
        revised: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, _, out = revised
    status, _, err = _run(capsys, "explain", "--decisions", str(out), "--buyer", "nobody")
    assert status == 1 and "no routing record" in err
    for kept in revisions_dir(out).glob("*.json"):
        kept.unlink()
    status, _, err = _run(capsys, "why-not", "--decisions", str(out), "--agent", "hank")
    assert status == 2 and "is not kept" in err


@pytest.mark.parametrize("args", [
    ["explain", "--decisions", "d.jsonl"],  # no buyer
    ["explain", "policies/shopee.yaml", "--decisions", "d.jsonl", "--buyer", "b"],  # no --log
    ["why-not", "--decisions", "d.jsonl", "--agent", "a", "--state", "s.json"],
    ["explain", "--log", "l.jsonl", "--buyer", "b"],  # a replay needs a policy
], ids=["no buyer", "policy without log", "decisions and state", "replay without policy"])
def test_bad_argument_mixes_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, *args)
    assert status == 2 and "Traceback" not in err


def test_a_broken_index_is_exit_2_naming_it(revised: tuple[Path, Path, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _, _, out = revised
    db = sqlite3.connect(index_path(out))
    db.execute("DROP TABLE records")
    db.commit()
    db.close()
    status, _, err = _run(capsys, "explain", "--decisions", str(out), "--buyer", "b1")
    assert status == 2 and "index.sqlite" in err and "Traceback" not in err
