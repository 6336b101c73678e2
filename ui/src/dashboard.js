// The cluster dashboard: nodes and guests with state, CPU and memory bars,
// RRD charts and a search box. Every figure comes from the server's tools
// (pve_cluster_resources, pve_*_metrics), every button calls one, so the
// server's guard, allowlists and confirmations apply to all of it.
import { el, call, clear, bar, bytes, cardOf, textOf } from "./util.js";
import { sparkline } from "./chart.js";
import { showTask } from "./task.js";
import { showCard } from "./card.js";

function usage(r) {
  const cpu = bar("CPU", r.cpu || 0, `${Math.round((r.cpu || 0) * 100)}%` + (r.maxcpu ? ` of ${r.maxcpu}` : ""));
  const mem = bar("Mem", r.maxmem ? (r.mem || 0) / r.maxmem : 0, `${bytes(r.mem)} / ${bytes(r.maxmem)}`);
  return [cpu, mem];
}

function badge(status) {
  return el("span", { className: "badge " + status, "data-testid": "state" }, status || "?");
}

async function charts(app, target, tool, args, names = ["cpu", "memused", "mem", "netin", "netout"]) {
  clear(target);
  target.append(el("p", { className: "muted" }, "loading charts…"));
  try {
    const res = await call(app, tool, { ...args, timeframe: "hour" });
    clear(target);
    const series = res.structuredContent?.series || [];
    for (const s of series.filter((s) => names.includes(s.name))) {
      target.append(sparkline(s));
    }
    if (!series.length) target.append(el("p", { className: "muted" }, "no data"));
  } catch (e) {
    clear(target);
    target.append(el("p", { className: "muted" }, String(e.message || e)));
  }
}

export async function showDashboard(app, root) {
  clear(root);
  const search = el("input", { type: "search", placeholder: "Search guests, nodes, tags…", "aria-label": "Search", "data-testid": "search" });
  const refresh = el("button", { className: "secondary", textContent: "Refresh" });
  const nodesBox = el("div", { className: "nodes", "data-testid": "nodes" });
  const tbody = el("tbody");
  const table = el("table", { className: "guests", "data-testid": "guests" },
    el("thead", {}, el("tr", {}, ["ID", "Name", "Node", "State", "Usage", ""].map((h) => el("th", {}, h)))), tbody);
  const panel = el("div", { className: "panel", "data-testid": "panel" });
  root.append(el("header", {}, el("h1", {}, "Proxmox VE"), search, refresh), nodesBox, panel, table);

  let items = [];
  const chartBoxes = new Map(); // node -> its charts, kept across searches
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const hit = (r) => !q || [r.name, r.node, r.vmid, r.tags, r.status, r.type].some((v) => String(v ?? "").toLowerCase().includes(q));
    clear(nodesBox);
    for (const n of items.filter((r) => r.type === "node" && hit(r))) {
      if (!chartBoxes.has(n.node)) chartBoxes.set(n.node, el("div", { className: "charts" }));
      const chartBox = chartBoxes.get(n.node);
      nodesBox.append(el("article", { className: "node", "data-node": n.node },
        el("h3", {}, n.node, " ", badge(n.status)), ...usage(n),
        el("button", { className: "secondary", textContent: "Charts", onclick: () => charts(app, chartBox, "pve_node_metrics", { node: n.node }, ["cpu", "memused"]) }),
        chartBox));
    }
    clear(tbody);
    for (const g of items.filter((r) => (r.type === "qemu" || r.type === "lxc") && hit(r))) {
      const kind = g.type === "qemu" ? "vm" : "lxc";
      const act = (tool, args, label) => el("button", { className: tool.endsWith("delete") ? "danger" : "secondary", textContent: label,
        onclick: () => run(tool, { node: g.node, vmid: g.vmid, ...args }, `${label} ${g.name || g.vmid}`) });
      const actions = [];
      if (!g.template && g.status === "stopped") actions.push(act(`pve_${kind}_start`, { async: true }, "Start"));
      if (g.status === "running") actions.push(act(`pve_${kind}_shutdown`, { async: true }, "Shut down"));
      if (g.status === "stopped") actions.push(act(`pve_${kind}_delete`, { confirm: true, confirmVmid: g.vmid }, "Delete"));
      actions.push(el("button", { className: "secondary", textContent: "Charts",
        onclick: () => { clear(panel); const c = el("div", { className: "charts" }); panel.append(el("h2", {}, `${g.name} (${g.vmid})`), c); charts(app, c, `pve_${kind}_metrics`, { node: g.node, vmid: g.vmid }); } }));
      tbody.append(el("tr", { "data-vmid": String(g.vmid) },
        el("td", {}, g.vmid), el("td", {}, g.name || "", g.template ? " (template)" : ""), el("td", {}, g.node),
        el("td", {}, badge(g.status)), el("td", { className: "usage" }, ...usage(g)), el("td", { className: "actions" }, ...actions)));
    }
  };

  const load = async () => {
    const res = await call(app, "pve_cluster_resources", { fields: "all", limit: 0 });
    items = (res.structuredContent?.items || []).sort((a, b) => (a.vmid || 0) - (b.vmid || 0) || String(a.id).localeCompare(String(b.id)));
    root.dataset.loaded = String(items.length);
    render();
  };

  // run calls a tool for a button; a task it starts opens the task view, a
  // confirmation it needs opens the card.
  const run = async (tool, args, title) => {
    clear(panel);
    const res = await call(app, tool, args, true);
    const card = cardOf(res);
    if (card) return showCard(app, panel, card, () => setTimeout(load, 500));
    if (res.isError) return panel.append(el("p", { className: "error" }, textOf(res)));
    if (res.structuredContent?.upid) return showTask(app, panel, res.structuredContent.upid, title);
    panel.append(el("pre", {}, textOf(res)));
  };

  search.oninput = render;
  refresh.onclick = load;
  try {
    await load();
  } catch (e) {
    root.append(el("p", { className: "error" }, String(e.message || e)));
  }
}
