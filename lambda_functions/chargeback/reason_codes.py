"""Chargeback reason codes per network, with their descriptions. (Tables being filled in.)"""

from __future__ import annotations

from chargeback.networks import Network

_TABLES: dict[Network, dict[str, str]] = {
    Network.VISA: {"10.4": "Other Fraud - Card-Absent Environment"},
    Network.MASTERCARD: {"4837": "No Cardholder Authorization"},
    Network.AMEX: {"F29": "Card Not Present"},
    Network.DISCOVER: {"UA02": "Fraud - Card Not Present Transaction"},
}


def reason_description(network: Network, code: str) -> str | None:
    """The description of `code` for `network`, or None when the network has no such code."""
    return _TABLES[network].get(code)
