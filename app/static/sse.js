// A small parser for server-sent events read from a fetch() body (EventSource cannot POST).

const BLOCK_END = /\r\n\r\n|\n\n|\r\r/;

function parseBlock(block) {
  let event = "message";
  const data = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: data.join("\n") } : null;
}

export class SseParser {
  constructor() {
    this.buffer = "";
  }

  /** Feeds decoded text; returns the events completed by it. */
  push(text) {
    this.buffer += text;
    const events = [];
    for (;;) {
      const match = BLOCK_END.exec(this.buffer);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (!match || (match[0] === "\r\r" && match.index + 2 === this.buffer.length)) break;
      const event = parseBlock(this.buffer.slice(0, match.index));
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (event) events.push(event);
    }
    return events;
  }

  /** The last event, when the stream ended without a blank line. */
  flush() {
    const event = this.buffer.trim() ? parseBlock(this.buffer) : null;
    this.buffer = "";
    return event ? [event] : [];
  }
}
