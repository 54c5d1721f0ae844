// One question and its answer in the conversation, in all its states.

import { answerNodes, sourcesSection } from "./answer.js";
import { el, icon } from "./dom.js";
import { feedbackControls } from "./feedback.js";
import { plainText } from "./text.js";

const BUSY_TEXT = {
  searching: "Söker i dokumenten …",
  streaming: "Skriver svaret …",
};

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API unavailable (e.g. not a secure context): use a hidden textarea.
    const area = el("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    return copied;
  }
}

function notice(kind, title, body) {
  return el(
    "div",
    { class: `notice notice-${kind}` },
    icon("info"),
    el("div", {}, el("p", { class: "notice-title", text: title }), body ? el("p", { text: body }) : null),
  );
}

export class TurnView {
  /** ctx: { openSource, onChange, announce, retry } */
  constructor(turn, ctx) {
    this.turn = turn;
    this.ctx = ctx;
    this.text = el("p", { class: "answer-text" });
    this.answer = el("section", { class: "answer", "aria-label": "Svar" });
    this.element = el(
      "article",
      { class: "turn", "aria-label": `Fråga: ${turn.question}` },
      el(
        "div",
        { class: "question" },
        el("span", { class: "visually-hidden", text: "Du frågade: " }),
        el("p", { text: turn.question }),
      ),
      this.answer,
    );
    this.render();
  }

  renderText() {
    const { answer, citations } = this.turn;
    this.text.replaceChildren(...answerNodes(answer, citations ?? [], this.ctx.openSource));
  }

  render() {
    const turn = this.turn;
    const busy = turn.status === "searching" || turn.status === "streaming";
    this.answer.className = `answer answer-${turn.status}${turn.refused ? " answer-refused" : ""}`;
    this.answer.setAttribute("aria-busy", String(busy));
    this.renderText();
    const children = [];
    if (turn.status === "done" && turn.refused) {
      children.push(
        notice(
          "refused",
          "Dokumenten täcker inte frågan",
          "Tjänsten svarar bara utifrån strategin och pressmeddelandet om cyberdialogen med " +
            "USA, och där står inget som besvarar frågan.",
        ),
      );
    } else if (turn.status === "done" && turn.degraded) {
      children.push(
        notice(
          "degraded",
          "Sammanställt direkt ur dokumenten",
          "Språkmodellen var inte tillgänglig, så svaret består av citerade meningar ur dokumenten.",
        ),
      );
    }
    if (busy) {
      children.push(
        el("p", { class: "busy" }, el("span", { class: "spinner", "aria-hidden": "true" }), BUSY_TEXT[turn.status]),
      );
    }
    if (turn.answer) children.push(this.text);
    if (turn.status === "stopped") {
      children.push(notice("stopped", "Svaret avbröts", "Ställ frågan igen om du vill ha hela svaret."));
    }
    if (turn.status === "error") {
      children.push(
        notice("error", "Frågan kunde inte besvaras", turn.error || "Okänt fel."),
        el("button", {
          type: "button",
          class: "button",
          text: "Försök igen",
          onclick: () => this.ctx.retry(turn),
        }),
      );
    }
    if (turn.status === "done") {
      children.push(sourcesSection(turn, this.ctx.openSource));
      children.push(feedbackControls(turn, this.ctx.onChange, [this.copyButton()]));
    }
    this.answer.replaceChildren(...children.filter(Boolean));
  }

  copyButton() {
    const label = el("span", { text: "Kopiera" });
    const button = el("button", { type: "button", class: "button", title: "Kopiera svaret med källor" }, icon("copy"), label);
    button.addEventListener("click", async () => {
      const copied = await copyText(plainText(this.turn));
      label.textContent = copied ? "Kopierat" : "Kunde inte kopiera";
      this.ctx.announce(copied ? "Svaret och källorna är kopierade." : "Svaret kunde inte kopieras.");
      setTimeout(() => {
        label.textContent = "Kopiera";
      }, 2000);
    });
    return button;
  }
}
