// Rendering one answer: text with clickable [n] chips, and the list of its sources.

import { el } from "./dom.js";
import { citedRefs, pageLabel, parseAnswer, sentencesByRef } from "./text.js";

function chip(citation, sentence, openSource) {
  const label = `Källa ${citation.ref}: ${citation.title}${
    citation.page != null ? `, ${pageLabel(citation.page)}` : ""
  }`;
  const button = el("button", {
    type: "button",
    class: "chip",
    "aria-label": label,
    title: label,
    "aria-controls": "panel",
    text: String(citation.ref),
  });
  button.addEventListener("click", () =>
    openSource({ chunkId: citation.chunk_id, ref: citation.ref, sentence, trigger: button }),
  );
  return button;
}

/** The answer text as nodes: plain text, with each known [n] as a chip button. */
export function answerNodes(text, citations, openSource) {
  const byRef = new Map(citations.map((c) => [c.ref, c]));
  return parseAnswer(text, new Set(byRef.keys())).map((part) =>
    part.type === "text"
      ? document.createTextNode(part.text)
      : chip(byRef.get(part.ref), part.sentence, openSource),
  );
}

function sourceItem(citation, sentence, openSource) {
  return el(
    "li",
    { class: "source" },
    chip(citation, sentence, openSource),
    el(
      "span",
      { class: "source-text" },
      el("span", { class: "source-title", text: citation.title }),
      citation.section ? el("span", { class: "source-meta", text: citation.section }) : null,
      citation.page != null
        ? el("span", { class: "source-meta", text: pageLabel(citation.page) })
        : null,
    ),
  );
}

/**
 * The sources under an answer: the cited passages, then the other retrieved ones
 * folded away. A refused answer lists the closest passages, marked as not answering.
 */
export function sourcesSection(turn, openSource) {
  const known = new Set(turn.citations.map((c) => c.ref));
  const cited = turn.refused ? [] : citedRefs(turn.answer, known);
  const sentences = sentencesByRef(turn.answer, known);
  const item = (c) => sourceItem(c, sentences.get(c.ref) ?? "", openSource);
  const main = turn.citations.filter((c) => cited.includes(c.ref));
  const rest = turn.citations.filter((c) => !cited.includes(c.ref));
  if (!main.length && !rest.length) return null;
  const section = el("section", { class: "sources", "aria-label": "Källor" });
  if (main.length) {
    section.append(el("h3", { text: "Källor" }), el("ol", { class: "source-list" }, main.map(item)));
  }
  if (rest.length) {
    const summary = turn.refused
      ? `Närmaste passager – de besvarar inte frågan (${rest.length})`
      : `Fler hämtade passager (${rest.length})`;
    section.append(
      el(
        "details",
        { class: "more-sources" },
        el("summary", { text: summary }),
        el("ol", { class: "source-list" }, rest.map(item)),
      ),
    );
  }
  return section;
}
