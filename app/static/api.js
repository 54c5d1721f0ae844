// The service's HTTP API as the pages use it: ask (streamed or not), chunks, documents,
// health, feedback.

import { SseParser } from "./sse.js";

// The API's messages are English, for the services that call it; staff read Swedish.
const SWEDISH = {
  busy: "Tjänsten besvarar många frågor just nu. Försök igen om en stund.",
  rate_limited: "Du har ställt många frågor på kort tid. Vänta en stund och försök igen.",
  deadline_exceeded: "Svaret tog för lång tid. Försök igen.",
  stream_failed: "Svaret kunde inte slutföras. Försök igen.",
  payload_too_large: "Frågan eller samtalet är för långt. Börja en ny konversation.",
  invalid_request: "Frågan kunde inte tas emot. Kontrollera att den inte är tom eller för lång.",
  unauthorized: "Du är inte inloggad, eller inloggningen har gått ut. Ladda om sidan.",
  feedback_unavailable: "Återkopplingen kunde inte sparas just nu. Försök igen senare.",
  unknown_chunk: "Passagen finns inte i dokumenten.",
  unknown_document: "Dokumentet finns inte i tjänsten.",
};

export class ApiFailure extends Error {
  constructor(message, code = "network_error", status = 0) {
    super(SWEDISH[code] ?? message);
    this.code = code;
    this.status = status;
  }
}

async function failureFrom(response) {
  try {
    const body = await response.json();
    if (body?.error?.message) {
      return new ApiFailure(body.error.message, body.error.code, response.status);
    }
  } catch {
    // not a JSON error body; fall through
  }
  return new ApiFailure(`HTTP ${response.status}`, "http_error", response.status);
}

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiFailure("Tjänsten gick inte att nå.");
  }
  if (!response.ok) throw await failureFrom(response);
  return response;
}

function parseData(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new ApiFailure("Tjänsten skickade ett oläsbart svar.", "bad_stream");
  }
}

async function readStream(response, on) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read();
    const events = done ? parser.flush() : parser.push(decoder.decode(value, { stream: true }));
    for (const event of events) {
      const data = parseData(event);
      if (event.event === "citations") on.citations(data);
      else if (event.event === "delta") on.delta(data.text ?? "");
      else if (event.event === "done") return data;
      else if (event.event === "error") {
        const error = data.error ?? {};
        throw new ApiFailure(error.message ?? "Okänt fel.", error.code ?? "stream_error");
      }
    }
    if (done) throw new ApiFailure("Svaret bröts innan det var klart.", "stream_incomplete");
  }
}

/**
 * Asks a question. Streams when the service answers with server-sent events and
 * falls back to the plain JSON answer. `on.citations` and `on.delta` see the
 * progress; the returned object is the complete, authoritative answer.
 */
export async function ask(body, signal, on) {
  const response = await request("/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream")) return readStream(response, on);
  const answer = await response.json();
  on.citations({ citations: answer.citations, backend: answer.backend });
  return answer;
}

export async function fetchChunk(chunkId, signal) {
  const response = await request(`/chunks/${encodeURIComponent(chunkId)}`, { signal });
  return response.json();
}

export async function fetchDocument(docId, signal) {
  const response = await request(`/documents/${encodeURIComponent(docId)}`, { signal });
  return response.json();
}

export async function fetchHealth() {
  const response = await request("/health");
  return response.json();
}

export async function postFeedback(body) {
  const response = await request("/feedback", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}
