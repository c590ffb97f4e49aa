"""Start-up: each command imports only what it uses, so start-up cannot regress silently.

Not timed (bench/startup.py measures): each check runs a fresh interpreter and
reads which heavy libraries ended up in `sys.modules`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("networkx", "lark", "jinja2", "yaml")
STATE = "policies/examples/shopee-state.json"
EVENT = "policies/examples/shopee-event.json"


def imported(*argv: str) -> list[str]:
    """The HEAVY libraries a fresh interpreter has imported after `policyc ARGV`."""
    script = ("import json, sys\n"
              "from policyc.cli import main\n"
              f"status = main({list(argv)!r})\n"
              f"print(json.dumps([status, [m for m in {HEAVY!r} if m in sys.modules]]),"
              " file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    status, modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert status == 0, done.stderr
    return list(modules)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("artifact") / "shopee.artifact.json"
    subprocess.run([sys.executable, "-m", "policyc", "compile", "policies/shopee.yaml",
                    "-o", str(path)], cwd=ROOT, check=True, capture_output=True, timeout=60)
    return str(path)


def test_version_imports_no_heavy_library() -> None:
    assert imported("--version") == []


def test_help_imports_no_heavy_library() -> None:
    assert imported("--help") == []


def test_explain_of_a_compiled_artifact_needs_only_the_runtime(artifact: str) -> None:
    assert imported("explain", artifact, "--state", STATE, "--event", EVENT) == []


def test_explain_of_a_policy_file_imports_neither_networkx_nor_jinja2() -> None:
    # Compiling needs the YAML reader and the expression grammar; the decision graph is
    # built with the standard library (compiler/digraph.py). networkx and jinja2 are for
    # drawing (`graph`) and the `simulate --report` page only.
    assert imported("explain", "policies/shopee.yaml", "--state", STATE,
                    "--event", EVENT) == ["lark", "yaml"]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, (_, summary) in COMMANDS.items():
        assert f"    {name}" in out and summary in out, name


def test_an_unknown_command_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chek", "policies"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'chek'" in err and "'why-not'" in err


def _registered(module: str) -> dict[str, str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(f"policyc.commands.{module}").register(sub)
    return {action.dest: action.help or "" for action in sub._choices_actions}


def test_the_command_table_is_what_the_modules_register() -> None:
    modules = dict.fromkeys(module for module, _ in COMMANDS.values())
    registered = {name: (module, summary) for module in modules
                  for name, summary in _registered(module).items()}
    assert registered == COMMANDS


def test_a_command_parser_has_only_its_own_module() -> None:
    sub = next(a for a in build_parser(["fmt", "x.yaml"])._actions
               if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == ["fmt"]
