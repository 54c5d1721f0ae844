// The source panel: one passage with the cited sentence highlighted, and its neighbours.

import { fetchChunk } from "./api.js";
import { el } from "./dom.js";
import { bestSentence, pageLabel } from "./text.js";

export class SourcePanel {
  constructor(root) {
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
    this.cited = null; // { chunkId, ref, sentence, trigger }
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

  step(chunkId) {
    if (!chunkId) return;
    this.show(chunkId);
  }

  close() {
    if (!this.isOpen) return;
    this.controller?.abort();
    this.root.hidden = true;
    document.body.classList.remove("panel-open");
    const trigger = this.cited?.trigger;
    (trigger?.isConnected ? trigger : document.querySelector("#question"))?.focus();
  }

  async show(chunkId) {
    this.controller?.abort();
    this.controller = new AbortController();
    this.status.textContent = "Hämtar passagen …";
    this.root.setAttribute("aria-busy", "true");
    try {
      const chunk = await fetchChunk(chunkId, this.controller.signal);
      this.current = chunk;
      this.render(chunk);
      this.status.textContent = "";
    } catch (error) {
      if (error.name === "AbortError") return;
      this.status.textContent = `Passagen kunde inte hämtas: ${error.message}`;
    } finally {
      this.root.setAttribute("aria-busy", "false");
    }
  }

  render(chunk) {
    const isCited = chunk.chunk_id === this.cited?.chunkId;
    this.kind.textContent = isCited ? "Citerad passage" : "Närliggande passage i samma dokument";
    this.doc.textContent = chunk.title;
    this.section.textContent = chunk.section || "";
    this.section.hidden = !chunk.section;
    this.page.textContent = chunk.page != null ? pageLabel(chunk.page, chunk.page_end) : "";
    this.page.hidden = chunk.page == null;
    this.body.scrollTop = 0;
    this.text.scrollTop = 0;
    const index = isCited ? bestSentence(chunk.text, chunk.sentences, this.cited.sentence) : -1;
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
  }
}
