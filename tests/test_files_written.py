"""Files policyc writes (issue 14 items 5, 6): atomic on a full disk, never over an input,
and one run at a time on a journal.

The full-disk cases run on a real, small tmpfs filled to the last page (mounting needs
root, as CI runs; elsewhere they skip, and with `CI` set they fail instead). The journal
lock is tried with two real processes, the first frozen by SIGSTOP while it holds the
journal, so that the second surely meets it.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from policyc.cli import main

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
SHOPEE = POLICIES / "shopee.yaml"
LOG = POLICIES / "logs" / "shopee-day.jsonl"
UNFORMATTED = ROOT / "tests" / "fmt" / "unformatted.yaml"
POLICYC = [sys.executable, "-m", "policyc"]


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    """A copy of the shipped policies and logs, to write over without harm."""
    folder = tmp_path / "shop"
    shutil.copytree(POLICIES, folder)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


# -- an output that names an input ---------------------------------------------------------

REFUSED = [
    ("compile policy over itself", ["compile", "shopee.yaml", "-o", "shopee.yaml"],
     "-o shopee.yaml is the policy"),
    ("compile over an include", ["compile", "youzan.yaml", "-o", "youzan-pins.yaml"],
     "is a file the policy includes"),
    ("compile through ..", ["compile", "shopee.yaml", "-o", "logs/../shopee.yaml"],
     "is the policy"),
    ("simulate over its log", ["simulate", "shopee.yaml", "--log", "logs/shopee-day.jsonl",
                               "-o", "logs/shopee-day.jsonl"], "is the --log input"),
    ("simulate report over the policy", ["simulate", "shopee.yaml", "--log",
                                         "logs/shopee-day.jsonl", "--report", "shopee.yaml"],
     "--report shopee.yaml is the policy"),
    ("simulate journal on the log", ["simulate", "shopee.yaml", "--log",
                                     "logs/shopee-day.jsonl", "--journal",
                                     "logs/shopee-day.jsonl"], "is the --log input"),
    ("simulate -o and --report alike", ["simulate", "shopee.yaml", "--log",
                                        "logs/shopee-day.jsonl", "-o", "out.jsonl",
                                        "--report", "out.jsonl"], "is the -o output"),
    ("simulate over an include", ["simulate", "youzan.yaml", "--log", "logs/youzan-day.jsonl",
                                  "-o", "youzan-pins.yaml"], "is a file the policy includes"),
    ("graph over the policy", ["graph", "shopee.yaml", "-o", "shopee.yaml"], "is the policy"),
    ("graph over its state", ["graph", "shopee.yaml", "--state", "examples/shopee-state.json",
                              "--event", "examples/shopee-event.json",
                              "-o", "examples/shopee-state.json"], "is the --state input"),
    ("test report over a test file", ["test", "shopee.test.yaml", "-o", "shopee.test.yaml"],
     "is a test file"),
    ("test report over the policy", ["test", "shopee.test.yaml", "-o", "shopee.yaml"],
     "is a policy under test"),
]


@pytest.mark.parametrize("argv, message", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_an_output_naming_an_input_is_refused_exit_2(
        argv: list[str], message: str, shop: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14 item 6: `compile shopee.yaml -o shopee.yaml` overwrote the policy, exit 0."""
    monkeypatch.chdir(shop)
    before = _snapshot(shop)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "refusing to overwrite it" in err, err
    assert _snapshot(shop) == before  # nothing written, not even a journal


@pytest.mark.parametrize("link", ["hard", "symbolic"])
def test_a_link_to_an_input_is_the_input(link: str, shop: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    alias = shop / "alias.yaml"
    (os.link if link == "hard" else os.symlink)(shop / "shopee.yaml", alias)
    before = (shop / "shopee.yaml").read_bytes()
    assert main(["compile", str(shop / "shopee.yaml"), "-o", str(alias)]) == 2
    assert "is the policy" in capsys.readouterr().err
    assert (shop / "shopee.yaml").read_bytes() == before


# -- how files are written --------------------------------------------------------------------

def test_fmt_keeps_the_file_mode_and_the_link(tmp_path: Path) -> None:
    """A rewrite is a new file renamed over the old: it keeps the old one's permissions,
    and a link to the policy stays a link (the file it names is rewritten)."""
    real = tmp_path / "real.yaml"
    real.write_bytes(UNFORMATTED.read_bytes())
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink() and real.read_bytes() != UNFORMATTED.read_bytes()
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "real.yaml"]


@pytest.mark.parametrize("target", ["folder", "fifo"])
def test_an_output_that_is_not_a_regular_file_is_refused(
        target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    if target == "folder":
        out.mkdir()
    else:
        os.mkfifo(out)
    assert main(["compile", str(SHOPEE), "-o", str(out)]) == 2
    assert "regular files only" in capsys.readouterr().err
    assert (out.is_dir() if target == "folder" else out.is_fifo())


def test_journal_under_a_file_is_a_clear_error_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14: `--journal` under a path whose parent is a file raised FileExistsError."""
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    journal = tmp_path / "afile" / "sub" / "j.sqlite"
    assert main(["simulate", str(SHOPEE), "--log", str(LOG), "--journal", str(journal)]) == 2
    err = capsys.readouterr().err
    assert "cannot make the journal's folder" in err and "afile is a file, not a folder" in err
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x"


def test_output_under_a_file_is_a_clear_error_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    assert main(["compile", str(SHOPEE), "-o", str(tmp_path / "afile" / "a.json")]) == 2
    assert "afile is a file, not a folder" in capsys.readouterr().err


# -- a full disk ------------------------------------------------------------------------------

@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs of its own; unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs",
                              str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        why = f"cannot mount a tmpfs: {mounted.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI runs as root: the full-disk tests must run there)")
        pytest.skip(why)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> None:
    """Take every free byte of the disk (a write then fails with ENOSPC)."""
    with (disk / "filler").open("wb", buffering=0) as handle:
        for size in (65536, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as err:
                assert err.errno == errno.ENOSPC, err


def _left(disk: Path) -> list[str]:
    return sorted(p.name for p in disk.iterdir() if p.name != "filler")


def test_fmt_on_a_full_disk_leaves_the_policy_intact(
        small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14 item 6: `fmt` left the policy truncated to 4096 bytes (original lost)."""
    policy = small_disk / "p.yaml"
    policy.write_bytes(UNFORMATTED.read_bytes())
    _fill(small_disk)
    assert main(["fmt", str(policy)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert policy.read_bytes() == UNFORMATTED.read_bytes()
    assert _left(small_disk) == ["p.yaml"]


def test_compile_on_a_full_disk_leaves_the_old_artifact(small_disk: Path) -> None:
    """Issue 14 item 6: `compile -o` replaced a valid artifact with invalid JSON."""
    artifact = small_disk / "shopee.json"
    assert main(["compile", str(SHOPEE), "-o", str(artifact)]) == 0
    old = artifact.read_bytes()
    _fill(small_disk)
    assert main(["compile", str(POLICIES / "youzan.yaml"), "-o", str(artifact)]) == 2
    assert artifact.read_bytes() == old
    assert _left(small_disk) == ["shopee.json"]


@pytest.mark.parametrize("flags", [["-o", "out.jsonl", "--no-journal"], ["-o", "out.jsonl"],
                                   ["--report", "out.html"]], ids=["-o", "-o journaled",
                                                                   "--report"])
def test_simulate_on_a_full_disk_leaves_no_partial_output(
        flags: list[str], small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14 item 6: `simulate --no-journal -o` and `--report` left partial files."""
    _fill(small_disk)
    argv = [f if f not in ("out.jsonl", "out.html") else str(small_disk / f) for f in flags]
    assert main(["simulate", str(SHOPEE), "--log", str(LOG), *argv]) == 2
    capsys.readouterr()
    left = _left(small_disk)
    assert "out.jsonl" not in left and "out.html" not in left, left
    assert not [name for name in left if name.endswith(".tmp")], left


# -- one run at a time on a journal -----------------------------------------------------------

def _rows(journal: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=0.05)
        try:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _frozen_mid_run(argv: list[str], journal: Path) -> subprocess.Popen[bytes]:
    """A `simulate` process stopped (SIGSTOP) once its journal holds events: it holds
    the journal's lock, and cannot let go of it, until SIGCONT."""
    for _ in range(5):
        proc = subprocess.Popen([*POLICYC, *argv], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        while proc.poll() is None and _rows(journal) == 0:
            time.sleep(0.002)
        proc.send_signal(signal.SIGSTOP)
        if proc.poll() is None:
            return proc
        proc.communicate()  # it finished before it could be stopped: try again
    pytest.fail("the first run always finished before it could be stopped")


@pytest.mark.parametrize("second", ["same -o", "same --journal", "journal through a link"])
def test_a_second_run_on_a_journal_in_use_stops_exit_2(second: str, tmp_path: Path) -> None:
    """Issue 14 item 5: a run starting on a journal another run was writing dropped its
    tables; both exited 0 with wrong output."""
    reference = tmp_path / "reference.jsonl"
    assert main(["simulate", str(SHOPEE), "--log", str(LOG), "-o", str(reference),
                 "--no-journal"]) == 0
    out, journal = tmp_path / "out.jsonl", tmp_path / "j.sqlite"
    first = ["simulate", str(SHOPEE), "--log", str(LOG), "-o", str(out), "--journal",
             str(journal), "--journal-batch", "1"]
    other = ["-o", str(out)] if second == "same -o" else ["-o", str(tmp_path / "b.jsonl")]
    named = journal
    if second == "journal through a link":
        named = tmp_path / "link.sqlite"
        named.symlink_to(journal)
    proc = _frozen_mid_run(first, journal)
    try:
        again = subprocess.run([*POLICYC, "simulate", str(SHOPEE), "--log", str(LOG), *other,
                                "--journal", str(named)], capture_output=True, text=True,
                               timeout=120)
    finally:
        proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    assert again.returncode == 2, again.stderr
    assert "another run is using this journal" in again.stderr
    assert proc.returncode == 0, err.decode()
    assert out.read_bytes() == reference.read_bytes()  # the first run was not disturbed
    assert not (tmp_path / "b.jsonl").exists()


def test_the_journal_is_free_again_after_a_run_and_after_a_kill(tmp_path: Path) -> None:
    """The lock goes with the run: a finished run and a killed one (SIGKILL) leave none."""
    out = tmp_path / "out.jsonl"
    argv = ["simulate", str(SHOPEE), "--log", str(LOG), "-o", str(out), "--journal-batch", "1"]
    assert main(argv) == 0
    journal = Path(f"{out}.journal.sqlite")
    for name in (journal, Path(f"{journal}-wal"), Path(f"{journal}-shm")):
        name.unlink(missing_ok=True)  # so that the next run is stopped inside its own work
    proc = _frozen_mid_run(argv, journal)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert main([*argv, "--resume"]) == 0
