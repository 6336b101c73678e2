// The live view of one Proxmox task: state, progress, the log tail and a
// cancel button (pve_task_stop, which on this client asks on a card).
import { el, call, clear, cardOf, textOf } from "./util.js";
import { showCard } from "./card.js";

// progressOf reads the last percentage a task logged (disk copies, backups).
function progressOf(lines) {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /\((\d+(?:\.\d+)?)%\)/.exec(lines[i]) || /\b(\d+(?:\.\d+)?)%/.exec(lines[i]);
    if (m) return Number(m[1]) / 100;
  }
  return null;
}

export function showTask(app, root, upid, title) {
  clear(root);
  const box = el("section", { className: "card task", "data-testid": "task", "data-state": "running" });
  const head = el("h2", {}, title || "Task");
  const meta = el("p", { className: "upid" }, upid);
  const fill = el("span", { className: "fill" });
  const meter = el("div", { className: "bar progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
  const state = el("p", { className: "state", "data-testid": "task-state", "aria-live": "polite" }, "running");
  const log = el("pre", { className: "log", "data-testid": "task-log" });
  const cancel = el("button", { className: "danger", textContent: "Cancel task" });
  const cardRoot = el("div");
  box.append(head, meta, meter, state, log, el("div", { className: "actions" }, cancel), cardRoot);
  root.append(box);
  const started = Date.now();
  let stopped = false;

  cancel.onclick = async () => {
    const res = await call(app, "pve_task_stop", { upid, confirm: true }, true);
    const card = cardOf(res);
    if (card) showCard(app, cardRoot, card, null, false);
    else state.textContent = textOf(res);
  };

  async function poll() {
    try {
      const res = await call(app, "pve_task_status", { upid });
      const st = res.structuredContent || {};
      const lines = st.log || [];
      log.textContent = lines.slice(-12).join("\n");
      let p = progressOf(lines);
      if (st.status === "stopped") {
        stopped = true;
        p = 1;
        box.dataset.state = "stopped";
        box.dataset.exit = st.exitstatus || "";
        state.textContent = `finished: ${st.exitstatus || "?"}`;
        cancel.disabled = true;
      } else {
        state.textContent = `running ${Math.round((Date.now() - started) / 1000)} s` + (p !== null ? `, ${Math.round(p * 100)}%` : "");
      }
      meter.classList.toggle("unknown", p === null);
      fill.style.width = `${Math.round((p ?? 0.15) * 100)}%`;
      meter.setAttribute("aria-valuenow", String(Math.round((p ?? 0) * 100)));
      box.dataset.progress = String(Math.round((p ?? 0) * 100));
    } catch (e) {
      state.textContent = String(e.message || e);
    }
    if (!stopped) setTimeout(poll, 700);
  }
  poll();
}
