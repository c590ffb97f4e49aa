"""The words of the HTML pages (simulate report, decision graph), in the message catalogs.

Templates get `page_words(lang)`: the same keys in every language, each the
catalog's text for the reader's language, so a page is translated the way the
command line is (runtime/catalog.py). Keys name what the text is for.
"""

from __future__ import annotations

from .runtime.catalog import N_, catalog

PAGE_WORDS: dict[str, str] = {
    # the simulate report (policyc/report/templates/report.html.j2)
    "summary": N_("Summary"),
    "agents": N_("Agents"),
    "assignments_per_agent": N_("Assignments per agent"),
    "waiting_over_time": N_("Waiting chats over time"),
    "waiting_time": N_("Waiting time: from the buyer's message to an agent"),
    "still_waiting": N_("Still waiting at the end"),
    "nobody_assigned": N_("Nobody was assigned a chat."),
    "records": N_("records"),
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
    "ignored_events": N_("Ignored events"),
    "ignored_summary": N_("{count} events changed nothing, by why"),
    # chart axes and legends
    "axis_time": N_("time ({zone})"),
    "axis_chats_waiting": N_("chats waiting"),
    "axis_chats": N_("chats"),
    "axis_wait": N_("waited"),
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
    # the decision graph (compiler/templates/graph.html.j2)
    "graph_title": N_("decision graph of {policy}"),
    "graph_intro": N_("Every buyer message enters at the top and follows the edges until an "
                      "outcome."),
    "graph_click": N_("Click a node to see the policy line it comes from."),
    "graph_path": N_("The path this message took is highlighted."),
    "nodes": N_("Nodes"),
    "node_id": N_("id"),
    "node_type": N_("type"),
    "node_label": N_("label"),
    "written_at": N_("written at"),
    "dropped": N_("dropped"),
}


class _Kept(dict[str, object]):
    """Placeholders not given stay in the text, for the template to fill."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def page_words(lang: str, **args: object) -> dict[str, str]:
    """Every page word in `lang`; `args` fill placeholders (`zone`, `policy`, `count`),
    and those not given stay as `{name}` for the page to fill."""
    return {key: catalog(lang).gettext(msgid).format_map(_Kept(args))
            for key, msgid in PAGE_WORDS.items()}
