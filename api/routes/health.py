"""Health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.routes._deps import Current

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/healthz", summary="Service health and what it serves")
def health(snapshot: Current) -> dict[str, Any]:
    """Say the service is up, which scenario it serves and where its streets came from."""
    network = snapshot.district.network
    return {
        "status": "ok",
        "network": {"source": network.source, **network.stats()},
        **snapshot.meta(),
    }
