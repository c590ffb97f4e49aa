"""Bearer tokens: each one scoped to a shop, or `*` for an admin; kept as SHA-256 digests only.

The tokens come from a file (`--tokens FILE`) or the environment
(`POLICYC_TOKENS`), one `SCOPE TOKEN` pair a line (`;` also separates pairs in
the environment), `#` starting a comment. A token is never logged or echoed:
only its digest is kept in memory, and messages name the scope, not the token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

ADMIN = "*"
MAX_FILE = 1 << 20


class TokenError(ValueError):
    """A tokens file or variable that cannot be used; the message says where."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tokens:
    """Which scopes each token digest opens."""

    scopes: dict[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, header: str | None, shop: str) -> int:
        """200 when the Authorization header opens `shop`; 401 no or unknown token; 403
        a token for another shop."""
        if not header or not header.startswith("Bearer ") or not header[7:].strip():
            return 401
        scopes = self.scopes.get(digest(header[7:].strip()))
        if scopes is None:
            return 401
        return 200 if ADMIN in scopes or shop in scopes else 403

    def admin(self, header: str | None) -> bool:
        """The header holds an admin token."""
        return self.allows(header, "") == 200


def parse(text: str, where: str) -> Tokens:
    """Tokens from `SCOPE TOKEN` lines; TokenError locates a bad line (never echoing it)."""
    scopes: dict[str, set[str]] = {}
    for number, line in enumerate(text.replace(";", "\n").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise TokenError(f"{where}:{number}: expected `SCOPE TOKEN` (a shop id or `*`, "
                             "then the token)")
        scope, token = parts
        if len(token) < 16:
            raise TokenError(f"{where}:{number}: the token for {scope} is shorter than 16 "
                             "characters")
        scopes.setdefault(digest(token), set()).add(scope)
    if not scopes:
        raise TokenError(f"{where}: no token (give at least one `SCOPE TOKEN` line)")
    return Tokens({d: frozenset(s) for d, s in scopes.items()})


def load(path: Path | None, environ: dict[str, str]) -> Tokens:
    """Tokens from `path` when given, else from POLICYC_TOKENS; TokenError if neither."""
    if path is not None:
        try:
            if not path.is_file() or path.stat().st_size > MAX_FILE:
                raise TokenError(f"{path}: not a regular file under 1 MiB")
            return parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as err:
            raise TokenError(f"{path}: cannot read: {err}") from None
    if environ.get("POLICYC_TOKENS"):
        return parse(environ["POLICYC_TOKENS"], "POLICYC_TOKENS")
    raise TokenError("no tokens: give --tokens FILE or set POLICYC_TOKENS "
                     "(`SHOP TOKEN` pairs, `*` for an admin)")
