// The page: wires the composer, the conversation, the source panel and the backend choice.

import { ask, fetchHealth } from "./api.js";
import { clearTurns, loadBackend, loadTurns, saveBackend, saveTurns } from "./conversation.js";
import { el } from "./dom.js";
import { parseDeepLink } from "./links.js";
import { SourcePanel } from "./panel.js";
import { historyFrom } from "./text.js";
import { TurnView } from "./turn.js";

const $ = (selector) => document.querySelector(selector);
const form = $("#composer");
const input = $("#question");
const sendButton = $("#send");
const stopButton = $("#stop");
const log = $("#log");
const intro = $("#intro");
const live = $("#live");
const backendField = $("#backend-field");
const backendSelect = $("#backend");
// Once the linked passage is closed, a reload shows the plain page.
const panel = new SourcePanel($("#panel"), {
  onClose: () => {
    if (parseDeepLink(location.search)) history.replaceState(null, "", location.pathname);
  },
});

let turns = loadTurns();
let controller = null;
let defaultBackend = null;

function announce(message) {
  live.textContent = "";
  // A fresh text node after a tick makes screen readers announce repeated messages too.
  setTimeout(() => {
    live.textContent = message;
  }, 50);
}

function persist() {
  saveTurns(turns);
}

const ctx = {
  openSource: (source) => panel.open(source),
  onChange: persist,
  announce,
  retry: (turn) => {
    if (!controller) submit(turn.question);
  },
};

function setBusy(busy) {
  sendButton.hidden = busy;
  stopButton.hidden = !busy;
  form.setAttribute("aria-busy", String(busy));
}

function showIntro() {
  intro.hidden = turns.length > 0;
}

function renderAll() {
  log.replaceChildren(...turns.map((turn) => new TurnView(turn, ctx).element));
  showIntro();
}

function spoken(turn) {
  const text = turn.answer.replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, "");
  if (turn.refused) return `Dokumenten täcker inte frågan. ${text}`;
  return `Svar: ${text}`;
}

function nearBottom() {
  const root = document.scrollingElement;
  return root.scrollHeight - root.scrollTop - root.clientHeight < 160;
}

async function submit(question) {
  question = question.trim();
  if (!question || controller) return;
  const history = historyFrom(turns);
  const turn = {
    id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    question,
    status: "searching",
    answer: "",
    citations: [],
    refused: false,
    degraded: false,
    backend: backendSelect.value || defaultBackend || "",
    search_query: null,
    feedback: null,
  };
  turns.push(turn);
  const view = new TurnView(turn, ctx);
  log.append(view.element);
  showIntro();
  view.element.scrollIntoView({ block: "start", behavior: "smooth" });
  input.value = "";
  controller = new AbortController();
  setBusy(true);
  announce("Söker i dokumenten.");
  persist();

  let frame = 0;
  const follow = () => {
    const stick = nearBottom();
    view.render();
    if (stick) window.scrollTo({ top: document.scrollingElement.scrollHeight });
  };
  const body = { question, k: 5, history };
  if (backendSelect.value && backendSelect.value !== defaultBackend) body.backend = backendSelect.value;
  try {
    const result = await ask(body, controller.signal, {
      citations: (data) => {
        turn.citations = data.citations ?? [];
        turn.search_query = data.search_query ?? null;
        if (data.backend) turn.backend = data.backend;
        turn.status = "streaming";
        follow();
      },
      delta: (text) => {
        turn.answer += text;
        if (!frame) {
          frame = requestAnimationFrame(() => {
            frame = 0;
            follow();
          });
        }
      },
    });
    Object.assign(turn, {
      answer: result.answer,
      citations: result.citations,
      refused: result.refused,
      degraded: result.degraded,
      backend: result.backend,
      search_query: result.search_query ?? turn.search_query,
      timings_ms: result.timings_ms,
      status: "done",
    });
    announce(spoken(turn));
  } catch (error) {
    if (!turns.includes(turn)) return; // "Ny konversation" cleared it meanwhile
    if (error.name === "AbortError") {
      turn.status = "stopped";
      announce("Svaret avbröts.");
    } else {
      turn.status = "error";
      turn.error = error.message;
      announce(`Frågan kunde inte besvaras. ${error.message}`);
    }
  } finally {
    cancelAnimationFrame(frame);
    controller = null;
    setBusy(false);
    follow();
    persist();
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit(input.value);
  input.focus();
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit(input.value);
  }
});

stopButton.addEventListener("click", () => {
  controller?.abort();
  input.focus();
});

$("#new-conversation").addEventListener("click", () => {
  controller?.abort();
  panel.close();
  turns = [];
  clearTurns();
  renderAll();
  announce("Ny konversation. Tidigare frågor och svar är borttagna.");
  input.focus();
});

for (const button of document.querySelectorAll(".example")) {
  button.addEventListener("click", () => {
    input.focus();
    submit(button.textContent);
  });
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && panel.isOpen) panel.close();
});

backendSelect.addEventListener("change", () => saveBackend(backendSelect.value));

async function loadBackends() {
  try {
    const health = await fetchHealth();
    defaultBackend = health.default_backend;
    const names = health.backends ?? [];
    if (names.length > 1) {
      const saved = loadBackend();
      backendSelect.replaceChildren(
        ...names.map((name) =>
          el("option", { value: name, text: name === defaultBackend ? `${name} (standard)` : name }),
        ),
      );
      backendSelect.value = names.includes(saved) ? saved : defaultBackend;
      backendField.hidden = false;
    }
  } catch {
    // The selector stays hidden; questions go to the default backend.
  }
}

renderAll();
setBusy(false);
loadBackends();
input.focus({ preventScroll: true });
// A citation link from another tool: `/?passage=strategi:0042&sentence=2`.
const deepLink = parseDeepLink(location.search);
if (deepLink) panel.openLink(deepLink);
