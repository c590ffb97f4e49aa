"""The words of the HTML pages (decision graph, simulate report, staffing sweep), in the catalogs.

Templates get `page_words(lang)`: the same keys in every language, each the
catalog's text for the reader's language, so a page is translated the way the
command line is (runtime/catalog.py). Keys name what the text is for; a text
with `{placeholders}` is filled in the template (`w.key.format(...)`), so the
word order stays the translator's. The graph's node types, edge labels and
node labels are codes the compiler writes; `graph_words` says them.
"""

from __future__ import annotations

from collections.abc import Mapping

from policyc.dsl.diagnostic import Words
from policyc.runtime.catalog import N_, catalog, say
from policyc.runtime.words import OUTCOME_WORDS, WHY_WORDS

PAGE_WORDS: dict[str, str] = {
    # the simulate report (policyc/report/templates/report.html.j2)
    "report_title": N_("{title}: simulation report"),
    "report_meta": N_("{events} events from {log}, {start} to {end}; policy {policy}"),
    "summary": N_("Summary"),
    "agents": N_("Agents"),
    "assignments_per_agent": N_("Assignments per agent"),
    "assignments_aria": N_("assignments per agent"),
    "waiting_over_time": N_("Waiting chats over time"),
    "depth_aria": N_("queue and staging depth over time"),
    "depth_note": N_("Chats waiting in each place after every event: a step up when a message "
                     "is queued or staged, a step down when it is handed to an agent."),
    "line_peak": N_("{place}: peak {peak}"),
    "legend_line": N_("{place} (peak {peak}, at the end {last})"),
    "waiting_time": N_("Waiting time: from the buyer's message to an agent"),
    "waits_aria": N_("histogram of waiting times"),
    "waits_note": N_("{assigned} chats assigned by the route or handed out later (transfers "
                     "not counted)."),
    "waits_still_note": N_("{still} chats still waiting at the end of the log (longest "
                           "{longest}) are not in the histogram."),
    "still_waiting": N_("Still waiting at the end"),
    "still_waiting_card": N_("still waiting at the end"),
    "nobody_assigned": N_("Nobody was assigned a chat."),
    "nobody_assigned_row": N_("nobody was assigned a chat"),
    "records": N_("records"),
    "outcomes": N_("outcomes"),
    "reasons": N_("reasons"),
    "closed_on_tick": N_("closed on tick"),
    "chats_assigned": N_("chats assigned from a message"),
    "median_wait": N_("median wait"),
    "longest_wait": N_("longest wait"),
    "peak_waiting": N_("peak queue / staging"),
    "open_at_end": N_("open at the end"),
    "agent": N_("agent"),
    "buyer": N_("buyer"),
    "place": N_("place"),
    "since": N_("since"),
    "for_agent": N_("for agent"),
    "assigned": N_("assigned"),
    "by_reason": N_("by reason"),
    "reason": N_("reason"),
    "none": N_("none"),
    "ignored_events": N_("Ignored events ({count})"),
    "event_type": N_("event type"),
    "ignored_first": N_("The first {shown} of {count} (all of them are in `simulate --format "
                        "json`):"),
    "bar_title": N_("{label}: {value}"),
    "bin_title": N_("{count} chats: {label}"),
    # durations on the report's cards and notes
    "seconds": N_("{s} s"),
    "minutes": N_("{m} min"),
    "hours_minutes": N_("{h} h {m} min"),
    "days_hours": N_("{d} d {h} h"),
    # chart axes and legends
    "axis_time": N_("time ({zone})"),
    "axis_chats_waiting": N_("chats waiting"),
    "axis_chats": N_("chats"),
    "axis_chats_assigned": N_("chats assigned"),
    "axis_wait": N_("waiting time"),
    "queue": N_("queue"),
    "staging": N_("staging"),
    "pool": N_("offline pool"),
    "waiting_for_agent": N_("waiting for one agent"),
    "bin_at_once": N_("at once"),
    "bin_1min": N_("≤ 1 min"),
    "bin_5min": N_("1–5 min"),
    "bin_15min": N_("5–15 min"),
    "bin_60min": N_("15–60 min"),
    "bin_4h": N_("1–4 h"),
    "bin_more": N_("> 4 h"),
    # the staffing sweep (policyc/report/templates/sweep.html.j2)
    "sweep_title": N_("{title}: staffing sweep"),
    "sweep_meta": N_("model {model}, seed {seed}, from {start} ({zone}) for {duration}; policy "
                     "{policy}. Every row meets the same buyers with the same behaviour; only "
                     "the number of agents (the first N of the model's staff list) differs."),
    "sweep_enough": N_("{agents} agents are the fewest that take {goal} of chats within "
                       "{target}."),
    "sweep_not_enough": N_("No agent count in this sweep takes {goal} of chats within "
                           "{target}."),
    "axis_agents": N_("agents"),
    "axis_share": N_("share of chats (%)"),
    "axis_minutes": N_("wait (min)"),
    "service_heading": N_("Service level and occupancy"),
    "service_legend": N_("service level: taken within {target}"),
    "occupancy_legend": N_("occupancy: open chats per unit of capacity while online"),
    "service_aria": N_("service level and occupancy by agent count"),
    "waits_heading": N_("Waits"),
    "mean_wait": N_("mean wait"),
    "p90_wait": N_("90th percentile"),
    "waits_by_count_aria": N_("mean and p90 wait by agent count"),
    "every_figure": N_("Every figure"),
    "col_agents": N_("agents"),
    "col_chats": N_("chats"),
    "col_service_level": N_("service level"),
    "col_waited": N_("waited"),
    "col_mean_wait": N_("mean wait"),
    "col_p90_wait": N_("p90 wait"),
    "col_longest": N_("longest"),
    "col_first_reply": N_("first reply"),
    "col_occupancy": N_("occupancy"),
    "col_never_taken": N_("never taken"),
    "sweep_service_bar": N_("{agents} agents: service level {value}"),
    "sweep_occupancy_dot": N_("{agents} agents: occupancy {value}"),
    "sweep_mean_bar": N_("{agents} agents: mean wait {value}"),
    "sweep_p90_bar": N_("{agents} agents: p90 wait {value}"),
    "no_abandonment": N_("Abandonment is not modelled: the engine has no event for a buyer who "
                         "gives up waiting."),
    # the decision graph (compiler/templates/graph.html.j2)
    "graph_title": N_("decision graph of {policy}"),
    "graph_intro": N_("Every buyer message enters at the top and follows the edges until an "
                      "outcome."),
    "graph_click": N_("Click a node to see the policy line it comes from."),
    "graph_path": N_("The path this message took is highlighted."),
    "node_tooltip": N_("{node} ({type}) at {where}"),
    "dropped_list": N_("dropped: {agents}"),
    "nodes": N_("Nodes"),
    "node_id": N_("id"),
    "node_type": N_("type"),
    "node_label": N_("label"),
    "written_at": N_("written at"),
    "dropped": N_("dropped"),
}

# series.BIN_LABELS, in order: the waiting-time histogram's bins.
BIN_KEYS = ("bin_at_once", "bin_1min", "bin_5min", "bin_15min", "bin_60min", "bin_4h",
            "bin_more")

# The graph's node types (compiler/graph.py), its edge labels and its fixed node labels.
NODE_TYPE_WORDS: dict[str, str] = {
    "entry": N_("entry"), "gate": N_("gate"), "match": N_("match"), "pick": N_("pick"),
    "fallback": N_("fallback"), "outcome": N_("outcome"), "dead_end": N_("dead end"),
}
EDGE_WORDS: dict[str, str] = {
    "message": N_("message"), "on": N_("on"), "off": N_("off"), "waits": N_("waits"),
    "picked": N_("picked"), "always": N_("always"), "matches": N_("matches"),
    "nobody available": N_("nobody available"), "condition false": N_("condition false"),
    "designation off": N_("designation off"), "no bindings": N_("no bindings"),
    "first match": N_("first match"), "no match": N_("no match"), "overflow": N_("overflow"),
    "assistant first": N_("assistant first"), "proxy": N_("proxy account"),
}
STEP_KIND_WORDS: dict[str, str] = {
    "exclude": N_("exclude"), "bot_first": N_("bot first"), "pin": N_("pin"),
    "recent_contact": N_("recent contact"), "only_one_online": N_("only one online"),
    "bindings": N_("bindings"), "other_online": N_("other online"),
    "main_account": N_("main account"), "queue": N_("queue"), "stage": N_("stage"),
    "offline_pool": N_("offline pool"), "offline_to_main": N_("offline to main"),
    "offline_to_assistant": N_("offline to assistant"),
}
FIXED_LABELS: dict[str, str] = {
    "buyer message": N_("buyer message"),
    "grouping switch (S1, S3)": N_("grouping switch (S1, S3)"),
    "no outcome": N_("no outcome"), "designated agents": N_("designated agents"),
}
_GROUP = N_("group {group}")
_BOT_FIRST = N_("bot first for group {group}")
_BINDING = N_("binding {binding}")
_OUTCOME = N_("{outcome} ({reason})")


class _Kept(dict[str, object]):
    """Placeholders not given stay in the text, for the template to fill."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def page_words(lang: str, **args: object) -> dict[str, str]:
    """Every page word in `lang`; `args` fill placeholders (`zone`, `policy`, `count`),
    and those not given stay as `{name}` for the page to fill."""
    return {key: catalog(lang).gettext(msgid).format_map(_Kept(args))
            for key, msgid in PAGE_WORDS.items()}


def duration(seconds: float, lang: str = "en") -> str:
    """`0 s`, `45 s`, `12 min`, `2 h 05 min`, `1 d 3 h`, in `lang`'s units."""
    s = round(seconds)
    words = PAGE_WORDS
    if s < 60:
        return say(lang, words["seconds"], s=s)
    minutes = s // 60
    if minutes < 60:
        return say(lang, words["minutes"], m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        padded = f"{minutes:02d}"
        return say(lang, words["hours_minutes"], h=hours, m=padded)
    days, hours = divmod(hours, 24)
    return say(lang, words["days_hours"], d=days, h=hours)


def node_type(code: str, lang: str) -> str:
    """A node type (`pick`) as the page shows it (in English, the compiler's code)."""
    if lang == "en" or code not in NODE_TYPE_WORDS:
        return code
    return say(lang, NODE_TYPE_WORDS[code])


def edge_label(label: str, lang: str) -> str:
    """An edge label (`nobody available`) in `lang`; an unknown one as written."""
    return say(lang, EDGE_WORDS[label]) if label in EDGE_WORDS else label


def node_words(data: Mapping[str, object], label: str) -> str:
    """A node's label as words a catalog can say again, from what the node is (its data),
    not its English text; a group's or binding's id and an outcome's reason code stay as
    written. A label of no known form is returned as it is."""
    if "outcome" in data and "reason" in data:
        outcome = str(data["outcome"])
        shown = Words(OUTCOME_WORDS[outcome]) if outcome in OUTCOME_WORDS else outcome
        return Words(_OUTCOME, outcome=shown, reason=data["reason"])
    if "bot_first_of" in data:
        return Words(_BOT_FIRST, group=data["bot_first_of"])
    if "group" in data:
        return Words(_GROUP, group=data["group"])
    if "binding" in data:
        return Words(_BINDING, binding=data["binding"])
    if "kind" in data and str(data["kind"]) in STEP_KIND_WORDS:
        return Words(STEP_KIND_WORDS[str(data["kind"])])
    return Words(FIXED_LABELS[label]) if label in FIXED_LABELS else label


def said(text: str, lang: str) -> str:
    """`text` in `lang` when it is `Words` (its arguments said too), else as it is."""
    if not isinstance(text, Words):
        return text
    translated = catalog(lang).gettext(text.template)
    if not text.args:
        return translated
    return translated.format(**{k: said(v, lang) if isinstance(v, str) else v
                                for k, v in text.args.items()})


def node_label(data: Mapping[str, object], label: str, lang: str) -> str:
    """A node's label in `lang` (node_words); English is the compiler's own label."""
    return label if lang == "en" else said(node_words(data, label), lang)


def dropped_line(agent: object, why: object, lang: str) -> str:
    """`amy: offline` in `lang` (the why code said in words when it is a known one)."""
    shown = say(lang, WHY_WORDS[str(why)]) if str(why) in WHY_WORDS else str(why)
    return f"{agent}: {shown}"
