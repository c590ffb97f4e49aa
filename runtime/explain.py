"""Explanations for people: one decision like the self-check tool (T12), in their language.

The router records codes and figures as data in the trace; this module turns
them into sentences through the message catalogs (catalog.py, words.py), so the
same record reads in English, Simplified or Traditional Chinese. `why-not`
(T13) lives in why_not.py.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from .catalog import N_, say
from .decision import Decision
from .figures import SHOWN
from .vocabulary import REASONS
from .words import (
    FIELD_WORDS,
    FIGURE_WORDS,
    LEVELLED_WORDS,
    ORDER_STATE_WORDS,
    OUTCOME_WORDS,
    REASON_WORDS,
    SELECTION_WORDS,
    SOURCE_WORDS,
    STEP_RESULT_WORDS,
    WHY_WORDS,
)

Step = Mapping[str, Any]
_LABEL_WIDTH = 11

# How a failed condition reads, by its test (conditions.first_failure `test`).
_FAILED = {
    "in": N_("{field} is {actual}, not one of {values}"),
    "not_in": N_("{field} is {actual}, which is excluded ({values})"),
    "has": N_("{field} is {actual}, without {values}"),
    "cmp": N_("{field} is {actual}, expected {values}"),
    "window": N_("the time is {actual}, outside {values}"),
    "true": N_("{field} is true, expected false"),
    "false": N_("{field} is false, expected true"),
    "negated": N_("the condition holds, and the step asks for it not to (`not ...`)"),
}
# The router's own pseudo-conditions (not a `when:`), by field.
_STEP_FAILED = {
    "pin": N_("this buyer has no exclusive agent"),
    "recent_contact": N_("no recent contact within {window} (last: {actual})"),
    "available agents": N_("{actual} agents can take chats, not exactly one"),
    "bindings": N_("no binding matched ({count} tried)"),
}


def word(lang: str, table: Mapping[str, str], code: str | None) -> str:
    """The plain phrase for a code, or the code itself when the table has none."""
    if code is None:
        return "-"
    msgid = table.get(code)
    return say(lang, msgid) if msgid else code


def _value(lang: str, field: str, value: object) -> str:
    table = {"source": SOURCE_WORDS, "order.state": ORDER_STATE_WORDS}.get(field)
    if isinstance(value, list):
        return "{" + ", ".join(_value(lang, field, v) for v in value) + "}"
    return word(lang, table, str(value)) if table and value is not None else str(value)


def failed_text(lang: str, failed: Mapping[str, Any]) -> str:
    """Why a condition or a step's own test failed, from the trace's `failed` data."""
    field = str(failed["field"])
    if field == "recent_contact" and failed.get("window") == "any time":
        return say(lang, N_("this buyer was never served before (the window has no limit)"))
    if field in _STEP_FAILED:
        actual = failed["actual"]
        if actual in ("none", "none matched"):
            actual = say(lang, N_("none"))
        return say(lang, _STEP_FAILED[field], actual=actual,
                   window=failed.get("window", ""), count=failed.get("count", ""))
    test = failed.get("test")
    if field.startswith("calendar.") and test in ("true", "false"):
        return say(lang, N_("calendar `{name}` is closed now, expected open") if test == "false"
                   else N_("calendar `{name}` is open now, expected closed"), name=field[9:])
    if test in _FAILED:
        return say(lang, _FAILED[str(test)], field=word(lang, FIELD_WORDS, field),
                   actual=_value(lang, field, failed["actual"]),
                   values=_value(lang, field, failed.get("values", failed["expected"])))
    return say(lang, N_("{field} is {actual}, expected {expected}"), field=field,
               actual=failed["actual"], expected=failed["expected"])


def figure_text(lang: str, strategy: str, figures: Mapping[str, Any],
                names: Mapping[str, str] | None = None) -> str:
    """One candidate's figures under a strategy ("elly 1 unread", "a-chen 0.31")."""
    args = {k: ("-" if v is None else v) for k, v in figures.items()}
    args["agent"] = _who(names, str(figures["agent"]))
    if figures.get("level", figures.get("assigned")) != figures.get("assigned"):
        return say(lang, LEVELLED_WORDS[strategy], **args)  # Y6: joined level
    return say(lang, FIGURE_WORDS[strategy], **args)


def pick_text(lang: str, step: Step, names: Mapping[str, str] | None = None) -> str:
    """The agent choice: who won, on which figure, against whom, and the tie-break."""
    if step.get("pin") is not None or step.get("contact") is not None:
        return _direct_text(lang, step, names)
    if step.get("strategy") is None:  # one named agent (the main account): nothing compared
        kept = step.get("kept") or ["-"]
        return say(lang, N_("{agent} can take it — no matching needed"),
                   agent=_who(names, kept[0]))
    compared = step.get("compared") or []
    strategy = str(step.get("strategy") or "")
    selection = step.get("selection")
    text = say(lang, N_("picked {agent} by {selection}"), agent=_who(names, step.get("picked")),
               selection=word(lang, SELECTION_WORDS, strategy or selection))
    if len(compared) > 1:
        figures = [figure_text(lang, strategy, c, names) for c in compared[:SHOWN]]
        text = say(lang, N_("{text}: {figures}"), text=text, figures=say(
            lang, N_("{winner} against {others}"), winner=figures[0],
            others=say(lang, N_(", ")).join(figures[1:])))
    elif compared:
        text = say(lang, N_("{text}: {figures}"), text=text, figures=say(
            lang, N_("{winner}, the only one who could take it"),
            winner=figure_text(lang, strategy, compared[0], names)))
    tie = step.get("tie_break")
    if selection == "earliest_created" and isinstance(tie, Mapping):
        text = say(lang, N_("{text}; {more}"), text=text, more=say(
            lang, N_("tied, so {agent} (created {created}) before {other} "
                     "(created {other_created})"), **{
                         **tie, "agent": _who(names, tie["agent"]),
                         "other": _who(names, tie["other"])}))
    return text


def _direct_text(lang: str, step: Step, names: Mapping[str, str] | None = None) -> str:
    """A pin or a recent contact names its one agent: no matching needed."""
    pin, contact = step.get("pin"), step.get("contact") or {}
    if pin is not None:
        about = say(lang, N_("exclusive agent {agent} ({mode})"),
                    agent=_who(names, pin["agent"]), mode=pin["mode"])
    else:
        about = say(lang, N_("talked to {agent} {hours} hours ago"),
                    agent=_who(names, contact["agent"]), hours=contact["hours_ago"])
    if step.get("picked") or step.get("result") == "picked":
        return about + say(lang, N_(" — no matching needed"))
    return about


def _dropped_text(lang: str, step: Step, names: Mapping[str, str] | None = None) -> str:
    """Who could not take the chat and why (by name, or counted in a large pool)."""
    dropped, counts = step.get("dropped"), step.get("dropped_counts")
    unfit = step.get("unfit")  # with room, but not for this chat (`channels:`)
    named = [*(dropped if isinstance(dropped, list) else []),
             *(unfit if isinstance(unfit, list) else [])]
    parts = []
    if isinstance(counts, dict):
        parts = [say(lang, N_("{n} {why}"), n=n, why=word(lang, WHY_WORDS, why))
                 for why, n in counts.items()]
    parts += [say(lang, N_("{agent} ({why})"), agent=_who(names, d["agent"]),
                  why=word(lang, WHY_WORDS, d["why"])) for d in named]
    if not parts:
        return ""
    agents = say(lang, N_(", ")).join(parts)
    if step.get("result") == "nobody_available":
        return agents
    return say(lang, N_("could not take it: {agents}"), agents=agents)


def _outcome_text(lang: str, step: Step, names: Mapping[str, str] | None) -> str:
    text = word(lang, OUTCOME_WORDS, str(step["result"]))
    if step.get("waiting_for"):
        text += " " + say(lang, N_("(waiting for {agent})"),
                          agent=_who(names, step["waiting_for"]))
    return text


def step_text(lang: str, step: Step, names: Mapping[str, str] | None = None) -> str:
    """One trace step as a sentence: the step, what happened, and the figures behind it
    (`names`: agents' display names, shown beside their ids)."""
    if step["kind"] == "outcome":
        return _outcome_text(lang, step, names)
    if step.get("requirement") is not None or step.get("split") is not None:
        return _selection_rule_text(lang, step)
    if isinstance(step.get("targets"), Mapping):
        return _targets_text(lang, step["targets"])
    picked = step["result"] == "picked" and step["kind"] == "pick"
    parts = [] if picked else [word(lang, STEP_RESULT_WORDS, str(step["result"]))]
    failed = step.get("failed")
    if isinstance(failed, Mapping):
        parts.append(failed_text(lang, failed))
    if picked:
        parts.append(pick_text(lang, step, names))
    elif step.get("pin") is not None or step.get("contact") is not None:
        parts.append(_direct_text(lang, step, names))
    dropped = _dropped_text(lang, step, names)
    if dropped:
        parts.append(dropped)
    return say(lang, N_(" — ")).join(parts)


def _selection_rule_text(lang: str, step: Step) -> str:
    """A binding's requirement stage (how long the chat has waited, when it relaxes) or
    the group a T9 split drew for this buyer."""
    split = step.get("split")
    if isinstance(split, Mapping):
        weights = split.get("weights") or {}
        total = sum(weights.values()) or 1
        return say(lang, N_("split: this buyer draws {group} first (as {share} in 100 buyers do)"),
                   group=split["drawn"], share=round(100 * weights.get(split["drawn"], 0) / total))
    req = step["requirement"]
    if req.get("stage") is None:
        return say(lang, N_("requirement relaxed after {waited} s of waiting: anyone in the "
                            "targets"), waited=req.get("waited", 0))
    if req.get("relaxes_at") is None:
        return say(lang, N_("only agents meeting requirement {stage} (written at {span})"),
                   stage=int(req["stage"]) + 1, span=step.get("span", ""))
    return say(lang, N_("only agents meeting requirement {stage} (written at {span}) until "
                        "the chat has waited {relaxes} s (waited {waited} s)"),
               stage=int(req["stage"]) + 1, span=step.get("span", ""),
               relaxes=req["relaxes_at"], waited=req.get("waited", 0))


def _targets_text(lang: str, targets: Mapping[str, Any]) -> str:
    """A binding's timed targets: which were open after the chat's wait, and when the
    next one opens (escalation over time)."""
    opened = say(lang, N_(", ")).join(str(g) for g in targets.get("open") or [])
    if targets.get("next") is None:
        return say(lang, N_("timed targets: all open after {waited} s of waiting ({open})"),
                   waited=targets.get("waited", 0), open=opened)
    return say(lang, N_("timed targets: open after {waited} s of waiting: {open}; {next} "
                        "opens once the chat has waited {opens} s"),
               waited=targets.get("waited", 0), open=opened, next=targets["next"],
               opens=targets.get("opens_at"))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _line(lang: str, label: str, value: object) -> str:
    """`label: value`, the values lined up whatever the label's language."""
    shown = say(lang, label)
    return f"  {shown}{' ' * max(1, _LABEL_WIDTH - _width(shown))}{value}"


def _source(lang: str, event: Mapping[str, Any]) -> str:
    parts = [word(lang, SOURCE_WORDS, event.get("source"))]
    if event.get("item_id"):
        parts.append(say(lang, N_("item {id}"), id=event["item_id"]))
    if event.get("order_id"):
        parts.append(say(lang, N_("order {id}"), id=event["order_id"]))
    parts.append(say(lang, N_("order state: {state}"),
                     state=word(lang, ORDER_STATE_WORDS, event.get("order_state") or "none")))
    return say(lang, N_(", ")).join(parts)


def decision_text(decision: Decision, level: str = "fails", lang: str = "en",
                  names: Mapping[str, str] | None = None) -> str:
    """The decision as the self-check tool shows it: source, reason, agent, group, process."""
    record = dict(decision.to_dict(level), buyer=decision.buyer)
    return record_text(record, level if decision.trace is not None else None, lang, names)


def _head(lang: str, record: Mapping[str, Any]) -> str:
    head = say(lang, N_("buyer {buyer} at {at}"), buyer=record["buyer"], at=record["at"])
    if record.get("kind"):
        head += say(lang, N_(" — {kind}"), kind=record["kind"])
        cause = record.get("cause")
        if isinstance(cause, dict):
            head += " " + say(lang, N_("(after {type} at {at})"), type=cause.get("type"),
                              at=cause.get("at"))
    return head


def _who(names: Mapping[str, str] | None, agent: str | None) -> str:
    if agent is None:
        return "-"
    name = (names or {}).get(agent)
    return f"{name} ({agent})" if name and name != agent else agent


def record_text(record: Mapping[str, Any], level: str | None = "fails", lang: str = "en",
                names: Mapping[str, str] | None = None,
                pool_run: Mapping[str, Any] | None = None) -> str:
    """One routing record (a decision dict, or an engine record) for a person.

    `names` maps agent ids to display names; `pool_run` is the run a pool
    release came from (its slot, cap and scope are shown).
    """
    e = record.get("event") or {}
    lines = [_head(lang, record)]
    if "outcome" not in record:  # an engine record that routes nothing (closed, ...)
        lines.append(_line(lang, N_("agent:"), _who(names, record.get("agent"))))
        lines.append(_line(lang, N_("why:"), record.get("why") or "-"))
        if record.get("auto_replies"):  # Y11: a timeout close's notice to the buyer
            lines.append(_line(lang, N_("replies:"), ", ".join(record["auto_replies"])))
        return "\n".join(lines) + "\n"
    trace = record.get("trace") or []
    outcome: Step = next((s for s in reversed(trace) if s.get("kind") == "outcome"), {})
    if record.get("kind") == "transfer":
        target = e.get("to_agent") or e.get("to_group")
        lines.append(_line(lang, N_("transfer:"), say(
            lang, N_("{sender} forwarded the chat to {target}"),
            sender=_who(names, e.get("agent")), target=_who(names, target))))
    elif record.get("kind") == "initiated":  # T12: no source, no route walked
        lines.append(_line(lang, N_("source:"), say(
            lang, N_("none: {agent} started the chat with the buyer (not routed)"),
            agent=_who(names, record.get("agent")))))
    else:
        lines.append(_line(lang, N_("source:"), _source(lang, e)))
        lines.append(_line(lang, N_("intent:"), e.get("intent") or "-"))
    agent = _who(names, record["agent"])
    if outcome.get("waiting_for"):
        agent = say(lang, N_("- (waiting for {agent})"),
                    agent=_who(names, outcome["waiting_for"]))
    lines += [
        _line(lang, N_("outcome:"), word(lang, OUTCOME_WORDS, record["outcome"])
              + f" ({record['outcome']})"),
        _line(lang, N_("reason:"), say(lang, N_("{phrase} ({code}; {rules})"),
                                          phrase=word(lang, REASON_WORDS, record["reason"]),
                                          code=record["reason"],
                                          rules=REASONS.get(record["reason"], ""))),
        _line(lang, N_("agent:"), agent),
        _line(lang, N_("group:"), record["group"] or "-"),
        _line(lang, N_("selection:"), _selection(lang, record["selection"])),
    ]
    if pool_run is not None:
        lines.append(_line(lang, N_("pool run:"), say(
            lang, N_("slot {slot}, cap {cap}, scope {scope}, {distributed} handed out"),
            slot=pool_run.get("slot"), cap=pool_run.get("cap"), scope=pool_run.get("scope"),
            distributed=pool_run.get("distributed"))))
    if record.get("auto_replies"):
        lines.append(_line(lang, N_("replies:"), ", ".join(record["auto_replies"])))
    if record.get("why"):
        lines.append(_line(lang, N_("why:"), record["why"]))
    lines.append(_line(lang, N_("policy:"), record["policy"]))
    if level is not None and record.get("trace") is not None:
        lines.append(say(lang, N_("process ({level}):"), level=level))
        lines.extend(f"  [{s['span']}] {s['step']}: {step_text(lang, s, names)}" for s in trace)
    return "\n".join(lines) + "\n"


def _selection(lang: str, selection: str | None) -> str:
    if selection is None:
        return "-"
    return f"{word(lang, SELECTION_WORDS, selection)} ({selection})"


def rendered_decision(record: Mapping[str, Any], lang: str,
                      names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A decision or record for JSON output: its stable codes kept, the words added
    (`outcome_text`, `reason_text`, `selection_text` and each trace step's `text`)."""
    out = dict(record)
    if "outcome" in record:
        out["outcome_text"] = word(lang, OUTCOME_WORDS, record["outcome"])
        out["reason_text"] = word(lang, REASON_WORDS, record["reason"])
        out["selection_text"] = word(lang, SELECTION_WORDS, record.get("selection"))
    if record.get("trace") is not None:
        out["trace"] = [dict(s, text=step_text(lang, s, names)) for s in record["trace"]]
    return out
