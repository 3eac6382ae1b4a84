"""The four card networks and the names operations files use for them."""

from __future__ import annotations

import re
from enum import StrEnum


class Network(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"


# Keys are compacted: lower case, with spaces, hyphens, underscores and dots removed.
_ALIASES: dict[str, Network] = {
    **dict.fromkeys(
        ("visa", "visainc", "visainternational", "visaeurope", "visausa", "vi"),
        Network.VISA,
    ),
    **dict.fromkeys(
        (
            "mastercard",
            "mc",
            "mastercardinc",
            "mastercardincorporated",
            "mastercardinternational",
            "mastercardworldwide",
            "eurocard",
            "eurocardmastercard",
            "ecmc",
        ),
        Network.MASTERCARD,
    ),
    **dict.fromkeys(
        ("amex", "americanexpress", "americanexpresscompany", "ax", "amx", "aexp"),
        Network.AMEX,
    ),
    **dict.fromkeys(
        (
            "discover",
            "disc",
            "discovercard",
            "discovernetwork",
            "discoverfinancial",
            "discoverfinancialservices",
            "discoverglobalnetwork",
            "di",
            "ds",
            "dcvr",
        ),
        Network.DISCOVER,
    ),
}

_SEPARATORS = re.compile(r"[\s._-]+")


def normalise_network(value: str) -> Network | None:
    """The network a name stands for (case-insensitive, common aliases), or None when unknown."""
    if not isinstance(value, str):
        return None
    network = _ALIASES.get(value)  # fast path: already canonical
    if network is not None:
        return network
    return _ALIASES.get(_SEPARATORS.sub("", value).lower())
