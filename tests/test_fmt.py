"""`policyc fmt`: idempotent, keeps every comment, and never changes what a policy means.

"Means" is the compiled artifact with its source spans, file names and hash
taken out. The shipped policies and a hypothesis corpus of small policies
(keys in any order, expressions spaced and quoted any way, comments anywhere)
are checked; `tests/fmt/unformatted.diff` is the golden `--check` output
(refresh with `POLICYC_REGOLD=1 .venv/bin/pytest tests/test_fmt.py`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import cast

import pytest
import yaml
from goldens import assert_golden
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.cli import main
from policyc.commands.check import policy_files
from policyc.compiler import compile_file
from policyc.dsl.format import format_text

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fmt"
SHIPPED = policy_files([REPO / "policies"])[0]
_SPAN = re.compile(r"^.+\.ya?ml:\d+:\d+$")
_COMMENT = re.compile(r"(?:^|\s)(#.*)$")
_QUOTED = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^']|'')*'""")


def meaning(value: object) -> object:
    """An artifact without what formatting may change: spans, file names and the hash."""
    if isinstance(value, dict):
        return {k: meaning(v) for k, v in value.items()
                if k not in ("policy", "file", "files", "span")}
    if isinstance(value, list):
        return [meaning(v) for v in value]
    return "<span>" if isinstance(value, str) and _SPAN.match(value) else value


def comments(text: str) -> Counter[str]:
    """Every comment's text (a rough reader: quoted strings are skipped, nothing else is)."""
    return Counter(m.group(1).rstrip() for line in text.splitlines()
                   if (m := _COMMENT.search(_QUOTED.sub("''", line))))


def formatted(text: str, name: str = "p.yaml") -> str:
    result = format_text(text, name)
    assert result.text is not None, result.diagnostics
    return result.text


def assert_same_meaning(before: Path, after: Path) -> None:
    a, b = compile_file(before), compile_file(after)
    assert sorted(d.code for d in a.diagnostics) == sorted(d.code for d in b.diagnostics)
    assert meaning(a.artifact) == meaning(b.artifact)


# -- shipped policies ------------------------------------------------------------------

def test_there_are_shipped_policies() -> None:
    assert any(p.name == "shopee.yaml" for p in SHIPPED)


@pytest.mark.parametrize("policy", SHIPPED, ids=lambda p: p.name)
def test_shipped_policy_formats_idempotently_and_keeps_comments(policy: Path) -> None:
    text = policy.read_text(encoding="utf-8")
    once = formatted(text)
    assert formatted(once) == once
    assert comments(once) == comments(text)


@pytest.mark.parametrize("policy", SHIPPED, ids=lambda p: p.name)
def test_shipped_policy_means_the_same_after_fmt(policy: Path, tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(REPO / "policies", copy)  # included files come along
    assert main(["fmt", str(copy)]) == 0
    assert main(["fmt", "--check", str(copy)]) == 0
    assert_same_meaning(policy, copy / policy.relative_to(REPO / "policies"))


# -- the command line ------------------------------------------------------------------

def test_check_prints_the_golden_diff(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    status = main(["fmt", "--check", "tests/fmt/unformatted.yaml"])
    out = capsys.readouterr().out
    assert status == 1
    assert_golden(FIXTURES / "unformatted.diff", out)


def test_fmt_rewrites_then_check_passes(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    shutil.copy(FIXTURES / "unformatted.yaml", target)
    assert main(["fmt", str(target)]) == 0
    assert main(["fmt", "--check", str(target)]) == 0
    assert_same_meaning(FIXTURES / "unformatted.yaml", target)


# -- line endings and block scalars (issues 8 and 14) ------------------------------------

@pytest.mark.parametrize("policy", SHIPPED, ids=lambda p: p.name)
def test_check_passes_on_a_crlf_copy_of_a_formatted_policy(policy: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    target = tmp_path / policy.name
    for include in policy.parent.glob("*.yaml"):  # the includes it names, beside it
        shutil.copy(include, tmp_path / include.name)
    target.write_bytes(policy.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["fmt", "--check", str(target)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_fmt_rewrites_a_file_keeping_its_line_endings(newline: str, tmp_path: Path) -> None:
    source = (FIXTURES / "unformatted.yaml").read_text(encoding="utf-8")
    target = tmp_path / "p.yaml"
    target.write_bytes(source.replace("\n", newline).encode())
    assert main(["fmt", str(target)]) == 0
    written = target.read_bytes().decode()
    assert written == formatted(source).replace("\n", newline)
    assert main(["fmt", "--check", str(target)]) == 0


def test_fmt_keeps_a_byte_order_mark(tmp_path: Path) -> None:
    source = (FIXTURES / "unformatted.yaml").read_text(encoding="utf-8")
    target = tmp_path / "p.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode())
    assert main(["fmt", str(target)]) == 0
    written = target.read_bytes()
    assert written == b"\xef\xbb\xbf" + formatted(source).replace("\n", "\r\n").encode()
    assert main(["fmt", "--check", str(target)]) == 0


def test_a_comment_on_a_block_scalar_line_is_kept(tmp_path: Path) -> None:
    text = (
        "policyc: 1\n"
        "auto_replies:\n"
        "  queued:\n"
        "    text: |  # note: shown while the buyer waits\n"
        "      please wait,\n"
        "      an agent comes soon\n"
        "    enabled: true\n"
    )
    assert formatted(text) == (
        "policyc: 1\n"
        "\n"
        "auto_replies:\n"
        "  queued:\n"
        "    enabled: true\n"
        '    text: "please wait,\\nan agent comes soon\\n"  # note: shown while the buyer waits\n'
    )
    folded = text.replace("text: |", "text: >-")
    assert "# note: shown while the buyer waits" in formatted(folded)
    target = tmp_path / "p.yaml"
    target.write_text(text, encoding="utf-8")
    assert main(["fmt", str(target)]) == 0
    assert "# note: shown while the buyer waits" in target.read_text(encoding="utf-8")


def test_folders_hold_only_policies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "roster.yaml").write_text("roster:\n-   {id: a}\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text(formatted((FIXTURES / "unformatted.yaml").read_text()))
    assert main(["fmt", "--check", str(tmp_path)]) == 0
    assert (tmp_path / "roster.yaml").read_text() == "roster:\n-   {id: a}\n"


@pytest.mark.parametrize(("text", "status", "located"), [
    ("policyc: 1\nshop: [a\n", 2, ":3:1: error[E101]"),
    ("policyc: 1\nroute:\n  - step: pin\n    when: source = x\n", 1, ":4:18: error[E110]"),
])
def test_bad_input_is_located(text: str, status: int, located: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "p.yaml"
    target.write_text(text, encoding="utf-8")
    assert main(["fmt", str(target)]) == status
    out = capsys.readouterr().out
    assert located in out and "Traceback" not in out
    assert target.read_text(encoding="utf-8") == text


def test_missing_file_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml:1:1: error[E100]" in capsys.readouterr().out


def test_anchors_are_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "p.yaml"
    target.write_text("policyc: 1\nx: &a [1]\ny: *a\n", encoding="utf-8")
    assert main(["fmt", str(target)]) == 2
    assert "p.yaml:2:4: fmt cannot rewrite YAML anchors" in capsys.readouterr().err


# -- expressions -----------------------------------------------------------------------

@pytest.mark.parametrize(("written", "canonical"), [
    ("source==product_page", "source == product_page"),
    ("source in{a,b,}", "source in {a, b}"),
    ("not(wants_human)and(a or b)", "not wants_human and (a or b)"),
    ("(a and b) and c", "(a and b) and c"),
    ("a or b and c", "a or b and c"),
    ("time in 9:00..21:30", "time in 09:00..21:30"),
    ("x  !=   'y'", 'x != "y"'),
    ("not not a", "not not a"),
    ("true", "true"),
])
def test_expressions_print_canonically(written: str, canonical: str) -> None:
    text = "policyc: 1\nroute:\n  - step: pin\n    when: " + repr(written) + "\n"
    out = formatted(text)
    assert yaml.safe_load(out)["route"][0]["when"] == (True if canonical == "true" else canonical)
    assert formatted(out) == out


# -- a corpus of small policies ----------------------------------------------------------

GAP = st.sampled_from(["", " ", "  "])
SPACE = st.sampled_from([" ", "  "])
SOURCES = ("product_page", "order_page", "live_story")


def _atoms() -> st.SearchStrategy[str]:
    src = st.sampled_from(SOURCES)
    return st.one_of(
        st.builds(lambda a, b, s: f"source{a}=={b}{s}", GAP, GAP, src),
        st.builds(lambda a, b, c, s, t: f"source{a}in{b}{{{c}{s},{b}{t}{c}}}", SPACE, GAP, GAP,
                  src, src),
        st.just("wants_human"),
        st.builds(lambda a, t: f"time{a}in{a}{t}", SPACE,
                  st.sampled_from(["9:00..18:00", "09:00 .. 21:30", "22:00..06:00"])),
        st.builds(lambda a, b: f"order.state{a}!={b}shipped", GAP, GAP),
        st.builds(lambda a, b: f"day{a}in{b}{{mon,{b}sat}}", SPACE, GAP),
    )


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda x, y, a, op: f"{x}{a}{op}{a}{y}", inner, inner, SPACE,
                  st.sampled_from(["and", "or"])),
        st.builds(lambda x, a: f"not{a}{x}", inner, SPACE),
        st.builds(lambda x, a: f"({a}{x}{a})", inner, GAP),
    )


EXPRESSIONS = st.recursive(_atoms(), _combine, max_leaves=4)


def _scalar(text: str, style: str) -> str:
    if style == "plain" and yaml.safe_load(f"k: {text}") == {"k": text}:
        return text
    return f'"{text}"' if style == "double" else f"'{text}'"


@st.composite
def policies(draw: st.DrawFn) -> str:
    """A small policy as text: sections, keys and list items in drawn orders and styles."""
    comment = st.sampled_from(["", "", "# why", "# S5: see ROUTING.md"])
    quote = st.sampled_from(["plain", "single", "double"])

    def mapping(pairs: list[tuple[str, str]], indent: str, flow: bool) -> str:
        pairs = draw(st.permutations(pairs))
        if flow:
            return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        lines = [f"{k}: {v}" + (f"  {c}" if (c := draw(comment)) else "") for k, v in pairs]
        return ("\n" + indent).join(lines)

    agents = ["boss", *draw(st.lists(st.sampled_from(["amy", "bob", "cy"]), min_size=1,
                                     max_size=3, unique=True))]
    roster = []
    for i, agent in enumerate(agents):
        pairs = [("id", agent), ("created_at", f'"2023-0{i + 1}-01T09:00:00+08:00"')]
        if agent == "boss":
            pairs.append(("role", "main"))
        roster.append("- " + mapping(pairs, "    ", draw(st.booleans())))
    grouped = draw(st.lists(st.sampled_from(agents[1:]), unique=True))
    groups = [f"g{i}: " + mapping([("members", f"[{a}]"), ("sources", f"[{s}]")], "    ", True)
              for i, (a, s) in enumerate(zip(grouped, SOURCES, strict=False))]
    bindings = [
        "- " + mapping([("when", _scalar(draw(EXPRESSIONS), draw(quote))), ("to", f"[g{i}]")],
                       "    ", False)
        for i in draw(st.lists(st.sampled_from(range(len(groups))), max_size=2))
    ] if groups else []
    steps = []
    for kind in draw(st.lists(st.sampled_from(["recent_contact", "bindings", "other_online",
                                               "main_account"]), unique=True)):
        pairs = [("step", kind)]
        if draw(st.booleans()):
            pairs.append(("when", _scalar(draw(EXPRESSIONS), draw(quote))))
        if kind == "recent_contact" and draw(st.booleans()):
            pairs.append(("window", draw(st.sampled_from(["72h", "3d", "90m"]))))
        steps.append("- " + (kind if len(pairs) == 1 and draw(st.booleans())
                             else mapping(pairs, "    ", False)))
    steps.append("- " + draw(st.sampled_from(["stage", "{step: stage}", "queue"])))
    shop = mapping([("id", "s"), ("timezone", "Asia/Taipei"),
                    ("sources", "[" + ", ".join(SOURCES) + "]")], "  ", False)
    sections = {
        "policyc": "1", "shop": "\n  " + shop,
        "roster": "\n" + "\n".join("  " + r for r in roster),
        "route": "\n" + "\n".join("  " + s for s in steps),
        "selection": "\n  strategy: " + draw(st.sampled_from(["fewest_unread", "balanced"])),
    }
    if groups:
        sections["groups"] = "\n" + "\n".join("  " + g for g in groups)
    if bindings:
        sections["bindings"] = "\n" + "\n".join("  " + b for b in bindings)
    out = []
    for key in draw(st.permutations(list(sections))):
        if c := draw(comment):
            out.append(c)
        out.append(f"{key}: {sections[key]}")
        if draw(st.booleans()):
            out.append("")
    return "\n".join(out) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_corpus_formats_idempotently_and_means_the_same(text: str) -> None:
    once = formatted(text)
    assert formatted(once) == once
    assert comments(once) == comments(text)
    with tempfile.TemporaryDirectory() as tmp:
        before, after = Path(tmp) / "before.yaml", Path(tmp) / "after.yaml"
        before.write_text(text, encoding="utf-8")
        after.write_text(once, encoding="utf-8")
        result = compile_file(before)
        assert result.artifact is not None, [str(d) for d in result.diagnostics]
        assert_same_meaning(before, after)


# -- any YAML: layout changes, data and comments do not ---------------------------------

SCALARS = st.sampled_from(["v", "two words", "'it''s'", '"d q"', "12", "on", "null", "",
                           "日本語", '"a # b"', "x-y", "'[x]'", "3d", "09:00", "-1.5", "😀 x"])
TREES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "id", "x_1", "12", "'q k'", "日"]), inner,
                    max_size=3)), max_leaves=12)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """A mapping written in drawn styles: flow or block, indents of 2 or 4, comments, blanks."""
    note = st.sampled_from(["", "", "", "# n", "#tight", "# 注释", "# 😀"])

    def flow(node: object) -> str:
        if isinstance(node, dict):
            return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in node.items()) + "}"
        if isinstance(node, list):
            return "[" + ", ".join(flow(v) for v in node) + "]"
        return str(node) or "''"

    def inline(text: str) -> str:
        c = draw(note)
        return f"{text}{' ' * draw(st.integers(1, 6))}{c}" if c else text

    def block(node: object, indent: int) -> list[str]:
        pad, lines = " " * indent, []
        items = node.items() if isinstance(node, dict) else enumerate(cast("list[object]", node))
        for key, value in items:
            if c := draw(note):
                lines.append(pad + c)
            if draw(st.booleans()) and draw(st.booleans()):
                lines.append("")
            head = pad + (f"{key}:" if isinstance(node, dict) else "-")
            if not isinstance(value, dict | list) or not value or draw(st.booleans()):
                text = flow(value) if isinstance(value, dict | list) else str(value)
                lines.append(inline(f"{head} {text}" if text else head))
                continue
            sub = block(value, indent + 2)
            if head.endswith("-") and sub[0].strip()[:1] not in ("#", "") and draw(st.booleans()):
                lines.append(pad + "- " + sub[0][indent + 2:])  # `- k: v` / `- - v`
                lines.extend(sub[1:])
                continue
            step = draw(st.sampled_from([2, 4]))
            lines.append(inline(head))
            lines.extend(block(value, indent + step))
        return lines

    tree = draw(st.dictionaries(st.sampled_from(["a", "b", "c", "policyc"]), TREES,
                                min_size=1, max_size=4))
    return "\n".join(block(tree, 0)) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_texts())
def test_any_yaml_keeps_its_data_and_comments(text: str) -> None:
    once = formatted(text)
    assert formatted(once) == once
    assert yaml.safe_load(once) == yaml.safe_load(text)
    assert comments(once) == comments(text)


PIECES = st.sampled_from([*"ab:- #{}[],'\"\n\t|>&*!?%@`~.0123\\", "\u2028", "\x85", "😀",
                          "policyc: 1\n", "when: ", "route:\n  - ", "\r\n"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=60).map("".join))
def test_any_text_formats_or_is_refused_without_raising(text: str) -> None:
    result = format_text(text, "f.yaml")
    if result.text is not None:
        assert format_text(result.text, "f.yaml").text == result.text
    else:
        assert result.diagnostics or result.refused
