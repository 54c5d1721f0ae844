"""Prometheus metrics, one registry per app (so several apps in one test process never clash)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from app.results import AskResult

STAGES = ("rewrite", "retrieval", "generation", "total")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "rag_http_request_duration_seconds",
            "Time from request to the end of the response, by route template.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.stage = Histogram(
            "rag_ask_stage_seconds",
            "Time per /ask stage (rewrite, retrieval, generation, total).",
            ["stage", "backend"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.answers = Counter("rag_answers", "Answers by backend.", ["backend"], registry=registry)
        self.refusals = Counter(
            "rag_refusals",
            "Answers that said the documents do not answer.",
            ["backend"],
            registry=registry,
        )
        self.degraded = Counter(
            "rag_degraded_answers",
            "Answers composed extractively because the chosen backend failed or ran out of time.",
            ["backend"],
            registry=registry,
        )
        self.backend_errors = Counter(
            "rag_backend_errors",
            "Failures of a backend (down, too slow, garbage), by stage (rewrite, generation).",
            ["backend", "stage"],
            registry=registry,
        )
        self.reloads = Counter(
            "rag_store_reloads", "Store reloads by outcome.", ["outcome"], registry=registry
        )
        self.store_chunks = Gauge(
            "rag_store_chunks", "Passages in the loaded store.", registry=registry
        )
        self.store_build_seconds = Gauge(
            "rag_store_build_seconds", "How long the loaded store took to build.", registry=registry
        )
        self.generations_active = Gauge(
            "rag_generations_active", "Generations running now.", registry=registry
        )
        self.generations_waiting = Gauge(
            "rag_generations_waiting", "Generations waiting for a slot.", registry=registry
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def observe_answer(self, result: AskResult) -> None:
        backend = result.backend
        self.answers.labels(backend).inc()
        if result.generation.refused:
            self.refusals.labels(backend).inc()
        if result.generation.degraded:
            self.degraded.labels(backend).inc()
        timings = result.timings
        values = (timings.rewrite_ms, timings.retrieval_ms, timings.generation_ms, timings.total_ms)
        for stage, milliseconds in zip(STAGES, values, strict=True):
            self.stage.labels(stage, backend).observe(milliseconds / 1000)

    def backend_error(self, backend: str, stage: str) -> None:
        self.backend_errors.labels(backend, stage).inc()

    def set_store(self, manifest: Mapping[str, Any]) -> None:
        self.store_chunks.set(manifest.get("chunk_count", 0))
        self.store_build_seconds.set(manifest.get("build_seconds", 0.0))

    def watch_gate(self, active: Callable[[], float], waiting: Callable[[], float]) -> None:
        self.generations_active.set_function(active)
        self.generations_waiting.set_function(waiting)

    def render(self) -> bytes:
        return generate_latest(self.registry)
