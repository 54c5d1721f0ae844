// The source panel: one passage with the cited sentence highlighted, and its neighbours;
// opened by a citation marker or by a deep link (`/?passage=…&sentence=…`).

import { fetchChunk } from "./api.js";
import { el } from "./dom.js";
import { badSentenceNote, documentLink, isSentenceIndex } from "./links.js";
import { bestSentence, pageLabel } from "./text.js";

export class SourcePanel {
  constructor(root, { onClose = () => {} } = {}) {
    this.root = root;
    this.heading = root.querySelector("#panel-title");
    this.kind = root.querySelector("#panel-kind");
    this.doc = root.querySelector("#panel-doc");
    this.section = root.querySelector("#panel-section");
    this.page = root.querySelector("#panel-page");
    this.text = root.querySelector("#panel-text");
    this.body = root.querySelector(".panel-body");
    this.status = root.querySelector("#panel-status");
    this.previous = root.querySelector("#panel-previous");
    this.next = root.querySelector("#panel-next");
    this.back = root.querySelector("#panel-back");
    this.documentLink = root.querySelector("#panel-document");
    this.onClose = onClose;
    // From a marker: { chunkId, ref, sentence, trigger }, `sentence` the answer's sentence.
    // From a deep link: { chunkId, link: { sentence, rawSentence } } (see links.js).
    this.cited = null;
    this.current = null;
    this.controller = null;
    root.querySelector("#panel-close").addEventListener("click", () => this.close());
    this.previous.addEventListener("click", () => this.step(this.current?.previous_chunk_id));
    this.next.addEventListener("click", () => this.step(this.current?.next_chunk_id));
    this.back.addEventListener("click", () => this.step(this.cited?.chunkId));
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** Opens the passage that answer marker [ref] cites. */
  async open(source) {
    this.cited = source;
    this.root.hidden = false;
    document.body.classList.add("panel-open");
    this.heading.textContent = `Källa ${source.ref}`;
    this.heading.focus();
    await this.show(source.chunkId);
  }

  /** Opens the passage a deep link names (see parseDeepLink in links.js). */
  async openLink(link) {
    this.cited = { chunkId: link.chunkId, link };
    this.root.hidden = false;
    document.body.classList.add("panel-open");
    this.heading.textContent = "Länkad källa";
    this.heading.focus();
    if (!link.chunkId) {
      this.clear("Länken anger ingen passage. Öppna en källa från ett svar i stället.");
      return;
    }
    await this.show(link.chunkId);
  }

  step(chunkId) {
    if (!chunkId) return;
    this.show(chunkId);
  }

  close() {
    if (!this.isOpen) return;
    this.controller?.abort();
    this.root.hidden = true;
    document.body.classList.remove("panel-open");
    this.onClose();
    const trigger = this.cited?.trigger;
    (trigger?.isConnected ? trigger : document.querySelector("#question"))?.focus();
  }

  async show(chunkId) {
    this.controller?.abort();
    this.controller = new AbortController();
    this.say("Hämtar passagen …");
    this.root.setAttribute("aria-busy", "true");
    try {
      const chunk = await fetchChunk(chunkId, this.controller.signal);
      this.current = chunk;
      this.say(this.render(chunk), true);
    } catch (error) {
      if (error.name === "AbortError") return;
      const message =
        error.code === "unknown_chunk"
          ? `Passagen ${chunkId} finns inte i dokumenten. Länken kan vara felskriven, eller ` +
            "gälla en äldre version av dokumenten."
          : `Passagen kunde inte hämtas: ${error.message}`;
      // A failed step keeps the passage on show; a passage that was never shown leaves none.
      if (chunkId === this.cited?.chunkId) this.clear(message);
      else this.say(message, true);
    } finally {
      this.root.setAttribute("aria-busy", "false");
    }
  }

  /** Empties the panel but for a message saying why. */
  clear(message) {
    this.current = null;
    this.kind.textContent = "Ingen passage att visa";
    for (const node of [this.doc, this.section, this.page, this.text, this.documentLink]) {
      node.hidden = true;
    }
    this.previous.disabled = true;
    this.next.disabled = true;
    this.back.hidden = true;
    this.say(message, true);
  }

  /** The status line: progress, or (`problem`) what went wrong with a link or a fetch. */
  say(message, problem = false) {
    this.status.textContent = message;
    this.status.classList.toggle("problem", problem && message !== "");
  }

  /** The sentence to highlight in the cited passage (-1: none) and a note on a bad link. */
  citedSentence(chunk) {
    const { link, sentence } = this.cited;
    if (!link) return [bestSentence(chunk.text, chunk.sentences, sentence), ""];
    if (link.sentence === null) return [-1, ""];
    if (isSentenceIndex(link.sentence, chunk.sentences)) return [link.sentence, ""];
    return [-1, badSentenceNote(link.rawSentence, chunk.sentences.length)];
  }

  /** Shows a passage; returns a note for the status line ("" when all is well). */
  render(chunk) {
    const isCited = chunk.chunk_id === this.cited?.chunkId;
    this.kind.textContent = isCited ? "Citerad passage" : "Närliggande passage i samma dokument";
    this.doc.textContent = chunk.title;
    this.section.textContent = chunk.section || "";
    this.section.hidden = !chunk.section;
    this.page.textContent = chunk.page != null ? pageLabel(chunk.page, chunk.page_end) : "";
    this.page.hidden = chunk.page == null;
    this.doc.hidden = false;
    this.text.hidden = false;
    this.body.scrollTop = 0;
    this.text.scrollTop = 0;
    const [index, note] = isCited ? this.citedSentence(chunk) : [-1, ""];
    this.documentLink.href = documentLink(chunk.doc_id, chunk.chunk_id, index < 0 ? null : index);
    this.documentLink.hidden = false;
    if (index < 0) {
      this.text.replaceChildren(document.createTextNode(chunk.text));
    } else {
      const [start, end] = chunk.sentences[index];
      const mark = el("mark", { class: "cited" }, chunk.text.slice(start, end));
      this.text.replaceChildren(
        document.createTextNode(chunk.text.slice(0, start)),
        mark,
        document.createTextNode(chunk.text.slice(end)),
      );
      // Scroll only the passage box, so the title and page stay in view.
      this.text.scrollTop = Math.max(0, mark.offsetTop - this.text.clientHeight / 4);
    }
    const focused = document.activeElement;
    this.previous.disabled = !chunk.previous_chunk_id;
    this.next.disabled = !chunk.next_chunk_id;
    this.back.hidden = isCited;
    // Keep keyboard focus on a usable control when the one in use gets disabled or hidden.
    if (focused instanceof HTMLButtonElement && (focused.disabled || focused.hidden)) {
      (focused === this.back ? this.heading : focused === this.previous ? this.next : this.previous).focus();
    }
    return note;
  }
}
