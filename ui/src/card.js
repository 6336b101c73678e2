// The confirm card: what the destructive call would do, the guest's name
// and id, and a button for the person. The button calls pve_app_confirm,
// an app-only tool, with the card's one-time token; the server runs the
// action only for that token, once, for exactly these arguments.
import { el, call, textOf, clear } from "./util.js";
import { showTask } from "./task.js";

async function guestName(app, vmid) {
  if (!vmid) return "";
  try {
    const res = await call(app, "pve_cluster_resources", { type: "vm", fields: "vmid,name,node,type", limit: 0 });
    const g = (res.structuredContent?.items || []).find((i) => i.vmid === vmid);
    return g?.name || "";
  } catch {
    return "";
  }
}

// follow: open the task the action starts (not when the card is a task's own).
export async function showCard(app, root, card, onDone, follow = true) {
  clear(root);
  const args = card.arguments || {};
  const box = el("section", { className: "card confirm", "data-testid": "confirm-card", role: "alertdialog", "aria-labelledby": "card-title" });
  const title = el("h2", { id: "card-title" }, "Confirm: ", card.tool);
  const what = el("p", { className: "what", "data-testid": "card-action" }, card.action);
  const who = el("p", { className: "who", "data-testid": "card-guest" });
  if (args.vmid) who.textContent = `Guest ${args.vmid}` + (args.node ? ` on ${args.node}` : "");
  const status = el("p", { className: "status", "aria-live": "polite" });
  const go = el("button", { className: "danger", "data-testid": "card-confirm", textContent: "Yes, do it" });
  const no = el("button", { className: "secondary", textContent: "Cancel" });
  const note = el("p", { className: "muted" }, "Nothing happens until you press the button; the assistant cannot press it for you.");
  box.append(title, what, who, note, el("div", { className: "actions" }, go, no), status);
  root.append(box);
  guestName(app, args.vmid).then((name) => {
    if (name) who.textContent = `${name} (id ${args.vmid})` + (args.node ? ` on ${args.node}` : "");
  });
  no.onclick = () => {
    go.disabled = no.disabled = true;
    status.textContent = "Cancelled: nothing was done.";
    onDone?.(null);
  };
  go.onclick = async (ev) => {
    // Only a person's click counts: a script's synthetic click is not trusted.
    if (!ev.isTrusted) return;
    go.disabled = no.disabled = true;
    status.textContent = "Running…";
    try {
      const res = await call(app, "pve_app_confirm", { tool: card.tool, arguments: args, token: card.token }, true);
      if (res.isError) {
        status.textContent = textOf(res);
        box.dataset.state = "failed";
        return;
      }
      box.dataset.state = "done";
      status.textContent = "Done.";
      const upid = res.structuredContent?.upid;
      if (upid && follow) {
        const t = el("div");
        box.append(t);
        showTask(app, t, upid, card.action);
      }
      onDone?.(res);
    } catch (e) {
      status.textContent = String(e.message || e);
      box.dataset.state = "failed";
    }
  };
}
