"""`policyc serve POLICY...`: route live over HTTP, many shops per process (policyc/serve/)."""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from ..runtime.router import Router
from ..runtime.trace import LEVELS
from .check import policy_files
from .output import Stop, load_policy


def _routers(paths: list[Path]) -> dict[str, Router]:
    """Each policy's router by its shop id; two policies for one shop are an error."""
    files, problems = policy_files(paths)
    if problems:
        raise Stop("".join(f"{p.span.file}: {p.message}\n" for p in problems))
    if not files:
        raise Stop("policyc serve: no policy files found (a policy has a `policyc:` key)\n")
    routers: dict[str, Router] = {}
    where: dict[str, Path] = {}
    for path in files:
        router = load_policy(path, "serve", 2)
        shop = router.artifact["shop"]["id"]
        if shop in routers:
            raise Stop(f"{path}: shop {shop!r} is already served by {where[shop]}\n")
        routers[shop], where[shop] = router, path
    return routers


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, found {text!r}")
    return value


def serve_command(args: argparse.Namespace) -> int:
    """Start the service; returns when it is stopped (SIGINT / SIGTERM)."""
    try:
        import uvicorn

        from ..serve.app import Config, build_app
    except ImportError as err:
        raise Stop(f"policyc serve: {err.name} is not installed; install the serve extra "
                   "(pip install 'policyc[serve]')\n") from None
    from ..serve.auth import TokenError, load
    from ..serve.stores import StoreError, open_store

    routers = _routers(args.policy)
    try:
        tokens = load(args.tokens, dict(os.environ))
    except TokenError as err:
        raise Stop(f"policyc serve: {err}\n") from None
    address = args.advertise or f"http://{args.host}:{args.port}"
    instance = args.instance or f"{socket.gethostname()}:{args.port}"
    if args.lease <= 0:
        raise Stop("policyc serve: --lease must be more than 0 seconds\n")
    try:
        store = open_store(args.store, instance, address, args.lease)
    except StoreError as err:
        raise Stop(f"policyc serve: {err}\n") from None
    config = Config(routers, args.store, tokens, address, instance,
                    None if args.trace == "none" else args.trace, args.max_body,
                    args.lease, args.tick, args.clock_lag)
    uvicorn.run(build_app(config, store), host=args.host, port=args.port,
                log_level=args.log_level, access_log=args.access_log,
                timeout_graceful_shutdown=5)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve` to the command line."""
    p = sub.add_parser("serve", help="route live over HTTP (many shops, durable log)")
    p.add_argument("policy", type=Path, nargs="+",
                   help="policy files or folders; each policy serves its `shop.id`")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8181)
    p.add_argument("--store", default="sqlite:policyc-serve.sqlite",
                   help="sqlite:PATH (default, one process) or redis://HOST:PORT/DB "
                        "(several instances share the shops)")
    p.add_argument("--tokens", type=Path, metavar="FILE",
                   help="bearer tokens, `SHOP TOKEN` lines (`*` = admin); "
                        "default: the POLICYC_TOKENS variable")
    p.add_argument("--max-body", type=int, default=1 << 20, metavar="BYTES",
                   help="largest request body (default 1 MiB)")
    p.add_argument("--trace", choices=(*LEVELS, "none"), default="fails",
                   help="trace view kept in each record (default fails)")
    p.add_argument("--lease", type=_seconds, default=5.0, metavar="SECONDS",
                   help="Redis store: a shop's lease time; another instance takes over a "
                        "dead one's shops within it (default 5)")
    p.add_argument("--tick", type=_seconds, default=5.0, metavar="SECONDS",
                   help="the service clock's beat: time passes in every shop this often "
                        "(0: only events move time)")
    p.add_argument("--clock-lag", type=_seconds, default=2.0, metavar="SECONDS",
                   help="the clock runs this far behind the wall clock, so that events "
                        "stamped just before arriving are not late (default 2)")
    p.add_argument("--instance", help="this instance's name in leases "
                                      "(default HOSTNAME:PORT, so a restart keeps its shops)")
    p.add_argument("--advertise", metavar="URL",
                   help="the URL other instances send clients to (default http://HOST:PORT)")
    p.add_argument("--log-level", default="warning",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument("--access-log", action="store_true", help="log each request (paths only)")
    p.set_defaults(run=serve_command)
