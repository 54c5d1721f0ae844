// Pure URL helpers for deep links: the chat page opened at a passage (`/?passage=…&sentence=…`)
// and the reading view of a whole document at a passage (`/dokument/strategi#strategi:0042`).

// Chunk ids look like "strategi:0042"; the colon reads better unescaped, and is valid there.
const encodeId = (id) => encodeURIComponent(id).replace(/%3A/gi, ":");

/** A `sentence` parameter as a 0-based index: a number, null when absent, NaN when unusable. */
function sentenceParam(raw) {
  if (raw === null) return null;
  const text = raw.trim();
  return /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * What `?passage=…&sentence=…` asks the chat page to open, or null when it asks nothing.
 * `sentence` is a 0-based index, null when absent; `rawSentence` keeps what the link said.
 */
export function parseDeepLink(search) {
  const params = new URLSearchParams(search);
  if (!params.has("passage")) return null;
  const raw = params.get("sentence");
  return { chunkId: params.get("passage").trim(), sentence: sentenceParam(raw), rawSentence: raw };
}

/** The reading view's target: the passage named by the fragment and `?sentence=`. */
export function parseReadingTarget(search, hash) {
  let chunkId = null;
  if (hash && hash.length > 1) {
    try {
      chunkId = decodeURIComponent(hash.slice(1));
    } catch {
      chunkId = hash.slice(1);
    }
  }
  const raw = new URLSearchParams(search).get("sentence");
  return { chunkId, sentence: sentenceParam(raw), rawSentence: raw };
}

/** The document id of a reading-view path, `/dokument/strategi` → "strategi" (null if none). */
export function documentIdFromPath(pathname) {
  const match = /^\/dokument\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

/** Whether `sentence` picks one of the passage's sentence spans. */
export function isSentenceIndex(sentence, spans) {
  return Number.isInteger(sentence) && sentence >= 0 && sentence < spans.length;
}

/** The status line's note when a link's `sentence` picks none of the passage's sentences. */
export function badSentenceNote(rawSentence, count) {
  const sentences = count === 1 ? "1 mening" : `${count} meningar`;
  return (
    `Meningen som länken pekar på (sentence=${rawSentence}) finns inte i passagen, som har ` +
    `${sentences} (numrerade från 0). Hela passagen visas utan markering.`
  );
}

/** The fragment that targets a passage in the reading view: "#strategi:0042". */
export function passageFragment(chunkId) {
  return `#${encodeId(chunkId)}`;
}

/** The chat page opened at a passage, its sentence highlighted when one is given. */
export function chatLink(chunkId, sentence = null) {
  const query = sentence === null ? "" : `&sentence=${sentence}`;
  return `/?passage=${encodeId(chunkId)}${query}`;
}

/** The reading view of a document at a passage (and its sentence). */
export function documentLink(docId, chunkId = null, sentence = null) {
  const query = sentence === null ? "" : `?sentence=${sentence}`;
  const fragment = chunkId === null ? "" : passageFragment(chunkId);
  return `/dokument/${encodeURIComponent(docId)}${query}${fragment}`;
}
