// An RRD series as an inline SVG line (no library, nothing fetched).
import { el } from "./util.js";

const NS = "http://www.w3.org/2000/svg";

export function sparkline(series, width = 260, height = 40) {
  const pts = (series?.points || []).filter((p) => Number.isFinite(p.v));
  const box = el("figure", { className: "chart" });
  const unit = series?.unit || "";
  const fmt = (v) => (unit === "%" ? v.toFixed(1) + "%" : v >= 1e6 ? (v / 1048576).toFixed(1) + " MiB" : v.toFixed(2));
  box.append(el("figcaption", {}, `${series?.name || "?"}: last ${fmt(series?.last || 0)}, max ${fmt(series?.max || 0)}`));
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", "100%"); // the card's width; the line stretches
  svg.setAttribute("height", String(height));
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${series?.name} over time`);
  if (pts.length > 1) {
    // From zero, so a line's height reads as use, not as its swing.
    const max = Math.max(...pts.map((p) => p.v)) * 1.15 || 1;
    const d = pts.map((p, i) => {
      const x = (i / (pts.length - 1)) * (width - 2) + 1;
      const y = height - 1 - (p.v / max) * (height - 2);
      return (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
    }).join(" ");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("class", "line");
    svg.append(path);
  }
  box.append(svg);
  return box;
}
