"""Schemathesis against the OpenAPI schema: generated requests never get a 5xx answer.

Every operation gets up to ``EXAMPLES`` generated requests (valid and invalid ones). The
tally of examples and status classes is written to ``test-artifacts/schemathesis.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from api.settings import Settings

pytestmark = pytest.mark.slow

#: Generated requests per API operation.
EXAMPLES = 30
#: Solver time allowed to generated site requests with method "exact", seconds: enough
#: to exercise the solver, short enough to keep the run bounded.
SOLVER_SECONDS = 0.5

_TALLY: Counter[str] = Counter()


# The schema is read when the module is imported; the app's state is built by the
# module fixture below before any request is generated.
# Nothing is written there unless a generated edit got through (it cannot: no token).
_FOLDER = Path(tempfile.gettempdir()) / f"circles-schemathesis-{os.getpid()}"
APP = create_app(
    Settings(
        scenario="jingkou",
        data_dir=_FOLDER / "store",
        cache_dir=_FOLDER / "cache",
        edit_token="schemathesis-token-0123456789",
        osm_file=None,
        graphml=None,
        offline=True,
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def started(artifacts: Path) -> Iterator[None]:
    """Start the app (lifespan) for the module; write the tally when done."""
    with TestClient(APP):
        yield
    (artifacts / "schemathesis.json").write_text(
        json.dumps(dict(sorted(_TALLY.items())), indent=2), encoding="utf-8"
    )
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any) -> None:
    if isinstance(case.body, dict) and isinstance(case.body.get("time_limit_s"), int | float):
        case.body["time_limit_s"] = min(case.body["time_limit_s"], SOLVER_SECONDS)
    response = case.call()
    _TALLY["examples"] += 1
    _TALLY[f"{response.status_code // 100}xx"] += 1
    _TALLY[f"{case.method} {case.path}"] += 1
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}
