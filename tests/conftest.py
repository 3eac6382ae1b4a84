"""Settings every test needs, applied before any handler module is imported.

Fake AWS credentials (so nothing can reach a real account) and the Powertools settings of the tests.
Fixtures of one area live in that area's own module or sub-folder `conftest.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "Chargeback",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "chargeback-tests",
    }
)


@dataclass(frozen=True)
class FakeLambdaContext:
    function_name: str = "chargeback-test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:chargeback-test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
