"""A generated policy of `n` groups each overflowing to the next, for graph and layout tests."""

from __future__ import annotations


def overflow_chain(n: int, route: str, extra: tuple[str, ...] = (), bound: str = "g0") -> str:
    """Groups g0..g{n-1}, one agent each, g{i} overflowing to g{i+1}; `extra` lines are added
    under `groups:`, one binding sends product_page chats to `bound`, then `route`."""
    lines = ["policyc: 1", "shop: {id: s, timezone: UTC, sources: [product_page]}", "roster:",
             '  - {id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}']
    lines += [f'  - {{id: a{i}, created_at: "2024-01-01T09:00:00+08:00"}}' for i in range(n)]
    lines.append("groups:")
    for i in range(n):
        lines += [f"  g{i}:", f"    members: [a{i}]"]
        lines += [f"    overflow: [g{i + 1}]"] if i + 1 < n else []
    lines += [*extra, "bindings:", "  - when: source == product_page", f"    to: [{bound}]",
              f"route: {route}"]
    return "\n".join(lines) + "\n"
