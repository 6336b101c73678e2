// Small DOM and tool helpers shared by the three views.

// el builds an element: attrs are properties (className, textContent,
// onclick...) or data-/aria- attributes; children are nodes or text.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// call runs one of the server's tools through the host: the view has no
// other way to reach the cluster. An error result becomes a thrown Error
// unless keepErrors, so the card can read a result that needs confirming.
export async function call(app, name, args, keepErrors = false) {
  const res = await app.callServerTool({ name, arguments: args });
  if (res.isError && !keepErrors) throw new Error(textOf(res) || name + " failed");
  return res;
}

export function textOf(res) {
  return (res?.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
}

export const CARD_KEY = "proxmox-mcp/card";

export function cardOf(res) {
  return res?._meta?.[CARD_KEY];
}

export function bytes(n) {
  if (!n) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(n < 10 && i > 0 ? 1 : 0) + " " + units[i];
}

export function pct(x) {
  return Math.max(0, Math.min(100, Math.round(x * 100)));
}

// bar is a labelled meter, 0 to 1.
export function bar(label, frac, text) {
  const p = pct(frac || 0);
  return el("div", { className: "bar" + (p >= 90 ? " hot" : "") , title: `${label} ${text}` },
    el("span", { className: "fill", style: `width:${p}%` }),
    el("span", { className: "label", textContent: `${label} ${text}` }));
}

export function clear(root) {
  while (root.firstChild) root.firstChild.remove();
}
