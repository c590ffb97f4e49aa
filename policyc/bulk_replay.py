"""Bulk replay: `simulate` and `diff` over a folder of shops' logs, the shops in parallel on Dask.

A shop is the unit of work: its log is replayed through its own engine from
start to end, so shops share nothing and a shop's records are those of a
sequential run whatever the order the shops finish in (each is written to
its own file, `OUT/SHOP.jsonl`). The policies are compiled once, here, and
each task carries its compiled artifact, so workers need the logs only
(on a real cluster, on a file system they all see).

Why Dask and not Ray: Dask is pure Python wheels that install from PyPI in
seconds and run in this process's own interpreter (`dask.distributed`'s
LocalCluster for local processes, the same Client for a remote scheduler's
address); Ray ships large binary wheels and needs its own runtime (raylet,
GCS) started beside the program. Shops are independent, coarse tasks: Dask's
futures over processes are all this needs.

Schedulers (`--scheduler`): `local` (default, a LocalCluster of `--workers`
processes), `processes` (Dask's multiprocessing scheduler, no cluster),
`sync` (one process, in order: the sequential reference), or the address of
a running scheduler (`tcp://HOST:8786`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runtime.engine import Engine
from .runtime.inputs import InputError
from .runtime.journal import records_text
from .runtime.records import DECIDED
from .runtime.router import Router

# `simulate` and `diff` register `add_flags` on every start, so the compiler, the
# command helpers and Dask are imported only by the functions that use them.

SCHEDULERS = ("local", "processes", "sync")


@dataclass(frozen=True)
class Job:
    """One shop's replay: its log and the compiled policy (or two, for a diff)."""

    shop: str
    log: str
    artifact: dict[str, Any]
    trace: str | None
    new: dict[str, Any] | None = None
    output: str | None = None  # the folder the worker writes SHOP.jsonl to


def add_flags(p: argparse.ArgumentParser) -> None:
    """The flags `simulate` and `diff` take when `--log` is a folder."""
    p.add_argument("--scheduler", default="local", metavar="local|processes|sync|ADDRESS",
                   help="with --log FOLDER: where the shops run (default: a local Dask "
                        "cluster; `sync` runs them one after another)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="with --scheduler local/processes: worker processes (default: cores)")


# -- pairing shops with logs ---------------------------------------------------------------
def routers(policy: Path, command: str) -> dict[str, Router]:
    """The policies of a file or folder (YAML policies, or compiled `.json` artifacts, which
    need no compiling again), by shop id."""
    from .commands.check import policy_files
    from .commands.output import Stop, load_policy

    files, problems = policy_files([policy])
    if policy.is_dir():
        files += sorted(p for p in policy.glob("*.json") if p.is_file())
    if problems or not files:
        raise Stop(f"{policy}: no policy files found\n")
    return {r.artifact["shop"]["id"]: r for r in (load_policy(f, command, 2) for f in files)}


def logs(folder: Path) -> dict[str, Path]:
    """The logs of a folder, `SHOP.jsonl` each, by shop id."""
    from .commands.output import Stop

    found = {p.stem: p for p in sorted(folder.glob("*.jsonl")) if p.is_file()}
    if not found:
        raise Stop(f"{folder}: no `SHOP.jsonl` logs in this folder\n")
    return found


def policy_of(shop: str, log: Path, by_shop: dict[str, Router]) -> Router:
    """A log's policy: the one for its shop id, or the only policy given."""
    from .commands.output import Stop

    if shop in by_shop:
        return by_shop[shop]
    if len(by_shop) == 1:
        return next(iter(by_shop.values()))
    raise Stop(f"{log}: no policy for shop {shop!r} (policies for: "
               f"{', '.join(sorted(by_shop))})\n")


# -- the tasks (run on the workers) ------------------------------------------------------------
def simulate_shop(job: Job) -> dict[str, Any]:
    """Replay one shop's log; write its records to `OUTPUT/SHOP.jsonl` (whole: a temporary
    file, then renamed) and return the counts. The worker writes, so the records never
    travel through the scheduler."""
    from .commands.simulate import numbered_log

    router = Router(job.artifact)
    events = [e for _, e in numbered_log(Path(job.log), router.agent_ids, set(router.groups))]
    engine = Engine(router, trace=job.trace)
    records = [r for e in events for r in engine.feed(e)]
    if job.output is not None:
        folder = Path(job.output)
        temp = folder / f".{job.shop}.jsonl.tmp"
        temp.write_text(records_text(records), encoding="utf-8")
        os.replace(temp, folder / f"{job.shop}.jsonl")
    return {"shop": job.shop, "events": len(events), "records": len(records),
            "outcomes": dict(Counter(r["outcome"] for r in records if r["kind"] in DECIDED))}


def diff_shop(job: Job) -> dict[str, Any]:
    """Replay one shop's log under both policies: how many messages route differently."""
    from .commands.simulate import numbered_log
    from .diffing import replay_diff

    assert job.new is not None
    old, new = Router(job.artifact), Router(job.new)
    events = [e for _, e in numbered_log(Path(job.log), old.agent_ids & new.agent_ids,
                                         set(old.groups) & set(new.groups))]
    r = replay_diff(old, new, events, trace=None)
    return {"shop": job.shop, "events": r.events, "messages": r.messages,
            "changed": len(r.changes),
            "reasons": [{"old": o, "new": n, "messages": k} for o, n, k in r.reasons]}


# -- running them -----------------------------------------------------------------------------
def run(task: Callable[[Job], dict[str, Any]], jobs: list[Job], scheduler: str,
        workers: int | None) -> list[dict[str, Any]]:
    """Every job's result, in the jobs' order, on the scheduler named."""
    if scheduler == "sync":
        return [task(j) for j in jobs]
    if scheduler == "processes":
        from dask.base import compute
        from dask.delayed import delayed

        parts = [delayed(task)(j) for j in jobs]
        return list(compute(*parts, scheduler="processes", num_workers=workers))
    from dask.distributed import Client, LocalCluster

    results: Any
    if scheduler == "local":
        quiet: dict[str, Any] = {"dashboard_address": None}  # no web dashboard
        with LocalCluster(n_workers=workers or os.cpu_count() or 2, threads_per_worker=1,
                          processes=True, **quiet) as cluster, Client(cluster) as client:
            results = client.gather(client.map(task, jobs, pure=False))
    else:
        with Client(scheduler) as client:
            results = client.gather(client.map(task, jobs, pure=False))
    return list(results)


def _jobs(args: argparse.Namespace, command: str, new: Path | None = None,
          output: Path | None = None) -> list[Job]:
    old = routers(args.policy if new is None else args.old, command)
    newer = routers(new, command) if new is not None else None
    out = []
    for shop, log in logs(args.log).items():
        artifact = policy_of(shop, log, old).artifact
        other = policy_of(shop, log, newer).artifact if newer is not None else None
        out.append(Job(shop, str(log), artifact, getattr(args, "trace", None), other,
                       None if output is None else str(output)))
    return out


def _gather(task: Callable[[Job], dict[str, Any]], jobs: list[Job],
            args: argparse.Namespace) -> tuple[list[dict[str, Any]], float]:
    from .commands.output import Stop

    started = time.perf_counter()
    try:
        results = run(task, jobs, args.scheduler, args.workers)
    except ImportError as err:
        raise Stop(f"policyc: bulk replay on Dask needs {err.name}; install the serve extra "
                   "(pip install 'policyc[serve]') or use --scheduler sync\n") from None
    except InputError as err:
        raise Stop(f"{err}\n") from None
    except OSError as err:  # an output not writable, a scheduler nobody answers at
        raise Stop(f"policyc: {err}\n") from None
    return results, time.perf_counter() - started


def simulate_folder(args: argparse.Namespace) -> int:
    """`policyc simulate POLICY|FOLDER --log FOLDER [-o OUTDIR]`: every shop's records."""
    from .commands.output import cannot_write

    if args.output is not None:
        try:
            args.output.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise cannot_write(args.output, err) from None
    jobs = _jobs(args, "simulate", output=args.output)
    results, seconds = _gather(simulate_shop, jobs, args)
    doc = {"shops": len(results), "events": sum(r["events"] for r in results),
           "records": sum(r["records"] for r in results), "scheduler": args.scheduler,
           "seconds": round(seconds, 3),
           "by_shop": {r["shop"]: {k: r[k] for k in ("events", "records", "outcomes")}
                       for r in results}}
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(f"simulated {doc['shops']} shops, {doc['events']} events, "
                         f"{doc['records']} records on {args.scheduler} in {seconds:.2f} s\n")
    return 0


def diff_folder(args: argparse.Namespace) -> int:
    """`policyc diff OLD NEW --log FOLDER`: per shop, the messages routed differently."""
    results, seconds = _gather(diff_shop, _jobs(args, "diff", new=args.new), args)
    changed = [r for r in results if r["changed"]]
    if args.format == "json":
        sys.stdout.write(json.dumps({"shops": len(results), "changed_shops": len(changed),
                                     "scheduler": args.scheduler, "seconds": round(seconds, 3),
                                     "by_shop": results}, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in changed:
            sys.stdout.write(f"{r['shop']}: {r['changed']} of {r['messages']} messages "
                             "route differently\n")
        sys.stdout.write(f"{len(changed)} of {len(results)} shops change "
                         f"({args.scheduler}, {seconds:.2f} s)\n")
    return 1 if changed else 0
