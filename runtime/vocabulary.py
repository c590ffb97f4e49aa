"""The fixed words of the contract: outcomes, reasons, selections, sources and statuses.

Both the compiler (to check policies) and the runtime (to decide) read these
tables; they live in the runtime because the runtime must not import the
compiler, and the words are part of the compiled artifact's contract.
"""

from __future__ import annotations

OUTCOMES = (
    "assigned",
    "offered",
    "queued",
    "waiting",
    "staged",
    "pooled",
    "main_account",
    "assistant",
    "excluded",
)

# reason code -> rule ids of ROUTING.md it stands for (CONTRACT.md).
REASONS: dict[str, str] = {
    "grouping_off": "S1, S4-A",
    "pinned_agent": "Y8",
    "pinned_agent_waiting": "Y8",
    "recent_contact": "S8, Y3, T10",
    "recent_contact_waiting": "S8",
    "source_group": "S5, Y7, T9",
    "fallback_other_online": "S6, Y7",
    "main_account_fallback": "S4-C",
    "only_one_online": "S7, T12",
    "queued_all_busy": "Y9",
    "requirement_waiting": "Y9",
    "target_waiting": "Y9",
    "staged_nobody_online": "S7",
    "offline_pool": "T1",
    "offline_to_main": "T1",
    "offline_to_assistant": "T1",
    "excluded_channel": "Y5",
    "transfer_to_agent": "S10, Y12",
    "transfer_to_group": "S10",
    "queue_pull": "Y9",
    "staging_release": "S7",
    "pool_distribution": "T2-T7",
    "agent_initiated": "T12",
    "proxy_account": "T12",
    "bot_first": "T14",
}

SELECTIONS = (
    "fewest_unread",
    "earliest_created",
    "lowest_load_ratio",
    "balanced",
    "weighted",
    "least_busy",
    "best_reception_rate",
    "best_conversion_rate",
    "only_candidate",
)

# The strategies a group or the shop may name; `earliest_created` and
# `only_candidate` are only ever reported, never configured.
STRATEGIES = (
    "fewest_unread",
    "lowest_load_ratio",
    "balanced",
    "weighted",
    "least_busy",
    "best_reception_rate",
    "best_conversion_rate",
)

SOURCES = (
    "product_page",
    "order_page",
    "live_story",
    "shop_page",
    "wechat_oa",
    "mini_program",
    "micro_mall",
    "own_app",
    "distribution",
    "bot_handoff",
    "transfer",
    "offline_pool",
    "unknown",
)

ORDER_STATES = (
    "none",
    "unpaid",
    "unshipped",
    "shipped",
    "after_sale",
    "completed",
    "cancelled",
)

STATUSES = ("online", "busy", "hidden", "offline")
ROLES = ("main", "admin", "agent")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The languages a shop's buyers may read (`shop.language`): BCP 47 tags.
LANGUAGES = ("zh-Hans", "zh-Hant", "en")

# Y10: the text an auto reply sends when it is switched on with an empty text, in
# the shop's language (`shop.language`, default zh-Hans as on Taobao and Youzan;
# the Taiwan Shopee shop says zh-Hant). Buyer-facing data of the shop, not
# messages to the merchant, so they live here rather than in the catalogs.
DEFAULT_REPLIES: dict[str, dict[str, str]] = {
    "zh-Hans": {
        "welcome": "您好，欢迎光临",
        "queued": "抱歉，目前客服都在忙呢，请再稍等一会",
        "after_hours": "我们现在都不在呢，等明天早上看到消息会第一时间回复的",
        # Y11: Youzan's 超时提示 as seed 002 shows it sent
        "customer_timeout": "您好, 由于很久没有收到您的消息, 我们将结束对话。"
                            "如果还需要, 欢迎随时联系我们。",
        # the seed shows no agent-side text: the same close, worded for a buyer left unanswered
        "agent_timeout": "抱歉, 客服暂时无法回复您, 我们将结束对话。"
                         "如果还需要, 欢迎随时联系我们。",
    },
    "zh-Hant": {
        "welcome": "您好，歡迎光臨",
        "queued": "抱歉，目前客服都在忙碌中，請再稍等一下",
        "after_hours": "我們現在都不在喔，明天早上看到訊息會第一時間回覆您",
        "customer_timeout": "您好，由於很久沒有收到您的訊息，我們將結束對話。"
                            "如果還需要，歡迎隨時聯繫我們。",
        "agent_timeout": "抱歉，客服暫時無法回覆您，我們將結束對話。"
                         "如果還需要，歡迎隨時聯繫我們。",
    },
    "en": {
        "welcome": "Hello, welcome to our shop",
        "queued": "Sorry, all our agents are busy right now; please wait a moment",
        "after_hours": "We are away right now; we will reply first thing tomorrow morning",
        "customer_timeout": "Hello, as we have not heard from you for a while, we are ending "
                            "this chat. If you need anything else, feel free to contact us "
                            "at any time.",
        "agent_timeout": "Sorry, our agents cannot reply to you right now, so we are ending "
                         "this chat. If you need anything else, feel free to contact us "
                         "at any time.",
    },
}

# Y10 with Y5 and T14: the outcomes each auto reply is sent on. An excluded chat
# (Y5) is kept out of routing entirely, so it gets no reply at all; a chat the
# assistant handles (T14 bot first, T1 offline to the assistant) is greeted by
# the bot, so the human welcome and the after-hours notice would greet the buyer
# twice. The queue notice belongs to the queue only.
_HUMAN = frozenset(OUTCOMES) - {"excluded", "assistant"}
REPLY_OUTCOMES: dict[str, frozenset[str]] = {
    "welcome": _HUMAN,
    "queued": frozenset({"queued"}),
    "after_hours": _HUMAN,
    # Y11 timeout notices go with a close, never with a message's outcome
    "customer_timeout": frozenset(),
    "agent_timeout": frozenset(),
}
# The auto replies by name, in the order a policy writes them.
REPLIES = tuple(REPLY_OUTCOMES)
# Y11: the timeout notice a conversation closed by each timeout gets (seed 002
# 会话超时设置: 超时提示). Other closes (an agent's, S11 read-idle) send none.
TIMEOUT_REPLIES: dict[str, str] = {
    "customer_no_response": "customer_timeout",
    "agent_no_response": "agent_timeout",
}

# Why a candidate agent was dropped (trace `dropped[].why`).
DROP_WHYS = (
    "offline",
    "busy",
    "hidden",
    "at_capacity",
    "no_chat_permission",
    "admin_excluded",
    "main_account_excluded",
    "main_account_last_resort",
    "unknown_agent",
    "not_in_group",
    "excluded_channel",
    "not_best",
    "channel_full",
    "no_room_for_weight",
    "declined",
    "offer_timed_out",
    "current_agent",
)

# The drop whys of agents a decision was told to leave out (`Router.decide(avoid=...)`):
# online with room, so `shop.online` still counts them, but not to be given this chat.
AVOID_WHYS = ("declined", "offer_timed_out", "current_agent")

# How an offer ended without an accept (a `declined` record's `why`, runtime/offers.py).
OFFER_ENDINGS = ("declined", "push_timeout", "agent_offline")

# Fields an expression may read: name -> type. Enum types name their table;
# `intent` is an enum whose members the policy declares (`intents:`).
FIELDS: dict[str, str] = {
    "source": "enum:source",
    "order.state": "enum:order_state",
    "order.id": "str",
    "item.id": "str",
    "buyer.id": "str",
    "buyer.tags": "set",
    "intent": "enum:intent",
    "wants_human": "bool",
    "time": "time",
    "day": "enum:day",
    "shop.online": "int",
    "shop.available": "int",
}

ENUMS: dict[str, tuple[str, ...]] = {
    "source": SOURCES,
    "order_state": ORDER_STATES,
    "day": WEEKDAYS,
}


# Route step kinds: (graph node type, outcomes it can give, whether it can pass
# the chat on to the next step even without a `when:` guard).
STEPS: dict[str, tuple[str, tuple[tuple[str, str], ...], bool]] = {
    "exclude": ("gate", (("excluded", "excluded_channel"),), False),
    "bot_first": ("gate", (("assistant", "bot_first"),), False),
    "pin": ("pick", (("assigned", "pinned_agent"), ("waiting", "pinned_agent_waiting")), True),
    "recent_contact": ("pick", (("assigned", "recent_contact"),
                                ("waiting", "recent_contact_waiting")), True),
    "only_one_online": ("pick", (("assigned", "only_one_online"),), True),
    "bindings": ("match", (("assigned", "source_group"), ("queued", "requirement_waiting"),
                           ("queued", "target_waiting")), True),
    "other_online": ("pick", (("assigned", "fallback_other_online"),), True),
    "main_account": ("pick", (("assigned", "main_account_fallback"),), True),
    "queue": ("fallback", (("queued", "queued_all_busy"),), False),
    "stage": ("fallback", (("staged", "staged_nobody_online"),), False),
    "offline_pool": ("fallback", (("pooled", "offline_pool"),), False),
    "offline_to_main": ("fallback", (("main_account", "offline_to_main"),), False),
    "offline_to_assistant": ("fallback", (("assistant", "offline_to_assistant"),), False),
}
