"""The plain words for the contract's codes: reasons, outcomes, drop whys, fixes, figures.

Each table maps a stable code (vocabulary.py) to an English message id marked
with `N_`; `catalog.say` renders it in the reader's language. Nothing here
decides anything: the router records codes and figures, explanations look the
words up here.
"""

from __future__ import annotations

from .catalog import N_

OUTCOME_WORDS: dict[str, str] = {
    "assigned": N_("assigned to an agent"),
    "offered": N_("offered to an agent, waiting for it to accept"),
    "queued": N_("waiting in the queue"),
    "waiting": N_("waiting for one agent"),
    "staged": N_("kept in the staging area"),
    "pooled": N_("kept in the offline pool"),
    "main_account": N_("sent to the main account"),
    "assistant": N_("answered by the assistant"),
    "excluded": N_("not distributed"),
}

REASON_WORDS: dict[str, str] = {
    "grouping_off": N_("grouping is off, so the main account takes every chat"),
    "pinned_agent": N_("this buyer has an exclusive agent"),
    "pinned_agent_waiting": N_("this buyer's exclusive agent is away, so the chat waits for it"),
    "recent_contact": N_("the buyer talked to this agent recently"),
    "recent_contact_waiting": N_("the agent the buyer talked to recently has just gone "
                                 "offline, so the chat waits for it"),
    "source_group": N_("the group bound to where the buyer started the chat"),
    "fallback_other_online": N_("nobody in the bound group could take it, so another online "
                                "agent did"),
    "main_account_fallback": N_("every other agent is offline, so the main account took it"),
    "only_one_online": N_("only one agent can take chats right now"),
    "queued_all_busy": N_("every online agent is at capacity"),
    "requirement_waiting": N_("nobody meeting the binding's requirement can take it yet; "
                              "the chat waits in the queue until the requirement relaxes"),
    "target_waiting": N_("nobody in the binding's open targets can take it yet; the chat "
                         "waits in the queue until the next target opens"),
    "staged_nobody_online": N_("nobody is online; the first agent to come online gets it"),
    "offline_pool": N_("nobody is online; the chat waits for the next offline-pool run"),
    "offline_to_main": N_("nobody is online; the main account gets it"),
    "offline_to_assistant": N_("nobody is online; the assistant answers it"),
    "excluded_channel": N_("this channel is not distributed to agents"),
    "transfer_to_agent": N_("an agent forwarded the chat to another agent"),
    "transfer_to_group": N_("an agent forwarded the chat to a group"),
    "queue_pull": N_("taken from the queue when an agent had room"),
    "staging_release": N_("handed out from the staging area when an agent came online"),
    "pool_distribution": N_("handed out by the offline pool"),
    "proxy_account": N_("the buyer's own agent (its pin or recent contact) could not take "
                        "the chat, so that agent's proxy account took it"),
    "agent_initiated": N_("the agent started this chat with the buyer itself (not routed)"),
    "bot_first": N_("the assistant answers first until the buyer asks for a person"),
}

SELECTION_WORDS: dict[str, str] = {
    "fewest_unread": N_("fewest unread chats"),
    "earliest_created": N_("tied, so the account created first"),
    "lowest_load_ratio": N_("most room left (open chats against capacity)"),
    "balanced": N_("fewest chats received so far"),
    "weighted": N_("fewest chats received for its weight"),
    "least_busy": N_("least busy (pending replies)"),
    "best_reception_rate": N_("best reception rate for the chats already open"),
    "best_conversion_rate": N_("best conversion rate for the chats already open"),
    "only_candidate": N_("the only candidate"),
}

# Why a candidate agent could not take the chat (trace `dropped[].why`, why-not causes).
WHY_WORDS: dict[str, str] = {
    "offline": N_("offline"),
    "busy": N_("busy"),
    "hidden": N_("hidden (hung up or suspended)"),
    "at_capacity": N_("at capacity"),
    "no_chat_permission": N_("no chat permission"),
    "admin_excluded": N_("an admin, and admins take no automatic chats (Y4)"),
    "main_account_excluded": N_("the main account, kept out of grouping (S4-B)"),
    "main_account_last_resort": N_("the main account, which takes only last-resort chats (S4-C)"),
    "unknown_agent": N_("not in the roster"),
    "not_in_group": N_("in no group a binding reaches"),
    "excluded_channel": N_("the channel is excluded"),
    "not_best": N_("another agent was ahead"),
    "channel_full": N_("at its cap for this chat's channel"),
    "no_room_for_weight": N_("without room for this chat's weight"),
    "declined": N_("declined the offer of this chat"),
    "offer_timed_out": N_("let the offer of this chat run out"),
    "current_agent": N_("already has the chat, which is to go to someone else"),
}

# An agent's status (vocabulary.STATUSES), as the counters say it.
STATUS_WORDS: dict[str, str] = {
    "online": N_("online"), "busy": N_("busy"), "hidden": N_("hidden"), "offline": N_("offline"),
}

STEP_RESULT_WORDS: dict[str, str] = {
    "matched": N_("matched"),
    "no_match": N_("did not match"),
    "picked": N_("picked"),
    "nobody_available": N_("nobody could take it"),
    "condition_false": N_("condition not met, step passed over"),
    "switched_off": N_("switched off"),
    "skipped": N_("not reached"),
}

SOURCE_WORDS: dict[str, str] = {
    "product_page": N_("product page"),
    "order_page": N_("order page"),
    "live_story": N_("live stream or story"),
    "shop_page": N_("shop page"),
    "wechat_oa": N_("WeChat official account"),
    "mini_program": N_("mini program"),
    "micro_mall": N_("micro mall"),
    "own_app": N_("own app"),
    "distribution": N_("distribution"),
    "bot_handoff": N_("hand-off from the bot"),
    "transfer": N_("transfer"),
    "offline_pool": N_("offline pool"),
    "unknown": N_("unknown"),
}

ORDER_STATE_WORDS: dict[str, str] = {
    "none": N_("no order"),
    "unpaid": N_("unpaid"),
    "unshipped": N_("paid, not shipped"),
    "shipped": N_("shipped"),
    "after_sale": N_("after-sale"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
}

# One candidate's figure under a strategy, as the pick compared it.
FIGURE_WORDS: dict[str, str] = {
    "fewest_unread": N_("{agent} {unread} unread"),
    "lowest_load_ratio": N_("{agent} {open}/{capacity} open"),
    "balanced": N_("{agent} {assigned} received"),
    "weighted": N_("{agent} {assigned} received at weight {weight}"),
    "least_busy": N_("{agent} {pending} pending"),
    "best_reception_rate": N_("{agent} {reception_rate} with {open} open"),
    "best_conversion_rate": N_("{agent} {conversion_rate} with {open} open"),
}

# Y6: a candidate raised level on coming online (or joining a group) is compared by
# that count, not by what it received (runtime/state.py `ShopState.level`).
LEVELLED_WORDS: dict[str, str] = {
    "balanced": N_("{agent} {assigned} received, counted as {level} from joining level"),
    "weighted": N_("{agent} {assigned} received, counted as {level} from joining level, "
                   "at weight {weight}"),
}

DAY_WORDS: dict[str, str] = {
    "mon": N_("Monday"), "tue": N_("Tuesday"), "wed": N_("Wednesday"), "thu": N_("Thursday"),
    "fri": N_("Friday"), "sat": N_("Saturday"), "sun": N_("Sunday"),
}

# The fields a `when:` reads (vocabulary.FIELDS), as a merchant calls them.
FIELD_WORDS: dict[str, str] = {
    "source": N_("the entry point"),
    "order.state": N_("the order state"),
    "order.id": N_("the order"),
    "item.id": N_("the item"),
    "buyer.id": N_("the buyer"),
    "buyer.tags": N_("the buyer's tags"),
    "intent": N_("the intent"),
    "wants_human": N_("asks for a person"),
    "time": N_("the time"),
    "day": N_("the day"),
    "shop.online": N_("agents online"),
    "shop.available": N_("agents free to take a chat"),
}
