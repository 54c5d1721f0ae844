"""Operations: `POST /admin/reload` (or SIGHUP) swaps in a rebuilt store; `GET /metrics`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app.access.networks import is_loopback
from app.api.access_control import AccessPolicy, identity_of
from app.api.deps import Reloader
from app.api.errors import GUARDED, ApiError, error_docs
from app.lifecycle import ReloadError
from app.schemas import ReloadResponse, StoreSummary
from app.telemetry import Metrics

router = APIRouter(tags=["admin"])


async def require_admin(request: Request) -> None:
    policy: AccessPolicy = request.app.state.access
    identity = identity_of(request.scope)
    if policy.keys_on and identity.key_name is None:
        raise ApiError(403, "forbidden", "Administration needs an API key, not a browser login.")
    if not policy.keys_on and not is_loopback(identity.client):
        raise ApiError(
            403,
            "forbidden",
            "With API keys off, /admin is only allowed from this machine (127.0.0.1 or ::1).",
        )


@router.post(
    "/admin/reload",
    response_model=ReloadResponse,
    responses=error_docs(403, 409, *GUARDED, s409="Det nya indexet kunde inte läsas in."),
    dependencies=[Depends(require_admin)],
    summary="Läs in ett nybyggt index",
)
async def reload_store(reloader: Reloader) -> ReloadResponse:
    """Loads the store on disk and swaps it in; a bad store is refused and the old one stays."""
    try:
        fresh = await reloader.reload()
    except ReloadError as exc:
        raise ApiError(
            409,
            "reload_failed",
            f"The store on disk was not loaded; the previous one is still serving. {exc}",
        ) from exc
    return ReloadResponse(status="reloaded", store=StoreSummary.from_manifest(fresh.manifest))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus metrics (text exposition format)."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=Metrics.content_type)
