// Pure text helpers: citation markers, sentence matching, page labels, headings, plain-text
// export, history.

const MARKER = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
const SENTENCE_END = /(?<=[.!?…])\s+/u;

/** The last sentence of a stretch of answer text (what a following [n] cites). */
function lastSentence(text) {
  const sentences = text
    .split(SENTENCE_END)
    .map((s) => s.replace(/^[\s.,;:!?]+/u, "").trim())
    .filter((s) => s.length > 0);
  return sentences.length ? sentences[sentences.length - 1] : "";
}

/**
 * Splits an answer into text parts and citation parts. A citation part carries the
 * answer sentence that its marker ends; markers for unknown refs stay plain text.
 */
export function parseAnswer(text, knownRefs) {
  const parts = [];
  let last = 0;
  let sentence = "";
  for (const match of text.matchAll(MARKER)) {
    const refs = match[1].split(",").map((s) => Number(s.trim()));
    if (!refs.every((ref) => knownRefs.has(ref))) continue;
    const before = text.slice(last, match.index);
    if (before) parts.push({ type: "text", text: before });
    // Markers right after markers ("[1][2]") cite the same sentence.
    if (before.trim()) sentence = lastSentence(before);
    for (const ref of refs) parts.push({ type: "cite", ref, sentence });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ type: "text", text: text.slice(last) });
  return parts;
}

/** The refs an answer cites, in order of first appearance. */
export function citedRefs(text, knownRefs) {
  const refs = [];
  for (const part of parseAnswer(text, knownRefs)) {
    if (part.type === "cite" && !refs.includes(part.ref)) refs.push(part.ref);
  }
  return refs;
}

/** The first answer sentence that cites each ref. */
export function sentencesByRef(text, knownRefs) {
  const byRef = new Map();
  for (const part of parseAnswer(text, knownRefs)) {
    if (part.type === "cite" && !byRef.has(part.ref)) byRef.set(part.ref, part.sentence);
  }
  return byRef;
}

export function words(text) {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The index of the passage sentence that shares the most words with the answer
 * sentence (ties go to the closer match), or -1 when none shares a word.
 */
export function bestSentence(passage, spans, sentence) {
  const target = new Set(words(sentence));
  if (target.size === 0) return -1;
  let best = -1;
  let bestShared = 0;
  let bestRatio = 0;
  spans.forEach(([start, end], index) => {
    const own = new Set(words(passage.slice(start, end)));
    let shared = 0;
    for (const word of own) if (target.has(word)) shared += 1;
    const ratio = shared / (own.size + target.size - shared || 1);
    if (shared > bestShared || (shared === bestShared && shared > 0 && ratio > bestRatio)) {
      best = index;
      bestShared = shared;
      bestRatio = ratio;
    }
  });
  return best;
}

export function pageLabel(page, pageEnd) {
  if (page == null) return "";
  return pageEnd != null && pageEnd !== page ? `sidorna ${page}–${pageEnd}` : `sidan ${page}`;
}

/** The short form for the margin of the reading view: "s. 17", "s. 17–18". */
export function shortPageLabel(page, pageEnd) {
  if (page == null) return "";
  return pageEnd != null && pageEnd !== page ? `s. ${page}–${pageEnd}` : `s. ${page}`;
}

/**
 * The headings a passage opens, reading on from the previous passage's heading path:
 * those past the prefix the two share, as `{ level, title }` with level 0 the outermost.
 */
export function newHeadings(previous, current) {
  let depth = 0;
  while (depth < previous.length && depth < current.length && previous[depth] === current[depth]) {
    depth += 1;
  }
  return current.slice(depth).map((title, index) => ({ level: depth + index, title }));
}

export function sourceLabel(citation) {
  const parts = [citation.title];
  if (citation.section) parts.push(citation.section);
  if (citation.page != null) parts.push(pageLabel(citation.page));
  return parts.join(", ");
}

/** The answer and its sources as plain text, for the clipboard. */
export function plainText(turn) {
  const known = new Set(turn.citations.map((c) => c.ref));
  const cited = citedRefs(turn.answer, known);
  const sources = turn.citations.filter((c) => cited.includes(c.ref));
  const lines = [turn.answer.trim()];
  if (sources.length) {
    lines.push("", "Källor:");
    for (const c of sources) lines.push(`[${c.ref}] ${sourceLabel(c)}`);
  }
  return lines.join("\n");
}

/** The conversation so far as `history` for POST /ask (complete answers only). */
export function historyFrom(turns, maxTurns = 20, maxChars = 8000) {
  const history = [];
  for (const turn of turns) {
    if (turn.status !== "done" || !turn.answer.trim()) continue;
    history.push({ role: "user", content: turn.question.slice(0, maxChars) });
    history.push({ role: "assistant", content: turn.answer.slice(0, maxChars) });
  }
  return history.slice(-maxTurns);
}
