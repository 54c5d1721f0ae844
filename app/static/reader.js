// The reading view: a whole document, its table of contents, and the passage a link targets
// (`/dokument/strategi?sentence=2#strategi:0042`) highlighted and scrolled into view.

import { fetchDocument } from "./api.js";
import { el } from "./dom.js";
import {
  badSentenceNote,
  chatLink,
  documentIdFromPath,
  isSentenceIndex,
  parseReadingTarget,
  passageFragment,
} from "./links.js";
import { newHeadings, shortPageLabel } from "./text.js";

const $ = (selector) => document.querySelector(selector);
const title = $("#doc-title");
const meta = $("#doc-meta");
const status = $("#doc-status");
const toc = $("#toc");
const tocDetails = $("#toc-details");
const tocList = $("#toc-list");
const text = $("#doc-text");
// Beside the text on a wide screen, folded above it on a phone.
const WIDE = window.matchMedia("(min-width: 60rem)");

const passages = new Map(); // chunk_id → { passage, node }
let targeted = null;

/** The status line: progress, or (`problem`) what is wrong with the link or the fetch. */
function say(problem, ...message) {
  status.replaceChildren(...message);
  status.classList.toggle("problem", problem && status.textContent !== "");
}

function tocItems(nodes) {
  return nodes.map((node) =>
    el(
      "li",
      {},
      el("a", { href: passageFragment(node.chunk_id), text: node.title }),
      node.children.length ? el("ol", {}, tocItems(node.children)) : null,
    ),
  );
}

/**
 * A passage's text: reading on, without the sentence it repeats from the passage before it;
 * the targeted one whole, with its linked sentence marked.
 */
function fillText(entry, whole, sentence = -1) {
  const { passage } = entry;
  const box = entry.node.querySelector(".passage-text");
  const body = passage.text;
  if (sentence < 0) {
    box.replaceChildren(whole ? body : body.slice(passage.overlap).replace(/^\s+/u, ""));
    return;
  }
  const [start, end] = passage.sentences[sentence];
  const mark = el("mark", { class: "cited" }, body.slice(start, end));
  box.replaceChildren(body.slice(0, start), mark, body.slice(end));
}

function passageNode(passage, number) {
  const page = shortPageLabel(passage.page, passage.page_end);
  const which = ` till passage ${number}${page ? `, ${page}` : ""}`;
  return el(
    "div",
    { class: "passage", id: passage.chunk_id, tabindex: "-1" },
    el("p", { class: "passage-text" }),
    el(
      "p",
      { class: "passage-meta" },
      page ? el("span", { class: "passage-page" }, page) : null,
      el(
        "a",
        { href: passageFragment(passage.chunk_id) },
        "Länk",
        el("span", { class: "visually-hidden" }, which),
      ),
      el(
        "a",
        { href: chatLink(passage.chunk_id) },
        "Öppna i chatten",
        el("span", { class: "visually-hidden" }, ` (passage ${number})`),
      ),
    ),
  );
}

function renderDocument(doc) {
  document.title = `${doc.title} – Cyberstrategi`;
  title.textContent = doc.title;
  const pages = doc.passages.flatMap((p) => [p.page, p.page_end]).filter((p) => p != null);
  const span = pages.length ? shortPageLabel(Math.min(...pages), Math.max(...pages)) : "";
  const count = `${doc.passages.length} passager`;
  meta.textContent = [doc.date, count, span].filter(Boolean).join(" · ");

  tocList.replaceChildren(...tocItems(doc.toc));
  // A table of contents that only repeats the title (the press release's) says nothing.
  const [first] = doc.toc;
  const onlyTitle = doc.toc.length === 1 && !first.children.length && first.title === doc.title;
  toc.hidden = !first || onlyTitle;
  tocDetails.open = WIDE.matches;

  const nodes = [];
  let path = [];
  doc.passages.forEach((passage, index) => {
    for (const heading of newHeadings(path, passage.heading_path)) {
      // A heading that repeats the document's title (the press release's) is the h1 already.
      if (heading.level === 0 && heading.title === doc.title) continue;
      nodes.push(el(`h${Math.min(heading.level + 2, 6)}`, { class: "doc-heading" }, heading.title));
    }
    path = passage.heading_path;
    const entry = { passage, node: passageNode(passage, index + 1) };
    fillText(entry, false);
    passages.set(passage.chunk_id, entry);
    nodes.push(entry.node);
  });
  text.replaceChildren(...nodes);
}

/** Highlights the passage the fragment names; returns a note for the status line. */
function applyTarget({ chunkId, sentence = null, rawSentence = null }) {
  if (targeted) {
    targeted.node.classList.remove("targeted");
    fillText(targeted, false);
    targeted = null;
  }
  if (!chunkId) return "";
  const entry = passages.get(chunkId);
  if (!entry) return `Passagen ${chunkId} finns inte i dokumentet. Hela dokumentet visas.`;
  let index = -1;
  let note = "";
  if (sentence !== null) {
    if (isSentenceIndex(sentence, entry.passage.sentences)) index = sentence;
    else note = badSentenceNote(rawSentence, entry.passage.sentences.length);
  }
  fillText(entry, true, index);
  entry.node.classList.add("targeted");
  entry.node.scrollIntoView({ block: "start" });
  // A long passage on a small screen: the sentence matters more than the passage's start.
  const mark = entry.node.querySelector("mark.cited");
  const box = mark?.getBoundingClientRect();
  if (box && (box.top < 0 || box.bottom > window.innerHeight)) {
    mark.scrollIntoView({ block: "center" });
  }
  entry.node.focus({ preventScroll: true });
  targeted = entry;
  return note;
}

async function load() {
  const docId = documentIdFromPath(location.pathname);
  let doc;
  try {
    if (docId === null) throw new Error("Adressen anger inget dokument.");
    doc = await fetchDocument(docId);
  } catch (error) {
    const missing = error.code === "unknown_document" || docId === null;
    title.textContent = missing ? "Dokumentet finns inte" : "Dokumentet kunde inte visas";
    document.title = `${title.textContent} – Cyberstrategi`;
    say(true, `${error.message} `, el("a", { href: "/" }, "Till frågorna och svaren"));
    return;
  }
  renderDocument(doc);
  say(true, applyTarget(parseReadingTarget(location.search, location.hash)));
}

window.addEventListener("hashchange", () => {
  // The link's sentence belonged to the passage it targeted, not to the next one.
  if (location.search) history.replaceState(null, "", location.pathname + location.hash);
  say(true, applyTarget(parseReadingTarget("", location.hash)));
});

load();
