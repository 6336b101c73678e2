// The view: connects to the host (the ext-apps App bridge over postMessage)
// and shows the dashboard, a task or a confirm card, whichever the tool
// result it is shown with calls for.
import { App, applyDocumentTheme, applyHostStyleVariables } from "@modelcontextprotocol/ext-apps";
import { el, clear, cardOf, textOf } from "./util.js";
import { showDashboard } from "./dashboard.js";
import { showTask } from "./task.js";
import { showCard } from "./card.js";

const DASHBOARDS = ["pve_cluster_resources", "pve_list_nodes", "pve_cluster_status"];
const root = document.getElementById("app");
const app = new App({ name: "proxmox-mcp-view", version: "1.0.0" }, {}, { autoResize: true });

function toolName() {
  return app.getHostContext()?.toolInfo?.tool?.name || "";
}

function route(result) {
  const card = cardOf(result);
  if (card) return showCard(app, root, card);
  const upid = result?.structuredContent?.upid;
  if (upid && !DASHBOARDS.includes(toolName())) return showTask(app, root, upid, toolName());
  if (DASHBOARDS.includes(toolName()) || !result) return showDashboard(app, root);
  clear(root);
  root.append(el("pre", { className: result.isError ? "error" : "" }, textOf(result)));
}

// A tool that waits for its task sends its result at the end: until then
// the view says what runs.
app.ontoolinput = () => {
  if (root.childElementCount) return;
  root.append(el("p", { className: "muted", "data-testid": "waiting" }, `${toolName() || "The tool"} is running…`));
};
app.ontoolresult = (result) => route(result);
app.onhostcontextchanged = (ctx) => {
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
};

await app.connect();
const ctx = app.getHostContext();
if (ctx?.theme) applyDocumentTheme(ctx.theme);
if (ctx?.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
root.dataset.view = "ready";
