"""How far back the engine remembers buyers, so a long replay's state stays the same size.

Two things the shop state keeps per buyer outlive their use: the last contact
(S8, T10: the buyer's last exchange with an agent, which `recent_contact` reads
only within its `window`; `ShopState.contact` keeps its rows at most twice the
buyers remembered) and the day a buyer
was last welcomed (Y10: once a day). `Horizon.sweep` forgets contacts older
than the policy's longest window plus a day (none when a window has no limit;
`CONTACT_MARGIN`: a trace still says how long ago a contact just past the
window was; the router names an older one as none, whether or not it was
forgotten yet, so no record depends on when a sweep ran) and, at each local
midnight, the welcomes of earlier days. A sweep is due at most once a day or
when the oldest remembered contact passes the horizon; checking costs the
engine one comparison per event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from .clock import zone
from .state import ShopState

DEFAULT_WINDOW = 72 * 3600  # the DSL's `recent_contact` window when none is written
CONTACT_MARGIN = 24 * 3600


def contact_memory(windows: Iterable[int | None]) -> float:
    """Seconds a contact is remembered: the longest window of the route's `recent_contact`
    steps (the default window when it has none) plus CONTACT_MARGIN; for ever when a
    step's window has no limit (`window: null`)."""
    found = list(windows)
    if any(w is None for w in found):
        return float("inf")
    return max((w for w in found if w is not None), default=DEFAULT_WINDOW) + CONTACT_MARGIN


class Horizon:
    """When the engine next forgets, and what."""

    def __init__(self, tz: str, memory: float) -> None:
        self.tz = tz
        self.memory = memory
        self.due = float("-inf")  # the first event sweeps (and learns its day)
        self.today = ""

    def sweep(self, shop: ShopState, at: float) -> None:
        """Forget what is past the horizon at `at`; set when the next sweep is due."""
        shop.forget_contacts(at - self.memory)
        local = datetime.fromtimestamp(at, zone(self.tz))
        today = local.date().isoformat()
        if today != self.today:
            self.today = today
            stale = [buyer for buyer, day in shop.welcomed.items() if day < today]
            for buyer in stale:
                del shop.welcomed[buyer]
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0),
                                    zone(self.tz)).timestamp()
        times = shop.contact_times
        self.due = min(midnight, times[0][0] + self.memory) if times else midnight
