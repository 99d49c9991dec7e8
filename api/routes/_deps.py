"""Dependencies shared by the routes: the state, the snapshot, the editor's token.

They are coroutines because they do no blocking work: FastAPI then runs them on the
event loop instead of handing each to the thread pool.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import AuthenticationError
from api.state import AppState, Snapshot

__all__ = ["Current", "Editor", "State", "get_snapshot", "get_state", "require_editor"]

_bearer = HTTPBearer(
    auto_error=False,
    description="The planner's edit token (CIRCLES_EDIT_TOKEN): `Authorization: Bearer <token>`.",
)


async def get_state(request: Request) -> AppState:
    """The application state built at start-up."""
    state: AppState = request.app.state.circles
    return state


def current_snapshot(request: Request) -> Snapshot:
    """The current snapshot, for routes on the hot path that skip dependency injection."""
    state: AppState = request.app.state.circles
    return state.snapshot


async def get_snapshot(state: Annotated[AppState, Depends(get_state)]) -> Snapshot:
    """The current snapshot; one request reads only this one."""
    return state.snapshot


async def require_editor(
    state: Annotated[AppState, Depends(get_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Check the bearer token of an edit and return the token's name (for the audit log).

    Raises
    ------
    AuthenticationError
        Without a token, with a wrong one, or when edits are turned off.
    """
    expected = state.settings.edit_token
    if expected is None:
        msg = "edits are turned off on this server; start it with CIRCLES_EDIT_TOKEN set"
        raise AuthenticationError(msg)
    if credentials is None or credentials.scheme.lower() != "bearer":
        msg = "this edit needs the planner's token: send the header Authorization: Bearer <token>"
        raise AuthenticationError(msg)
    if not secrets.compare_digest(
        credentials.credentials.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    ):
        msg = "the bearer token is wrong; ask the server's operator for the planner's token"
        raise AuthenticationError(msg)
    return state.settings.edit_token_name


State = Annotated[AppState, Depends(get_state)]
Current = Annotated[Snapshot, Depends(get_snapshot)]
Editor = Annotated[str, Depends(require_editor)]
