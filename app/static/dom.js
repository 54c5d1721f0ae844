// Building DOM nodes safely: text always goes in as text nodes, never as HTML.

/** el("p", {class: "x", text: "…"}, child, "more text") */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  up: "M7 10v11H3V10h4Zm2 11h8.2a2 2 0 0 0 2-1.6l1.3-7A2 2 0 0 0 18.5 10H14l.8-4.2A1.8 1.8 0 0 0 13 3.6L9 10v11Z",
  down: "M7 14V3H3v11h4Zm2-11h8.2a2 2 0 0 1 2 1.6l1.3 7a2 2 0 0 1-2 2.4H14l.8 4.2a1.8 1.8 0 0 1-1.8 2.2L9 14V3Z",
  copy: "M8 8h11v13H8V8Zm-4 8V3h11v3h-2V5H6v11h1v2H4v-2Z",
  info: "M11 7h2v2h-2V7Zm0 4h2v6h-2v-6Zm1-9a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16Z",
  stop: "M6 6h12v12H6z",
  send: "M3 20.5 21 12 3 3.5v6.6L15 12 3 13.9v6.6Z",
};

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}
