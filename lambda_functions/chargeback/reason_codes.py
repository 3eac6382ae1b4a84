"""Chargeback reason codes per network, with their descriptions.

Codes are matched as the networks write them: Visa `10.4`, `12.6.1`; Mastercard `4837`; Amex `F29`;
Discover `UA02`. Letters are compared case-insensitively (`f29` is `F29`); `canonical_reason_code` gives the
network's spelling. The tables hold current codes and the older ones still seen in dispute files.
"""

from __future__ import annotations

from chargeback.networks import Network

# Source: Visa Dispute Management Guidelines for Merchants (Visa Claims Resolution, dispute conditions),
# and the Visa Core Rules and Visa Product and Service Rules. Categories: 10 fraud, 11 authorisation,
# 12 processing errors, 13 consumer disputes.
VISA_REASON_CODES: dict[str, str] = {
    "10.1": "EMV Liability Shift Counterfeit Fraud",
    "10.2": "EMV Liability Shift Non-Counterfeit Fraud",
    "10.3": "Other Fraud - Card-Present Environment",
    "10.4": "Other Fraud - Card-Absent Environment",
    "10.5": "Visa Fraud Monitoring Program",
    "11.1": "Card Recovery Bulletin",
    "11.2": "Declined Authorization",
    "11.3": "No Authorization",
    "12.1": "Late Presentment",
    "12.2": "Incorrect Transaction Code",
    "12.3": "Incorrect Currency",
    "12.4": "Incorrect Account Number",
    "12.5": "Incorrect Amount",
    "12.6": "Duplicate Processing or Paid by Other Means",
    "12.6.1": "Duplicate Processing",
    "12.6.2": "Paid by Other Means",
    "12.7": "Invalid Data",
    "13.1": "Merchandise/Services Not Received",
    "13.2": "Cancelled Recurring Transaction",
    "13.3": "Not as Described or Defective Merchandise/Services",
    "13.4": "Counterfeit Merchandise",
    "13.5": "Misrepresentation",
    "13.6": "Credit Not Processed",
    "13.7": "Cancelled Merchandise/Services",
    "13.8": "Original Credit Transaction Not Accepted",
    "13.9": "Non-Receipt of Cash or Load Transaction Value",
}

# Source: Mastercard Chargeback Guide (Merchant Edition), message reason codes for dual message system
# transactions, including the codes the Guide keeps for older disputes.
MASTERCARD_REASON_CODES: dict[str, str] = {
    "4807": "Warning Bulletin File",
    "4808": "Authorization-Related Chargeback",
    "4812": "Account Number Not on File",
    "4831": "Transaction Amount Differs",
    "4834": "Point-of-Interaction Error",
    "4837": "No Cardholder Authorization",
    "4840": "Fraudulent Processing of Transactions",
    "4841": "Cancelled Recurring or Digital Goods Transactions",
    "4842": "Late Presentment",
    "4846": "Correct Transaction Currency Code Not Provided",
    "4849": "Questionable Merchant Activity",
    "4850": "Installment Billing Dispute",
    "4853": "Cardholder Dispute",
    "4854": "Cardholder Dispute - Not Elsewhere Classified (U.S. Region Only)",
    "4855": "Goods or Services Not Provided",
    "4859": "Addendum, No-show, or ATM Dispute",
    "4860": "Credit Not Processed",
    "4863": "Cardholder Does Not Recognize - Potential Fraud",
    "4870": "Chip Liability Shift",
    "4871": "Chip/PIN Liability Shift",
    "4999": "Domestic Chargeback Dispute (Europe Region Only)",
}

# Source: American Express Merchant Regulations (chargeback and inquiry reason codes): A authorisation,
# C card member disputes, F fraud, FR fraud programmes, M miscellaneous, P processing errors,
# R inquiry/retrieval outcomes.
AMEX_REASON_CODES: dict[str, str] = {
    "A01": "Charge Amount Exceeds Authorization Amount",
    "A02": "No Valid Authorization",
    "A08": "Authorization Approval Expired",
    "C02": "Credit Not Processed",
    "C04": "Goods/Services Returned or Refused",
    "C05": "Goods/Services Cancelled",
    "C08": "Goods/Services Not Received or Only Partially Received",
    "C14": "Paid by Other Means",
    "C18": '"No Show" or CARDeposit Cancelled',
    "C28": "Cancelled Recurring Billing",
    "C31": "Goods/Services Not as Described",
    "C32": "Goods/Services Damaged or Defective",
    "F10": "Missing Imprint",
    "F14": "Missing Signature",
    "F24": "No Card Member Authorization",
    "F29": "Card Not Present",
    "F30": "EMV Counterfeit",
    "F31": "EMV Lost/Stolen/Non-Received",
    "FR2": "Fraud Full Recourse Program",
    "FR4": "Immediate Chargeback Program",
    "FR6": "Partial Immediate Chargeback Program",
    "M01": "Chargeback Authorization",
    "M10": "Vehicle Rental - Capital Damages",
    "M49": "Vehicle Rental - Theft or Loss of Use",
    "P01": "Unassigned Card Number",
    "P03": "Credit Processed as Charge",
    "P04": "Charge Processed as Credit",
    "P05": "Incorrect Charge Amount",
    "P07": "Late Submission",
    "P08": "Duplicate Charge",
    "P22": "Non-Matching Card Number",
    "P23": "Currency Discrepancy",
    "R03": "Insufficient Reply",
    "R13": "No Reply",
}

# Source: Discover Global Network Dispute Rules Manual (Discover Network Operating Regulations, dispute and
# chargeback reason codes), with the UA fraud codes by card-present, keyed and card-not-present condition.
DISCOVER_REASON_CODES: dict[str, str] = {
    "05": "Good Faith Investigation",
    "AA": "Does Not Recognize",
    "AP": "Cancelled Recurring Transaction",
    "AT": "Authorization Noncompliance",
    "AW": "Altered Amount",
    "CD": "Credit/Debit Posted Incorrectly",
    "DA": "Declined Authorization",
    "DC": "Dispute Compliance",
    "DP": "Duplicate Processing",
    "DP1": "Duplicate Processing - ATM",
    "EX": "Expired Card",
    "IC": "Illegible Sales Data",
    "IN": "Invalid Card Number",
    "LP": "Late Presentation",
    "NA": "No Authorization",
    "NC": "Not Classified",
    "NF": "Non-Receipt of Cash from ATM",
    "PM": "Paid by Other Means",
    "RG": "Non-Receipt of Goods, Services or Cash",
    "RM": "Cardholder Disputes Quality of Goods or Services",
    "RN2": "Credit Not Processed",
    "TF": "Violation of Operating Regulations",
    "UA01": "Fraud - Card Present Transaction",
    "UA02": "Fraud - Card Not Present Transaction",
    "UA05": "Fraud - Chip Counterfeit Transaction",
    "UA06": "Fraud - Chip and PIN Transaction",
    "UA10": "Request Transaction Receipt - Swiped Card Transaction",
    "UA11": "Cardholder Claims Fraud - Swiped Card Transaction, No Signature",
    "UA12": "Cardholder Claims Fraud - Swiped Card Transaction, Invalid Signature",
    "UA18": "Cardholder Claims Fraud - Swiped Card Transaction, Illegible Documentation",
    "UA20": "Request Transaction Documentation - Keyed Card Transaction",
    "UA21": "Cardholder Claims Fraud - Keyed Card Transaction, No Signature",
    "UA22": "Cardholder Claims Fraud - Keyed Card Transaction, Invalid Signature",
    "UA23": "Cardholder Claims Fraud - Keyed Card Transaction, No Card Imprint",
    "UA28": "Cardholder Claims Fraud - Keyed Card Transaction, Illegible Documentation",
    "UA30": "Request Transaction Documentation - Card Not Present Transaction",
    "UA31": "Cardholder Claims Fraud - Card Not Present Transaction, No Signature",
    "UA32": "Cardholder Claims Fraud - Card Not Present Transaction, Invalid Signature",
    "UA38": "Cardholder Claims Fraud - Card Not Present Transaction, Illegible Documentation",
}

REASON_CODES: dict[Network, dict[str, str]] = {
    Network.VISA: VISA_REASON_CODES,
    Network.MASTERCARD: MASTERCARD_REASON_CODES,
    Network.AMEX: AMEX_REASON_CODES,
    Network.DISCOVER: DISCOVER_REASON_CODES,
}


def canonical_reason_code(network: Network, code: str) -> str | None:
    """The network's own spelling of `code` ('f29' -> 'F29'), or None when the network has no such code."""
    table = REASON_CODES[network]
    if code in table:
        return code
    upper = code.upper()
    return upper if upper in table else None


def reason_description(network: Network, code: str) -> str | None:
    """The description of `code` for `network`, or None when the network has no such code."""
    canonical = canonical_reason_code(network, code)
    return None if canonical is None else REASON_CODES[network][canonical]
