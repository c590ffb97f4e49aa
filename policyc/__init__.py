"""policyc: routing policies for customer-service chat, as code.

The package maps the project's folders: `policyc.dsl` (dsl/), `policyc.compiler`
(compiler/), `policyc.runtime` (runtime/); this front package holds the CLI.
"""

from __future__ import annotations

__version__ = "0.1.0"
