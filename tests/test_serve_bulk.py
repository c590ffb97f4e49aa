"""Bulk replay on Dask: 100 generated shops' logs give the records of a sequential run."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

from policyc.api import load
from policyc.cli import main
from policyc.runtime.engine import Engine
from policyc.runtime.journal import records_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is a repository folder
from bench.serve_bench import make_shops


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(list(argv))
    return status, out.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bulk")
    make_shops(tmp, 100, 4, 1200)
    return tmp


def test_a_local_dask_cluster_gives_the_sequential_records(folder: Path) -> None:
    compiled = folder / "compiled"  # compiled once, read by the run and by the reference
    compiled.mkdir()
    routers = {p.stem: load(p) for p in sorted((folder / "policies").glob("*.yaml"))}
    for shop, router in routers.items():
        (compiled / f"{shop}.json").write_text(json.dumps(router.artifact))
    status, text = _run("simulate", str(compiled), "--log", str(folder / "logs"),
                        "-o", str(folder / "out"), "--workers", "2", "--format", "json")
    assert status == 0
    summary = json.loads(text)
    assert summary["shops"] == 100 and summary["scheduler"] == "local"
    for log in sorted((folder / "logs").glob("*.jsonl")):
        engine = Engine(routers[log.stem])
        events = [json.loads(line) for line in log.read_text().splitlines()]
        sequential = "".join(records_text(engine.feed(e)) for e in events)
        assert (folder / "out" / log.name).read_text() == sequential, log.stem
    assert summary["records"] == sum(1 for p in (folder / "out").glob("*.jsonl")
                                     for _ in p.read_text().splitlines())


def test_bulk_diff_names_the_shops_a_change_moves(tmp_path: Path) -> None:
    folder = tmp_path
    make_shops(folder, 12, 4, 1200)
    new = folder / "new"
    new.mkdir()
    for i, policy in enumerate(sorted((folder / "policies").glob("*.yaml"))):
        text = policy.read_text()
        if i % 2:  # every other shop stops routing by source group
            text = text.replace("  - bindings\n", "")
        (new / policy.name).write_text(text)
    argv = ("diff", str(folder / "policies"), str(new), "--log", str(folder / "logs"),
            "--format", "json")
    status, text = _run(*argv, "--scheduler", "processes", "--workers", "2")
    parallel = json.loads(text)
    _, text = _run(*argv, "--scheduler", "sync")
    sequential = json.loads(text)
    assert parallel["by_shop"] == sequential["by_shop"]
    changed = {r["shop"] for r in sequential["by_shop"] if r["changed"]}
    assert status == (1 if changed else 0)
    assert changed and changed <= {f"shop-{i:03d}" for i in range(1, 12, 2)}


def test_a_log_with_no_policy_is_unusable_input(folder: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stranger.jsonl").write_text("")
    status = main(["simulate", str(folder / "policies"), "--log", str(tmp_path),
                   "--scheduler", "sync"])
    assert status == 2 and "no policy for shop 'stranger'" in capsys.readouterr().err
