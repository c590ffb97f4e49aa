"""The simulate journal (runtime/journal.py): killed anywhere, resumed, the output is exact."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from policyc.cli import main

ROOT = Path(__file__).resolve().parent.parent
KILLS = 20
RUNS = 2  # each killed KILLS / RUNS times, then let finish and its output compared
SEED = 20261123


@cache
def _shop() -> tuple[str, str]:
    """(policy YAML, log text): a 20-agent shop, 3,000 events of bench/engine_bench.py's day."""
    sys.path.insert(0, str(ROOT))  # `bench/` is a folder of the repository
    try:
        from bench.engine_bench import generate
    finally:
        sys.path.remove(str(ROOT))
    return generate(20, 3000, seed=3)


@pytest.fixture()
def shop(tmp_path: Path) -> tuple[Path, Path]:
    policy_text, log_text = _shop()
    policy = tmp_path / "shop.yaml"
    policy.write_text(policy_text, encoding="utf-8")
    log = tmp_path / "day.jsonl"
    log.write_text(log_text, encoding="utf-8")
    return policy, log


def _simulate(policy: Path, log: Path, out: Path, *flags: str) -> int:
    return main(["simulate", str(policy), "--log", str(log), "-o", str(out), *flags])


def _rows(journal: Path) -> int:
    """Events the journal holds now (0 while it does not exist or is being made)."""
    if not journal.exists():
        return 0
    try:
        db = sqlite3.connect(journal, timeout=0.05)
        try:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _kill_somewhere(proc: subprocess.Popen[bytes], journal: Path, total: int,
                    rng: random.Random, budget: float) -> int | None:
    """SIGKILL the run at a random point: mostly once the journal holds a random number of
    events more than it did, else after a random delay (starting up, rebuilding, writing
    the output). The journal's size at the kill; None if the run ended first."""
    start = time.monotonic()
    held = _rows(journal)
    rows_wanted = None
    if held < total and rng.random() < 0.8:
        rows_wanted = held + rng.randrange(1, total - held + 1)
    elif held == total and rng.random() < 0.5:
        proc.wait()  # the journal is complete: now and then let the run finish
        return None
    delay = rng.uniform(0, budget)
    while proc.poll() is None:
        if (rows_wanted is None and time.monotonic() - start >= delay) or \
                (rows_wanted is not None and _rows(journal) >= rows_wanted):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return _rows(journal)
        time.sleep(0.001)
    return None


def _killed_and_resumed(command: list[str], out: Path, expected: bytes, total: int,
                        budget: float, seed: int, kills_wanted: int) -> list[int]:
    """Run into `out`, killed at random points and resumed after each until it finishes
    (then compared with `expected`); again from scratch until `kills_wanted` kills.
    Returns the journal's size at each kill."""
    rng = random.Random(seed)
    journal = Path(f"{out}.journal.sqlite")
    kills: list[int] = []
    resume: list[str] = []
    while True:
        batch = str(rng.choice([1, 1, 4, 64]))  # any batch size may resume any other
        proc = subprocess.Popen([*command, "-o", str(out), "--journal-batch", batch, *resume],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        rows = None
        if len(kills) < kills_wanted:
            rows = _kill_somewhere(proc, journal, total, rng, budget)
        _, err = proc.communicate()
        if rows is not None:
            kills.append(rows)
            resume = ["--resume"]
            continue
        assert proc.returncode == 0, err.decode()
        assert out.read_bytes() == expected, (out.name, kills)
        if len(kills) >= kills_wanted:
            return kills
        resume = []  # a fresh run (it empties the journal) for the kills still wanted


def test_killed_at_20_random_points_resumed_gives_the_uninterrupted_output(
        shop: tuple[Path, Path], tmp_path: Path) -> None:
    policy, log = shop
    artifact = tmp_path / "shop.json"
    assert main(["compile", str(policy), "-o", str(artifact)]) == 0
    total = sum(1 for line in log.read_text(encoding="utf-8").splitlines() if line.strip())
    command = [sys.executable, "-m", "policyc", "simulate", str(artifact), "--log", str(log),
               "--trace", "full"]
    reference = tmp_path / "reference.jsonl"
    began = time.monotonic()
    subprocess.run([*command, "-o", str(reference), "--no-journal"], check=True,
                   stdout=subprocess.DEVNULL)
    budget = (time.monotonic() - began) * 1.2
    expected = reference.read_bytes()
    outs = [tmp_path / f"run{i}.jsonl" for i in range(RUNS)]
    with ThreadPoolExecutor(RUNS) as pool:  # two runs side by side: half the wall time
        kills = [k for ks in pool.map(
            lambda i: _killed_and_resumed(command, outs[i], expected, total, budget,
                                          SEED + i, KILLS // RUNS), range(RUNS)) for k in ks]
    assert len(kills) >= KILLS
    # The kills landed all over: before the journal, inside it, after it was complete.
    assert sum(0 < k < total for k in kills) >= KILLS // 4, kills


# -- the journal's checks, in-process --------------------------------------------------------

def test_journaled_output_equals_unjournaled(shop: tuple[Path, Path], tmp_path: Path) -> None:
    policy, log = shop
    assert _simulate(policy, log, tmp_path / "a.jsonl") == 0
    assert _simulate(policy, log, tmp_path / "b.jsonl", "--no-journal") == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl.journal.sqlite").is_file()
    assert not (tmp_path / "b.jsonl.journal.sqlite").exists()


def test_resume_of_a_finished_run_rewrites_the_output(shop: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    policy, log = shop
    out = tmp_path / "out.jsonl"
    assert _simulate(policy, log, out) == 0
    expected = out.read_bytes()
    out.write_text("damaged\n", encoding="utf-8")
    assert _simulate(policy, log, out, "--resume") == 0
    assert out.read_bytes() == expected


def test_resume_follows_a_log_that_grew(shop: tuple[Path, Path], tmp_path: Path) -> None:
    policy, log = shop
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    short = tmp_path / "short.jsonl"
    short.write_text("".join(lines[:1000]), encoding="utf-8")
    out, whole = tmp_path / "out.jsonl", tmp_path / "whole.jsonl"
    journal = tmp_path / "j.sqlite"
    assert _simulate(policy, short, out, "--journal", str(journal)) == 0
    assert _simulate(policy, log, out, "--journal", str(journal), "--resume") == 0
    assert _simulate(policy, log, whole, "--no-journal") == 0
    assert out.read_bytes() == whole.read_bytes()


def _edit_log(log: Path, line: int) -> None:
    # Same event, other text (an unknown key would be refused before the journal is read).
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line] = json.dumps(json.loads(lines[line]), indent=1).replace("\n", "") + "\n"
    log.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("change, message", [
    ("log", "the log is not the one journaled"),
    ("shorter", "the log is not the one journaled"),
    ("trace", "journal trace is 'none', this run's is 'full'"),
    ("policy", "journal policy is"),
    ("records", "made other records than the journal holds"),
])
def test_resume_refuses_a_journal_of_another_run(shop: tuple[Path, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 change: str, message: str) -> None:
    policy, log = shop
    out = tmp_path / "out.jsonl"
    journal = Path(f"{out}.journal.sqlite")
    assert _simulate(policy, log, out) == 0
    flags = ["--resume"]
    if change == "log":
        _edit_log(log, 10)
    elif change == "shorter":
        log.write_text("".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[:99]),
                       encoding="utf-8")
    elif change == "trace":
        flags.append("--trace=full")
    elif change == "policy":
        policy.write_text(policy.read_text(encoding="utf-8").replace("cap: 100", "cap: 99"),
                          encoding="utf-8")
    else:
        with sqlite3.connect(journal) as db:
            db.execute("UPDATE events SET records = '' WHERE seq = (SELECT min(seq) FROM "
                       "events WHERE records != '')")
        db.close()
    capsys.readouterr()
    assert _simulate(policy, log, out, *flags) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unusable_journal_and_flags(shop: tuple[Path, Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    policy, log = shop
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_text("not a database, a text file that happens to be here\n" * 20,
                     encoding="utf-8")
    assert _simulate(policy, log, tmp_path / "o.jsonl", "--journal", str(bogus)) == 2
    assert "bogus.sqlite" in capsys.readouterr().err
    assert _simulate(policy, log, tmp_path / "o.jsonl", "--no-journal", "--resume") == 2
    assert "--resume needs a journal" in capsys.readouterr().err
    assert main(["simulate", str(policy), "--log", str(log), "--journal-batch", "0"]) == 2


def test_a_journal_that_cannot_be_written_is_unusable_output(
        shop: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from policyc.runtime import journal

    def full(*_: object) -> None:
        raise journal.JournalError("j.sqlite: database or disk is full")

    monkeypatch.setattr(journal.Journal, "append", full)
    policy, log = shop
    assert _simulate(policy, log, tmp_path / "o.jsonl") == 2
    err = capsys.readouterr().err
    assert "disk is full" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o.jsonl").exists()
