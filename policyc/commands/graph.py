"""`policyc graph`: the decision graph of a policy as DOT, Mermaid or a self-contained HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..api import decide, state
from ..compiler import compile_file, render
from ..compiler.render_graph import FORMATS, highlight_of
from ..compiler.render_graph import render as render_graph
from ..dsl.diagnostic import has_errors
from ..dsl.load import display_name
from ..runtime.inputs import InputError, read_json
from ..runtime.router import Router
from ..runtime.source_files import STDIN, label
from .output import Stop, add_lang, language, policy_inputs, refuse_inputs, write_output


def graph_command(args: argparse.Namespace) -> int:
    """policyc graph POLICY [--format F] [-o FILE]: write the graph; exit 1 when the policy has
    errors (the graph is still written when the compiler got as far as building it)."""
    lang = language(args)
    result = compile_file(args.policy)
    graph = result.compilation.graph if result.compilation else None
    errors = has_errors(result.diagnostics)
    if errors:
        sys.stderr.write(render.text(result.diagnostics, result.texts, lang))
    if graph is None:
        return 2 if any(d.code == "E100" for d in result.diagnostics) else 1
    highlight = None
    if (args.state is None) != (args.event is None):
        raise Stop("policyc graph: --state and --event go together\n")
    if str(args.state) == str(args.event) == STDIN:
        raise Stop("policyc graph: only one of --state and --event can be - (standard input)\n")
    if args.state is not None and result.artifact is not None:
        try:
            router = Router(result.artifact)
            shop = state(router, read_json(args.state, "state"), label(args.state))
            decision = decide(router, shop, read_json(args.event, "event"), trace=True,
                              where=label(args.event))
        except (InputError, ValueError) as err:
            raise Stop(f"policyc graph: {err}\n") from None
        highlight = highlight_of(decision.to_dict("full"), lang)
    # Only the policy's own text goes into the page: an included roster or pins file
    # may hold buyer ids or worse, and the graph links to policy lines only.
    name = display_name(args.policy)
    own = {name: result.texts[name]} if name in result.texts else {}
    text = render_graph(graph, args.format, highlight=highlight, title=name, texts=own,
                        lang=lang)
    if args.output is None:
        sys.stdout.write(text)
        return 1 if errors else 0
    inputs = policy_inputs(args.policy, result.texts)
    inputs += [(f"the {flag} input", path) for flag, path in
               (("--state", args.state), ("--event", args.event)) if path is not None]
    refuse_inputs("graph", {"-o": args.output}, inputs)
    write_output(args.output, text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 1 if errors else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `graph` to the command line."""
    p = sub.add_parser("graph", help="draw a policy's decision graph (DOT, Mermaid or HTML)")
    p.add_argument("policy", type=Path)
    p.add_argument("--format", choices=FORMATS, default="dot")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="write to this file instead of standard output")
    p.add_argument("--state", type=Path, help="with --event: highlight this message's path")
    p.add_argument("--event", type=Path, help="one message event (JSON) to decide and highlight")
    add_lang(p)
    p.set_defaults(run=graph_command)
