// The test page's host: the official ext-apps AppBridge, as a web host
// uses it, with the view in a sandboxed iframe. Its MCP calls go to the
// test (window.hostCallTool, exposed by Playwright), which sends them to
// the real server binary over stdio; the bridge itself talks only to the
// iframe.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

window.mountView = async (html, tool, args, result) => {
  document.getElementById("view")?.remove();
  const iframe = document.createElement("iframe");
  iframe.id = "view";
  iframe.sandbox = "allow-scripts"; // an opaque origin: no access to this page
  iframe.style.cssText = "width:1040px;height:720px;border:0;display:block";
  document.body.append(iframe);
  const bridge = new AppBridge(null, { name: "proxmox-mcp-test-host", version: "1.0.0" },
    { serverTools: {}, serverResources: {}, logging: {} },
    { hostContext: { toolInfo: { tool }, theme: "light", displayMode: "inline", platform: "web", containerDimensions: { width: 1040, maxHeight: 4000 } } });
  bridge.oncalltool = (params) => window.hostCallTool(params);
  bridge.onreadresource = (params) => window.hostReadResource(params);
  bridge.onsizechange = ({ height }) => { if (height) iframe.style.height = `${Math.ceil(height)}px`; };
  bridge.oninitialized = () => {
    bridge.sendToolInput({ arguments: args });
    if (result) bridge.sendToolResult(result);
  };
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = html;
};
