// Thumbs up/down with an optional comment on one answer → POST /feedback.

import { postFeedback } from "./api.js";
import { el, icon } from "./dom.js";

const LABELS = { up: "Bra svar", down: "Dåligt svar" };

function payload(turn, rating, comment) {
  return {
    question: turn.question,
    answer: turn.answer,
    rating,
    comment: comment.trim() || null,
    citations: turn.citations.map((c) => ({
      ref: c.ref,
      chunk_id: c.chunk_id,
      doc_id: c.doc_id,
      title: c.title,
      section: c.section,
      page: c.page,
    })),
    backend: turn.backend,
    search_query: turn.search_query || null,
    refused: Boolean(turn.refused),
    degraded: Boolean(turn.degraded),
  };
}

/**
 * The action row of an answer (`leading` buttons, then thumbs up/down) with the
 * feedback form under it; `onSaved` persists the turn's new state.
 */
export function feedbackControls(turn, onSaved, leading = []) {
  const root = el("div", { class: "feedback" });
  const status = el("p", { class: "feedback-status", role: "status" });
  const buttons = {};
  let form = null;

  const sync = () => {
    for (const [rating, button] of Object.entries(buttons)) {
      button.setAttribute("aria-pressed", String(turn.feedback?.rating === rating));
      button.disabled = Boolean(turn.feedback);
    }
    if (turn.feedback) status.textContent = "Tack! Ditt omdöme är sparat.";
  };

  const openForm = (rating) => {
    form?.remove();
    const id = `comment-${turn.id}`;
    const comment = el("textarea", { id, class: "comment", maxlength: 2000, rows: 2 });
    const send = el("button", { type: "submit", class: "button primary", text: "Skicka omdöme" });
    form = el(
      "form",
      { class: "feedback-form", "aria-label": `Omdöme: ${LABELS[rating]}` },
      el("label", { for: id, text: `${LABELS[rating]} – kommentar (valfri)` }),
      comment,
      el(
        "div",
        { class: "row" },
        send,
        el("button", {
          type: "button",
          class: "button",
          text: "Avbryt",
          onclick: () => {
            form.remove();
            form = null;
            buttons[rating].focus();
          },
        }),
      ),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      send.disabled = true;
      status.textContent = "Sparar …";
      try {
        const saved = await postFeedback(payload(turn, rating, comment.value));
        turn.feedback = { rating, comment: comment.value.trim(), id: saved.id };
        form.remove();
        form = null;
        sync();
        onSaved();
        buttons[rating].focus();
      } catch (error) {
        send.disabled = false;
        status.textContent = `Omdömet kunde inte sparas: ${error.message}`;
      }
    });
    root.append(form);
    comment.focus();
  };

  for (const rating of ["up", "down"]) {
    buttons[rating] = el(
      "button",
      {
        type: "button",
        class: `button icon-button thumb thumb-${rating}`,
        "aria-label": LABELS[rating],
        title: LABELS[rating],
        "aria-pressed": "false",
        onclick: () => openForm(rating),
      },
      icon(rating),
    );
  }
  root.prepend(el("div", { class: "actions" }, leading, buttons.up, buttons.down), status);
  sync();
  return root;
}
