"""Named exceptions. The state machine's Retry and Catch match them by class name."""


class ChargebackError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidBatchFile(ChargebackError):
    """The input file cannot be read as a batch: not JSON, wrong shape, bad encoding.

    The message names the file and the position; it never echoes file content.
    """


class BatchRejected(ChargebackError):
    """The file parsed but the batch cannot go on: no valid record, or a bad record under `strict`."""


class ConfigurationError(ChargebackError):
    """A setting or a delivery target is missing or wrong (no secret for a network, bad protocol)."""


class DeliveryRefused(ChargebackError):
    """Permanent delivery failure: login refused, permission denied, host key mismatch, FTP 5xx."""


class TransientDeliveryError(ChargebackError):
    """Delivery failed for a reason that may pass: refused, reset, timeout, FTP 4xx (after in-Lambda retries)."""
