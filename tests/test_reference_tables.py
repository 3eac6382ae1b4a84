"""Reference tables: network aliases, reason codes per network, ISO 4217 minor units and amount formatting."""

from __future__ import annotations

import inspect
from decimal import Decimal, localcontext

import iso4217
import pytest

import chargeback.reason_codes as reason_codes
from chargeback.currencies import format_amount, minor_units
from chargeback.networks import Network, normalise_network
from chargeback.reason_codes import REASON_CODES, reason_description


@pytest.mark.parametrize(
    ("name", "network"),
    [
        ("visa", Network.VISA),
        ("VISA", Network.VISA),
        ("Visa Inc", Network.VISA),
        ("Visa Inc.", Network.VISA),
        ("  visa  ", Network.VISA),
        ("mastercard", Network.MASTERCARD),
        ("MasterCard", Network.MASTERCARD),
        ("Master Card", Network.MASTERCARD),
        ("MASTER-CARD", Network.MASTERCARD),
        ("master_card", Network.MASTERCARD),
        ("MC", Network.MASTERCARD),
        ("m.c.", Network.MASTERCARD),
        ("Eurocard", Network.MASTERCARD),
        ("amex", Network.AMEX),
        ("AMEX", Network.AMEX),
        ("Amex", Network.AMEX),
        ("American Express", Network.AMEX),
        ("american-express", Network.AMEX),
        ("discover", Network.DISCOVER),
        ("DISC", Network.DISCOVER),
        ("Discover", Network.DISCOVER),
        ("Discover Card", Network.DISCOVER),
        ("Discover Financial Services", Network.DISCOVER),
    ],
)
def test_network_names_and_aliases_normalise_to_the_four_networks(name: str, network: Network) -> None:
    assert normalise_network(name) is network


@pytest.mark.parametrize(
    "name", ["", " ", "jcb", "unionpay", "visamc", "master", "american", "diners", "v i s a x"]
)
def test_unknown_network_names_are_none(name: str) -> None:
    assert normalise_network(name) is None


def test_network_values_are_the_contract_names() -> None:
    assert [network.value for network in Network] == ["visa", "mastercard", "amex", "discover"]


CODES = {
    Network.VISA: (
        "10.1 10.2 10.3 10.4 10.5 11.1 11.2 11.3 12.1 12.2 12.3 12.4 12.5 12.6 12.6.1 12.6.2 12.7 "
        "13.1 13.2 13.3 13.4 13.5 13.6 13.7 13.8 13.9"
    ),
    Network.MASTERCARD: "4808 4812 4831 4834 4837 4840 4841 4842 4849 4850 4853 4854 4855 4859 4860 4863 4870 4871",
    Network.AMEX: (
        "A01 A02 A08 C02 C04 C05 C08 C14 C18 C28 C31 C32 F10 F14 F24 F29 FR2 FR4 FR6 M01 M10 M49 "
        "P01 P03 P04 P05 P07 P08 P22 P23 R03 R13"
    ),
    Network.DISCOVER: (
        "AA AP AW CD DP DP1 EX IC IN LP NA NC NF PM RG RM RN2 TF UA01 UA02 UA05 UA06 UA10 UA11 UA12 UA18 "
        "UA20 UA21 UA22 UA23 UA30 UA31 UA32 UA38"
    ),
}


@pytest.mark.parametrize("network", list(Network))
def test_each_network_table_holds_its_listed_codes_with_descriptions(network: Network) -> None:
    for code in CODES[network].split():
        description = reason_description(network, code)
        assert description, (network, code)
        assert description.strip() == description


@pytest.mark.parametrize(
    ("network", "code", "description"),
    [
        (Network.VISA, "10.4", "Other Fraud - Card-Absent Environment"),
        (Network.VISA, "13.1", "Merchandise/Services Not Received"),
        (Network.VISA, "12.6.1", "Duplicate Processing"),
        (Network.VISA, "12.6.2", "Paid by Other Means"),
        (Network.MASTERCARD, "4837", "No Cardholder Authorization"),
        (Network.MASTERCARD, "4853", "Cardholder Dispute"),
        (Network.MASTERCARD, "4808", "Authorization-Related Chargeback"),
        (Network.AMEX, "F29", "Card Not Present"),
        (Network.AMEX, "C08", "Goods/Services Not Received or Only Partially Received"),
        (Network.AMEX, "P08", "Duplicate Charge"),
        (Network.DISCOVER, "UA02", "Fraud - Card Not Present Transaction"),
        (Network.DISCOVER, "AA", "Does Not Recognize"),
        (Network.DISCOVER, "RG", "Non-Receipt of Goods, Services or Cash"),
    ],
)
def test_reason_code_lookups_give_the_network_description(
    network: Network, code: str, description: str
) -> None:
    assert reason_description(network, code) == description


@pytest.mark.parametrize(
    ("network", "code"),
    [
        (Network.VISA, "4837"),
        (Network.VISA, "10"),
        (Network.VISA, "12.6.3"),
        (Network.VISA, "104"),
        (Network.MASTERCARD, "10.4"),
        (Network.MASTERCARD, "4800"),
        (Network.AMEX, "UA02"),
        (Network.AMEX, "F99"),
        (Network.DISCOVER, "F29"),
        (Network.DISCOVER, "UA99"),
        (Network.DISCOVER, ""),
    ],
)
def test_codes_of_another_network_or_none_at_all_are_unknown(network: Network, code: str) -> None:
    assert reason_description(network, code) is None


def test_letter_codes_match_in_any_case() -> None:
    assert reason_description(Network.AMEX, "f29") == reason_description(Network.AMEX, "F29")
    assert reason_description(Network.DISCOVER, "ua02") == reason_description(Network.DISCOVER, "UA02")


def test_each_reason_code_table_names_its_public_source() -> None:
    source = inspect.getsource(reason_codes)
    for table, publication in [
        ("VISA_REASON_CODES", "Visa Dispute Management Guidelines for Merchants"),
        ("MASTERCARD_REASON_CODES", "Mastercard Chargeback Guide"),
        ("AMEX_REASON_CODES", "American Express Merchant Regulations"),
        ("DISCOVER_REASON_CODES", "Dispute Rules Manual"),
    ]:
        comment = source[: source.index(f"{table}: dict")].rsplit("\n\n", 1)[-1]
        assert comment.startswith("# Source: ") and publication in comment, table
    assert set(REASON_CODES) == set(Network)


@pytest.mark.parametrize(
    ("currency", "units"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("GBP", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("TND", 3),
        ("CLF", 4),
    ],
)
def test_minor_units_come_from_iso_4217(currency: str, units: int) -> None:
    assert minor_units(currency) == units


@pytest.mark.parametrize("code", ["usd", "Usd", "US", "USDX", "", "XAU", "XXX", "XTS", "ZZZ", "840"])
def test_minor_units_is_none_for_anything_but_an_upper_case_currency_code(code: str) -> None:
    assert minor_units(code) is None


def test_minor_units_cover_every_iso_4217_currency_that_has_them() -> None:
    expected = {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}

    assert len(expected) > 150
    assert {code: minor_units(code) for code in expected} == expected


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("125.5"), "USD", "125.50"),
        (Decimal("125.50"), "USD", "125.50"),
        (Decimal("10.100"), "USD", "10.10"),
        (Decimal("7"), "USD", "7.00"),
        (Decimal("0.01"), "USD", "0.01"),
        (Decimal("1E+3"), "USD", "1000.00"),
        (Decimal("1.2E+7"), "USD", "12000000.00"),
        (Decimal("123456789012345678"), "USD", "123456789012345678.00"),
        (Decimal("1200.0"), "JPY", "1200"),
        (Decimal("1200"), "JPY", "1200"),
        (Decimal("5E+2"), "JPY", "500"),
        (Decimal("12.345"), "BHD", "12.345"),
        (Decimal("12.3"), "BHD", "12.300"),
        (Decimal("0.001"), "BHD", "0.001"),
    ],
)
def test_amounts_are_formatted_with_exactly_the_currency_fraction_digits(
    amount: Decimal, currency: str, text: str
) -> None:
    assert format_amount(amount, currency) == text


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (Decimal("10.123"), "USD"),
        (Decimal("1200.5"), "JPY"),
        (Decimal("1.2345"), "BHD"),
        (Decimal("1E-5"), "USD"),
        (Decimal("NaN"), "USD"),
        (Decimal("10"), "usd"),
        (Decimal("10"), "XAU"),
    ],
)
def test_format_amount_never_rounds_and_refuses_unknown_currencies(amount: Decimal, currency: str) -> None:
    with pytest.raises(ValueError):
        format_amount(amount, currency)


def test_formatting_does_not_depend_on_the_callers_decimal_context() -> None:
    with localcontext() as context:
        context.prec = 3
        assert format_amount(Decimal("123456.78"), "USD") == "123456.78"
