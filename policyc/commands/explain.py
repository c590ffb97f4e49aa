"""`policyc explain` and `policyc why-not`: why a buyer went where it did, or gets nothing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..api import PolicyError, decide, load, state
from ..runtime.artifact import ArtifactError
from ..runtime.explain import decision_text, why_not, why_not_text
from ..runtime.inputs import InputError, read_json
from ..runtime.trace import LEVELS


def _dump(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def _fail(message: str, status: int) -> int:
    sys.stderr.write(message if message.endswith("\n") else message + "\n")
    return status


def explain_command(args: argparse.Namespace) -> int:
    """policyc explain POLICY --state S --event E."""
    try:
        router = load(args.policy)
        shop = state(router, read_json(args.state), str(args.state))
        decision = decide(router, shop, read_json(args.event), trace=True, where=str(args.event))
    except PolicyError as err:
        return _fail(err.report, 1)
    except (InputError, ArtifactError, ValueError) as err:
        return _fail(f"policyc explain: {err}", 2)
    if args.format == "json":
        _dump(decision.to_dict(args.level))
    else:
        sys.stdout.write(decision_text(decision, args.level))
    return 0


def why_not_command(args: argparse.Namespace) -> int:
    """policyc why-not POLICY --state S --agent A."""
    try:
        router = load(args.policy)
        shop = state(router, read_json(args.state), str(args.state))
    except PolicyError as err:
        return _fail(err.report, 1)
    except (InputError, ArtifactError, ValueError) as err:
        return _fail(f"policyc why-not: {err}", 2)
    causes = why_not(router, shop, args.agent)
    if args.format == "json":
        _dump({"agent": args.agent, "receives_chats": not causes, "causes": causes})
    else:
        sys.stdout.write(why_not_text(args.agent, causes))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `explain` and `why-not` to the command line."""
    p = sub.add_parser("explain", help="decide one event and show why")
    p.add_argument("policy", type=Path, help="policy file or compiled .json artifact")
    p.add_argument("--state", type=Path, required=True, help="state snapshot (JSON)")
    p.add_argument("--event", type=Path, required=True, help="one message event (JSON)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--level", choices=LEVELS, default="fails",
                   help="trace detail: summary, fails (why higher steps lost), full")
    p.set_defaults(run=explain_command)

    p = sub.add_parser("why-not", help="why an agent receives no new chats")
    p.add_argument("policy", type=Path)
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--agent", required=True)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=why_not_command)
