"""The dependencies the routes share: the loaded system, the limits, the stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.api.errors import ApiError
from app.feedback.store import FeedbackRecords
from app.lifecycle import StoreReloader
from app.limits.gate import GenerationGate
from app.service import QuestionAnswering
from app.telemetry import Metrics

# The dependencies only read the request and the app's state: `async def`, so FastAPI calls
# them on the event loop. A plain `def` is sent to a worker thread and back, one hand-off
# per dependency per request (README, "Current figures").


@dataclass(frozen=True)
class AskLimits:
    gate: GenerationGate
    deadline_s: float
    metrics: Metrics


async def require_json(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type must be application/json (got '{content_type or 'none'}'); "
            "send the body as JSON.",
        )


async def get_qa(request: Request) -> QuestionAnswering:
    qa: QuestionAnswering = request.app.state.qa
    return qa


async def get_limits(request: Request) -> AskLimits:
    limits: AskLimits = request.app.state.ask_limits
    return limits


async def get_feedback_store(request: Request) -> FeedbackRecords:
    store: FeedbackRecords = request.app.state.feedback
    return store


async def get_reloader(request: Request) -> StoreReloader:
    reloader: StoreReloader = request.app.state.reloader
    return reloader


QA = Annotated[QuestionAnswering, Depends(get_qa)]
Limits = Annotated[AskLimits, Depends(get_limits)]
Feedback = Annotated[FeedbackRecords, Depends(get_feedback_store)]
Reloader = Annotated[StoreReloader, Depends(get_reloader)]
