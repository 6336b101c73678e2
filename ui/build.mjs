// Builds the view into one self-contained HTML file: the script and the
// style inline, a CSP that admits exactly them (by hash) and nothing from
// anywhere else. The output is byte-for-byte reproducible (no timestamps,
// no paths), which TestBuiltViewIsCurrent and .ci/apps.sh check.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = process.argv[2] || here("../internal/apps/dist/app.html");

const js = await build({
  entryPoints: [here("src/main.js")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  write: false,
  metafile: true,
  logLevel: "warning",
});
const script = js.outputFiles[0].text.replaceAll("</script", "<\\/script");
const css = await build({ entryPoints: [here("src/style.css")], bundle: true, minify: true, write: false, logLevel: "warning" });
const style = css.outputFiles[0].text;

const hash = (s) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;
const csp = [
  "default-src 'none'",
  `script-src ${hash(script)}`,
  `style-src ${hash(style)}`, // widths are set through the CSSOM, which CSP allows
  "img-src data:",
  "connect-src 'none'",
  "font-src 'none'",
  "media-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

// The licences of the packages bundled, as their MIT and ISC terms ask,
// in a comment at the end of the file.
const pkgs = new Set();
for (const p of Object.keys(js.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p);
  if (m) pkgs.add(m[1]);
}
const notices = [...pkgs].sort().map((name) => {
  const dir = here(`node_modules/${name}/`);
  const meta = JSON.parse(readFileSync(dir + "package.json", "utf8"));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = file ? readFileSync(dir + file, "utf8").trim() : `${meta.license} (no licence file in the package)`;
  return `${name} ${meta.version} (${meta.license}):\n\n${text}`;
}).join("\n\n----\n\n").replaceAll("--", "- -");

const html = readFileSync(here("src/index.html"), "utf8")
  .replace("__CSP__", csp)
  .replace("__STYLE__", () => style)
  .replace("__SCRIPT__", () => script) + `<!--\nThird-party code bundled above:\n\n${notices}\n-->\n`;
writeFileSync(out, html);
console.log(`wrote ${out}: ${html.length} bytes`);
