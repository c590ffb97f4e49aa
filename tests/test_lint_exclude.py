"""Lint with `exclude` steps: an excluded channel needs no binding; a binding behind it is dead."""

from __future__ import annotations

from pathlib import Path

from policyc.compiler import compile_file

POLICY = """\
policyc: 1
shop: {id: s, timezone: Asia/Shanghai, sources: [micro_mall, wechat_oa]}
roster:
  - {id: boss, role: main, created_at: "2020-01-01T00:00:00+08:00"}
  - {id: amy, created_at: "2020-01-02T00:00:00+08:00"}
groups:
  mall: {members: [amy], sources: [micro_mall]}
bindings:
  - when: source == wechat_oa
    to: [mall]
route:
  - step: exclude
    when: source == wechat_oa
  - bindings
  - other_online
  - stage
"""


def test_excluded_source_is_covered_and_its_binding_is_dead(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY, encoding="utf-8")
    found = [(d.code, d.span.line, d.message) for d in compile_file(path).diagnostics]
    assert not [f for f in found if f[0] in ("W305", "W306")]
    shadowed = [f for f in found if f[0] == "W304"]
    assert len(shadowed) == 1 and shadowed[0][1] == 9 and "excludes" in shadowed[0][2]


def test_without_the_exclude_step_the_source_is_bound(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.replace("  - step: exclude\n    when: source == wechat_oa\n", ""),
                    encoding="utf-8")
    assert not [d for d in compile_file(path).diagnostics if d.code.startswith("W")]
