"""`simulate --workload` and `diff --workload`: generated agent actions that always fit.

The Elly example of issue 15: replaying policies/logs/shopee-day.jsonl under
shopee.yaml with `presale` reduced to [elly] (policies/workloads/shopee-elly.yaml)
leaves 54 of the log's agent actions ignored; on the workload model of the same
day (policies/workloads/shopee-day.yaml) there are none, and `diff` counts the
replay's distortion. Determinism: same model, seed and policy give the same
bytes, in this process and under other hash seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from goldens import assert_golden
from jsonschema import Draft202012Validator

from policyc.api import load
from policyc.cli import main
from policyc.runtime.clock import parse_instant
from policyc.workload.bind import bind
from policyc.workload.driver import drive
from policyc.workload.load import load_model
from policyc.workload.model import Staff, Window
from policyc.workload.schedule import from_staff

REPO = Path(__file__).resolve().parents[1]
SHOPEE = str(REPO / "policies" / "shopee.yaml")
ELLY = str(REPO / "policies" / "workloads" / "shopee-elly.yaml")
DAY = str(REPO / "policies" / "workloads" / "shopee-day.yaml")
LOG = str(REPO / "policies" / "logs" / "shopee-day.jsonl")
SALE_SHOP = REPO / "policies" / "workloads" / "sale-day-shop.yaml"
SALE = REPO / "policies" / "workloads" / "sale-day.yaml"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    status = main(list(argv))
    return status, json.loads(capsys.readouterr().out)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_replayed_log_ignores_54_actions_under_the_elly_policy(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Today's figure: the log's actions name chrissy on chats elly now holds."""
    status, summary = run_json(capsys, "simulate", ELLY, "--log", LOG, "--format", "json",
                               "--no-journal")
    assert status == 0
    assert summary["kinds"]["ignored"] == 54


def test_workload_run_of_the_elly_policy_ignores_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "elly.jsonl"
    status, summary = run_json(capsys, "simulate", ELLY, "--workload", DAY, "-o", str(out),
                               "--format", "json")
    assert status == 0
    made = records(out)
    assert [r for r in made if r["kind"] == "ignored"] == []
    assert summary["workload"]["ignored"] == 0
    assert "ignored" not in summary["kinds"]
    # elly now holds the presale chats, and she reads, answers and closes them herself
    assert summary["agents"]["elly"]["assigned"] > summary["agents"]["chrissy"]["assigned"]
    assert summary["workload"]["fitted"]["first_read"] > 0


def test_diff_on_the_workload_counts_the_replay_distortion(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run_json(capsys, "diff", SHOPEE, ELLY, "--workload", DAY, "--format", "json")
    assert status == 1
    assert doc["replay"]["distortion"] == {"actions": 150, "old": 0, "new": 54}
    assert doc["replay"]["ignored"] == {"old": 0, "new": 54}
    work = doc["workload"]
    assert work["figures"]["ignored"] == {"old": 0, "new": 0}
    assert work["changed"]
    elly = next(r for r in work["agents"] if r["id"] == "elly")
    assert elly["new_chats"] > elly["old_chats"]
    main(["diff", SHOPEE, ELLY, "--workload", DAY, "--examples", "0"])
    text = capsys.readouterr().out
    assert "replay distortion: 54 of the log's 150 agent actions no longer fit" in text


def test_diff_of_a_policy_with_itself_on_a_workload_is_no_change(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run_json(capsys, "diff", SHOPEE, SHOPEE, "--workload", DAY,
                           "--format", "json")
    assert status == 0 and not doc["changed"]
    assert doc["replay"]["distortion"] == {"actions": 150, "old": 0, "new": 0}


def test_same_model_and_seed_give_the_same_bytes(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    outs = []
    for n in (1, 2):
        out = tmp_path / f"run{n}.jsonl"
        assert main(["simulate", str(SALE_SHOP), "--workload", str(SALE), "-o", str(out)]) == 0
        outs.append(out.read_bytes())
    capsys.readouterr()
    assert outs[0] == outs[1] and len(outs[0]) > 100_000
    kinds = {r["kind"] for r in records(tmp_path / "run1.jsonl")}
    assert {"route", "release", "transfer", "continued"} <= kinds  # queue pulls, transfers


def test_same_bytes_under_other_hash_seeds(tmp_path: Path) -> None:
    digests = []
    for seed in ("0", "12345"):
        out = tmp_path / f"seed{seed}.jsonl"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "policyc", "simulate", str(SALE_SHOP),
                        "--workload", str(SALE), "-o", str(out)], check=True, env=env,
                       capture_output=True, timeout=300)
        digests.append(out.read_bytes())
    assert digests[0] == digests[1]


def test_another_seed_gives_another_day(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "sale-day.yaml"
    other.write_text(SALE.read_text(encoding="utf-8").replace("seed: 1111", "seed: 7"),
                     encoding="utf-8")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["simulate", str(SALE_SHOP), "--workload", str(SALE), "-o", str(a)]) == 0
    assert main(["simulate", str(SALE_SHOP), "--workload", str(other), "-o", str(b)]) == 0
    capsys.readouterr()
    assert a.read_bytes() != b.read_bytes()


def test_every_holder_handles_what_it_got() -> None:
    """Queue pulls and transfers get behaviour too: every chat an agent received is read,
    answered and closed by that agent, and no action is ever fed to the wrong one."""
    router = load(SALE_SHOP)
    loaded = load_model(SALE)
    assert loaded.model is not None
    bound, _ = bind(loaded.model.with_staff(9), router)
    assert bound is not None
    run = drive(router, bound.model, bound.arrivals, bound.schedule)
    assert run.book.ignored == 0
    acted = {(e["type"], e["buyer"], e["agent"]) for e in run.events
             if e["type"] in ("read", "reply", "close")}
    received = [(r["buyer"], r["agent"], r["reason"]) for r in run.records
                if r["kind"] in ("route", "release", "transfer") and r["outcome"] == "assigned"]
    assert {reason for _, _, reason in received} >= {"source_group", "queue_pull",
                                                     "transfer_to_group"}
    for buyer, agent, _ in received:
        assert ("read", buyer, agent) in acted and ("reply", buyer, agent) in acted
    for buyer, _, _ in received:  # the last holder closes it
        assert any(kind == "close" and b == buyer for kind, b, _ in acted)


def test_agents_act_only_while_online_unless_told(tmp_path: Path) -> None:
    router = load(SALE_SHOP)
    model = tmp_path / "sale.yaml"
    model.write_text(SALE.read_text(encoding="utf-8").replace(
        "  finish_offline: true", "  finish_offline: false"), encoding="utf-8")
    loaded = load_model(model)
    assert loaded.model is not None
    bound, _ = bind(loaded.model.with_staff(6), router)
    assert bound is not None
    run = drive(router, bound.model, bound.arrivals, bound.schedule)
    status: dict[str, str] = {}
    for e in run.events:
        if e["type"] == "agent_status":
            status[e["agent"]] = e["status"]
        elif e["type"] in ("read", "reply", "close", "transfer"):
            assert status.get(e["agent"]) == "online", e
    assert run.book.ignored == 0


def test_shifts_breaks_and_absences_become_status_changes() -> None:
    # 2026-11-23 is a Monday; shop-local Asia/Taipei (+08:00)
    start = parse_instant("2026-11-23T00:00:00+08:00")
    staff = Staff("elly", ("mon", "tue"), (Window(9 * 60, 17 * 60),),
                  (Window(12 * 60, 12 * 60 + 30),),
                  ((start + 86400 + 13 * 3600, start + 86400 + 24 * 3600),), span=None)  # type: ignore[arg-type]
    changes = [(round((c.at - start) / 3600, 2), c.status)
               for c in from_staff((staff,), start, start + 86400, "Asia/Taipei").changes]
    # Monday; Tuesday off from 13:00 (absent); then the week goes on: next Monday
    assert changes == [(9.0, "online"), (12.0, "busy"), (12.5, "online"), (17.0, "offline"),
                       (33.0, "online"), (36.0, "busy"), (36.5, "online"), (37.0, "offline"),
                       (177.0, "online"), (180.0, "busy"), (180.5, "online"),
                       (185.0, "offline")]


def test_sweep_json_follows_its_schema(capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run_json(capsys, "simulate", str(SALE_SHOP), "--workload", str(SALE),
                           "--agents", "8,11,13", "--format", "json")
    assert status == 0
    schema = json.loads((REPO / "policyc" / "schemas" / "sweep.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(doc)) == []
    assert [r["agents"] for r in doc["rows"]] == [8, 11, 13]
    assert len({r["chats"] for r in doc["rows"]}) == 1  # the same buyers in every row
    assert doc["rows"][2]["service_level"] > doc["rows"][0]["service_level"]
    assert doc["fewest_reaching_goal"] == next(
        r["agents"] for r in doc["rows"] if r["service_level"] >= doc["goal"])


def test_sweep_text_names_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(SALE_SHOP), "--workload", str(SALE), "--agents",
                 "10..12"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == ["agents", "chats", "service", "level", "waited",
                                           "mean", "wait", "p90", "wait", "longest",
                                           "occupancy"]
    assert "fewest agents taking 80 % within 1.0 min: 11" in out


@pytest.mark.parametrize("argv, message", [
    (["simulate", SHOPEE], "give --log EVENTS.jsonl or --workload MODEL"),
    (["simulate", SHOPEE, "--log", LOG, "--workload", DAY], "one of them"),
    (["simulate", SHOPEE, "--log", LOG, "--agents", "2..3"], "--agents sweeps a workload"),
    (["simulate", SHOPEE, "--workload", DAY, "--agents", "2..3"], "needs a staff list"),
    (["simulate", str(SALE_SHOP), "--workload", str(SALE), "--agents", "10..20"],
     "schedules 14 agents"),
    (["diff", SHOPEE, ELLY], "give --log EVENTS.jsonl or --workload MODEL"),
])
def test_unusable_combinations_stop_with_exit_2(argv: list[str], message: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("text", ["0..3", "5..2", "a", "3..", ""])
def test_bad_agent_counts_are_refused(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", SHOPEE, "--workload", DAY, "--agents", text]) == 2
    assert "--agents" in capsys.readouterr().err


@pytest.mark.parametrize("shop", ["shopee", "youzan", "taobao"])
def test_each_shipped_day_replayed_as_a_workload_fits_every_action(
        shop: str, tmp_path: Path) -> None:
    """The shipped days' buyers and hours, behaviour fitted from each log: staging
    releases (S7), pins (Y8) and offline-pool runs (T2-T7) hand chats out, and each
    holder reads and answers them; nothing is ignored."""
    log = REPO / "policies" / "logs" / f"{shop}-day.jsonl"
    first = json.loads(log.read_text(encoding="utf-8").splitlines()[0])["at"]
    model = tmp_path / "day.yaml"
    model.write_text(f'workload: 1\nstart: "{first}"\nduration: 24h\nseed: 3\ntick: 30s\n'
                     f"arrivals: {{replay: {log}}}\nstaff: {{replay: {log}}}\n"
                     f"handling: {{fit: {log}}}\n", encoding="utf-8")
    router = load(REPO / "policies" / f"{shop}.yaml")
    loaded = load_model(model)
    assert loaded.model is not None, loaded.diagnostics
    bound, problems = bind(loaded.model, router)
    assert bound is not None, problems
    run = drive(router, bound.model, bound.arrivals, bound.schedule)
    assert run.book.ignored == 0
    acted = {(e["type"], e["buyer"], e["agent"]) for e in run.events if e["type"] == "read"}
    released = [(r["buyer"], r["agent"], r["reason"]) for r in run.records
                if r["kind"] == "release" and r["outcome"] == "assigned"]
    assert released, "the day hands waiting chats out"
    assert all(("read", buyer, agent) in acted for buyer, agent, _ in released)
    assert sum(bound.fitted.values()) > 0


def test_readme_sale_day_example_is_what_the_command_prints(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = ("$ .venv/bin/policyc simulate policies/workloads/sale-day-shop.yaml "
               "--workload policies/workloads/sale-day.yaml --agents 6..13\n")
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    monkeypatch.chdir(REPO)
    argv = [str(word) for word in command.split()[2:]]
    assert main(argv) == 0
    assert capsys.readouterr().out == shown


def test_diff_on_the_workload_as_text(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert main(["diff", "policies/shopee.yaml", "policies/workloads/shopee-elly.yaml",
                 "--workload", "policies/workloads/shopee-day.yaml", "--examples", "0"]) == 1
    assert_golden(REPO / "tests" / "golden" / "workload" / "diff-elly.txt",
                  capsys.readouterr().out)


def test_a_workload_run_can_carry_traces(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "traced.jsonl"
    assert main(["simulate", SHOPEE, "--workload", DAY, "--trace", "fails",
                 "-o", str(out)]) == 0
    capsys.readouterr()
    routed = [r for r in records(out) if r["kind"] == "route"]
    assert routed and all("trace" in r for r in routed)


def test_outputs_may_not_name_the_model_or_its_logs(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "day.jsonl"
    log.write_bytes(Path(LOG).read_bytes())
    model = tmp_path / "day.yaml"
    model.write_text(Path(DAY).read_text(encoding="utf-8").replace(
        "../logs/shopee-day.jsonl", "day.jsonl"), encoding="utf-8")
    for flag, target in (("-o", log), ("--report", model), ("-o", model)):
        before = target.read_bytes()
        assert main(["simulate", SHOPEE, "--workload", str(model), flag, str(target)]) == 2
        assert "refusing to overwrite it" in capsys.readouterr().err
        assert target.read_bytes() == before
