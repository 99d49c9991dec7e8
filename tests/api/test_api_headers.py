"""Security headers on every answer; the pages' own scripts are the only ones allowed."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

PAGES = ["/", "/courier", "/planner", "/docs"]


@pytest.mark.parametrize(
    "path", [*PAGES, "/healthz", "/api/layers", "/openapi.json", "/static/app/maps.js", "/nope"]
)
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]


def test_too_large_bodies_carry_them_too(client: TestClient) -> None:
    response = client.post("/api/whatif", content=b"x", headers={"Content-Length": str(10**9)})
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_page_scripts_are_allowed_by_their_hash(client: TestClient, path: str) -> None:
    response = client.get(path)
    policy = response.headers["content-security-policy"]
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", response.text, re.DOTALL)
    inline = [s for s in scripts if s.strip()]
    assert inline, "the page has inline scripts"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    hosts = policy.split("img-src", 1)[1].split(";", 1)[0]
    assert "https://tile.openstreetmap.org" in hosts  # the configured basemap only
    assert "autonavi" not in policy and "tianditu" not in policy
