// The conversation kept in localStorage, so that it survives a reload.

const KEY = "cyberstrategi-qa.conversation.v1";
const BACKEND_KEY = "cyberstrategi-qa.backend";
const MAX_TURNS = 50;

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the conversation lives only in this page
  }
}

export function loadTurns() {
  try {
    const turns = JSON.parse(storage()?.getItem(KEY) ?? "[]");
    if (!Array.isArray(turns)) return [];
    // A turn that was still running when the page closed did not finish.
    return turns.map((t) =>
      t.status === "searching" || t.status === "streaming" ? { ...t, status: "stopped" } : t,
    );
  } catch {
    return [];
  }
}

export function saveTurns(turns) {
  try {
    storage()?.setItem(KEY, JSON.stringify(turns.slice(-MAX_TURNS)));
  } catch {
    // full or disabled storage: keep going without persistence
  }
}

export function clearTurns() {
  storage()?.removeItem(KEY);
}

export function loadBackend() {
  return storage()?.getItem(BACKEND_KEY) ?? null;
}

export function saveBackend(name) {
  storage()?.setItem(BACKEND_KEY, name);
}
