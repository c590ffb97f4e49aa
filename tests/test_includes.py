"""Included files (`roster:` / `pins:` naming a file) stay inside the policy's folder.

A policy change in a pull request must not be able to publish the CI runner's
files: an include outside the folder (by `..`, an absolute path or a symlink),
or anything but a regular file, is refused with E211 before it is opened, and
no diagnostic, SARIF log or graph page carries an included file's content.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.cli import main

REPO = Path(__file__).resolve().parents[1]
SECRET = "sk-live-0123456789abcdef"
_POLICY = """policyc: 1
shop: {{id: demo, timezone: Asia/Taipei}}
roster:
  - {{id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}}
  - {{id: ann, created_at: "2024-01-02T09:00:00+08:00"}}
groups:
  sales: {{members: [ann]}}
pins: {pins}
route: [pin, main_account, stage]
"""


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp/policies/` is the policy's folder; `tmp/app-secrets.yaml` sits beside it."""
    (tmp_path / "app-secrets.yaml").write_text(f"API_TOKEN: {SECRET}\nDB: pw-{SECRET}\n",
                                               encoding="utf-8")
    folder = tmp_path / "policies"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def write_policy(folder: Path, pins: str) -> Path:
    path = folder / "policy.yaml"
    path.write_text(_POLICY.format(pins=pins), encoding="utf-8")
    return path


def check_all_formats(capsys: pytest.CaptureFixture[str], path: str) -> list[str]:
    """`check` in every output format; each run's exit status and output."""
    outputs = []
    for fmt in ("text", "json", "sarif", "github"):
        status = main(["check", "--format", fmt, path])
        out, err = capsys.readouterr()
        assert status == 1, (fmt, out, err)
        outputs.append(out + err)
    return outputs


def assert_refused(outputs: list[str], why: str) -> None:
    for out in outputs:
        assert SECRET not in out
        assert "root:" not in out  # nothing of /etc/passwd either
    text = outputs[0]
    assert "policy.yaml:8:7: error[E211]: included file" in text, text
    assert why in text, text


def test_a_secret_file_outside_the_folder_is_refused_and_never_echoed(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_policy(shop, "../app-secrets.yaml")
    assert_refused(check_all_formats(capsys, "policy.yaml"), "is outside the policy's folder")


def test_an_absolute_include_path_is_refused(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_policy(shop, str(shop.parent / "app-secrets.yaml"))
    assert_refused(check_all_formats(capsys, "policy.yaml"), "is an absolute path")
    write_policy(shop, "/etc/passwd")
    assert_refused(check_all_formats(capsys, "policy.yaml"), "is an absolute path")


def test_a_symlink_escaping_the_folder_is_refused(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "pins.yaml").symlink_to(shop.parent / "app-secrets.yaml")
    write_policy(shop, "pins.yaml")
    assert_refused(check_all_formats(capsys, "policy.yaml"), "is outside the policy's folder")
    (shop / "etc").symlink_to("/etc")  # a linked folder escapes just the same
    write_policy(shop, "etc/passwd")
    assert_refused(check_all_formats(capsys, "policy.yaml"), "is outside the policy's folder")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_proc_self_status_is_refused(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_policy(shop, "/proc/self/status")
    outputs = check_all_formats(capsys, "policy.yaml")
    assert_refused(outputs, "is an absolute path")
    assert all("VmRSS" not in out and "Pid" not in out for out in outputs)
    (shop / "proc").symlink_to("/proc")
    write_policy(shop, "proc/self/status")
    assert_refused(check_all_formats(capsys, "policy.yaml"), "is outside the policy's folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_include_is_refused_without_waiting_for_a_writer(shop: Path) -> None:
    os.mkfifo(shop / "pins.yaml")
    write_policy(shop, "pins.yaml")
    done = subprocess.run([sys.executable, "-m", "policyc", "check", "policy.yaml"],
                          capture_output=True, text=True, timeout=60, cwd=shop, check=False)
    assert done.returncode == 1, done
    assert "error[E211]: included file 'pins.yaml' is not a regular file" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_folder_include_is_refused(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "pins").mkdir()
    write_policy(shop, "pins")
    assert "included file 'pins' is not a regular file" in check_all_formats(
        capsys, "policy.yaml")[0]


def test_includes_below_the_folder_still_work(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sub/pins.yaml`, `sub/../pins.yaml` and a link that stays inside are all fine."""
    (shop / "sub").mkdir()
    (shop / "sub" / "pins.yaml").write_text("b-1: ann\n", encoding="utf-8")
    (shop / "pins.yaml").write_text("b-2: ann\n", encoding="utf-8")
    (shop / "linked.yaml").symlink_to(shop / "sub" / "pins.yaml")
    for include in ("sub/pins.yaml", "sub/../pins.yaml", "linked.yaml"):
        write_policy(shop, include)
        assert main(["check", "policy.yaml"]) == 0, capsys.readouterr().out
        capsys.readouterr()


def test_a_diagnostic_quotes_a_bounded_escaped_token_not_the_file(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad value in an include is quoted at most 40 characters, control characters
    escaped: a message cannot carry a line of the file, nor a terminal escape."""
    long_value = "x" * 30 + SECRET + "\x1b[31m" + "y" * 5000
    (shop / "pins.yaml").write_text(json.dumps({"b-1": long_value}) + "\n", encoding="utf-8")
    write_policy(shop, "pins.yaml")
    outputs = check_all_formats(capsys, "policy.yaml")
    assert "pins.yaml:1:9: error[E123]: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxsk-live-01…' is not" \
        in outputs[0]
    for out in outputs:
        assert SECRET[10:] not in out
        assert "\x1b" not in out
        assert "y" * 50 not in out


def test_graph_html_embeds_no_included_file(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "pins.yaml").write_text("buyer-with-a-phone-0912345678: ann\n", encoding="utf-8")
    write_policy(shop, "pins.yaml")
    assert main(["graph", "--format", "html", "policy.yaml", "-o", "graph.html"]) == 0
    page = (shop / "graph.html").read_text(encoding="utf-8")
    assert "0912345678" not in page
    assert "main_account" in page  # the policy's own text is still shown


# -- the policy hash names the content, wherever the command runs ------------------------
def _compiled_hash(cwd: Path, policy: str, out: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "policyc", "compile", policy, "-o", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=cwd, check=False)
    assert done.returncode == 0, done
    return str(json.loads(out.read_text(encoding="utf-8"))["policy"])


def test_the_policy_hash_is_the_same_from_any_working_directory(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name in ("youzan.yaml", "youzan-pins.yaml"):  # youzan includes its pins file
        (folder / name).write_bytes((REPO / "policies" / name).read_bytes())
    hashes = {
        _compiled_hash(tmp_path, "policies/youzan.yaml", tmp_path / "a.json"),
        _compiled_hash(folder, "youzan.yaml", tmp_path / "b.json"),
        _compiled_hash(REPO, str(folder / "youzan.yaml"), tmp_path / "c.json"),
    }
    assert len(hashes) == 1, hashes
    # ...and it follows the content: an edit of the included file changes it.
    pins = folder / "youzan-pins.yaml"
    pins.write_text(pins.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _compiled_hash(folder, "youzan.yaml", tmp_path / "d.json") not in hashes


def test_resume_from_another_directory_accepts_the_same_policy(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name in ("youzan.yaml", "youzan-pins.yaml"):
        (folder / name).write_bytes((REPO / "policies" / name).read_bytes())
    log = tmp_path / "log.jsonl"
    lines = (REPO / "policies" / "logs" / "youzan-day.jsonl").read_text().splitlines()
    log.write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    run = [sys.executable, "-m", "policyc", "simulate"]
    first = subprocess.run([*run, "policies/youzan.yaml", "--log", "log.jsonl", "-o", "a.jsonl"],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path,
                           check=False)
    assert first.returncode == 0, first
    again = subprocess.run([*run, "youzan.yaml", "--log", "../log.jsonl", "-o", "../b.jsonl",
                            "--journal", "../a.jsonl.journal.sqlite", "--resume"],
                           capture_output=True, text=True, timeout=120, cwd=folder, check=False)
    assert again.returncode == 0, again
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "a.jsonl").read_bytes()
