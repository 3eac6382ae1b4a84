"""Chargeback domain: read, validate, mask, split and render chargeback batches.

The core modules (models, validation, masking, batching, CSV rendering) import no
AWS SDK, no transport library and read no environment variables.
"""
