"""Schemathesis on the edit and upload endpoints, with the planner's token: generated
edits and uploaded files (random bytes in every format's name) never get a 5xx answer.

The app has a store of its own; generated edits that are valid are saved there. The
tally is written to ``test-artifacts/schemathesis-edits.json``.
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

#: Generated requests per edit operation.
EXAMPLES = 40
TOKEN = "schemathesis-edits-token-0123456789"

_TALLY: Counter[str] = Counter()
_FOLDER = Path(tempfile.gettempdir()) / f"circles-schemathesis-edits-{os.getpid()}"
APP = create_app(
    Settings(
        scenario="jingkou",
        data_dir=_FOLDER / "store",
        cache_dir=_FOLDER / "cache",
        edit_token=TOKEN,
        osm_file=None,
        graphml=None,
        download=False,
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(path_regex=r"^/api/scenario/")


@pytest.fixture(scope="module", autouse=True)
def started(artifacts: Path) -> Iterator[None]:
    """Start the app for the module; write the tally and remove the store when done."""
    with TestClient(APP):
        yield
    (artifacts / "schemathesis-edits.json").write_text(
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
def test_no_server_errors_with_the_token(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    _TALLY["examples"] += 1
    _TALLY[f"{response.status_code // 100}xx"] += 1
    _TALLY[f"{case.method} {case.path} {response.status_code}"] += 1
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}
