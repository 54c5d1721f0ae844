"""`python -m eval answers`: answer quality per part (tune, test, heldout), in-process.

Every question goes through the streamed answer path (what the chat UI and the SSE API
show), so the time to the first delta is measured too. Writes `answers.jsonl` (one line per
question: the answer, its missing key terms, the documents it cites) and `summary.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from eval.answer_study import (
    PARTS,
    Part,
    StudyScore,
    load_split,
    part_of,
    render,
    row,
    score_study,
    study,
)
from eval.arguments import at_least_one
from eval.cli import QUESTIONS, OneLineParser, fail
from eval.question_set import QuestionItem, load_questions
from eval.report import REPORTS
from eval.runner import ASK_K, stratified, turns
from eval.targets import InProcessTarget

SPLIT = Path(__file__).with_name("split.json")
HELDOUT = Path(__file__).with_name("heldout.jsonl")


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m eval answers", description=__doc__)
    add = parser.add_argument
    add("--backend", default="extractive", help="answer backend (default: extractive)")
    add("--questions", type=Path, default=QUESTIONS, help="the tuned set (split by --split)")
    add("--split", type=Path, default=SPLIT, help="which of --questions are the test part")
    add("--heldout", type=Path, default=HELDOUT, help="questions never tuned on")
    add("--part", choices=PARTS, action="append", dest="parts", help="only these parts")
    add("--limit", type=at_least_one, help="N questions per part, taken round-robin over types")
    add(
        "--local-model",
        type=Path,
        metavar="GGUF",
        help="serve this model with llama.cpp on loopback and evaluate --backend openai on it",
    )
    add("--reports", type=Path, default=REPORTS, help="where the report folder goes")
    add("--no-progress", action="store_true", help="no progress bar")
    return parser


def load_parts(args: argparse.Namespace) -> list[tuple[QuestionItem, Part]]:
    tuned = load_questions(args.questions)
    heldout = load_questions(args.heldout) if args.heldout.is_file() else []
    clash = {i.id for i in tuned} & {i.id for i in heldout}
    if clash:
        raise ValueError(f"ids in both {args.questions} and {args.heldout}: {sorted(clash)[:5]}")
    test_ids = load_split(args.split)
    heldout_ids = {i.id for i in heldout}
    wanted = set(args.parts or PARTS)
    items = [(i, part_of(i, test_ids, heldout_ids)) for i in [*tuned, *heldout]]
    chosen: list[tuple[QuestionItem, Part]] = []
    for part in PARTS:
        if part in wanted:
            in_part = stratified([i for i, p in items if p == part], args.limit)
            chosen += [(i, part) for i in in_part]
    return chosen


async def run(args: argparse.Namespace, items: list[tuple[QuestionItem, Part]]) -> int:
    from app.settings import load_settings
    from app.wiring import build_question_answering

    try:
        target = InProcessTarget(build_question_answering(load_settings()))
    except Exception as exc:  # settings, store or embedder: one line, like `python -m app`
        return fail(f"{type(exc).__name__}: {exc}")
    try:
        if args.backend not in target.backends:
            return fail(
                f"backend {args.backend!r} is not available; available: "
                f"{', '.join(target.backends)} (the openai backend needs RAG_LLM_BASE_URL)"
            )
        headings = {h for c in target.qa.chunks() for h in c.heading_path}
        scores: list[StudyScore] = []
        for item, part in tqdm(items, disable=args.no_progress, unit="q", dynamic_ncols=True):
            outcome, first_token = await target.ask_streamed(
                item.question, ASK_K, turns(item), args.backend
            )
            scores.append(score_study(item, part, outcome, headings, first_token))
    finally:
        await target.aclose()
    summary = study(scores)
    folder = args.reports / f"answers-{datetime.now():%Y%m%d-%H%M%S}-{args.backend}"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "answers.jsonl").open("w", encoding="utf-8") as handle:
        for score in scores:
            handle.write(json.dumps(row(score), ensure_ascii=False) + "\n")
    command = shlex.join(["python", "-m", "eval", "answers", *args.argv])
    payload = {"command": command, "backend": args.backend, **summary}
    (folder / "summary.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(render(summary, args.backend))
    print(f"\nanswers: {folder / 'answers.jsonl'}")
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        items = load_parts(args)
    except (ValueError, OSError) as exc:
        return fail(f"cannot load questions: {exc}")
    if args.local_model is None:
        return asyncio.run(run(args, items))
    from localmodel.server import ServerError, llama_server

    args.reports.mkdir(parents=True, exist_ok=True)
    try:
        with llama_server(args.local_model, log=args.reports / "llama-server.log") as url:
            os.environ["RAG_LLM_BASE_URL"] = url
            return asyncio.run(run(args, items))
    except ServerError as exc:
        return fail(str(exc))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
