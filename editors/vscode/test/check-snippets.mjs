// Checks that every snippet, with its placeholders left at their defaults, is valid Payable:
// each is put where it belongs in a small contract and the file is given to `payable check`
// (errors fail; warnings are the snippet's business). The binary is $PAYABLE, else the
// repository's target/debug/payable (`cargo build`).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expandSnippet } from "./snippets.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionRoot = path.resolve(here, "..");
const payable = process.env.PAYABLE ?? path.resolve(extensionRoot, "../../target/debug/payable");
if (!fs.existsSync(payable)) {
  console.error(`snippet check: no payable binary at ${payable} (run \`cargo build\`, or set PAYABLE)`);
  process.exit(2);
}

const header = `contract "Snippets" {
  currency GBP
  outcomes achievable from 2025-04-01 to 2028-03-31
  claims close 2028-09-30
  total cap 1_000_000 GBP
  %HEADER%
}`;
const participant = `participant {
  born: date
  referred: date
  group: Group
}`;
const rest = `enum Group { ready, needs_support, complex }

event employment {
  from: date
  to: date?
  hours: hours per week
}

event offence {
  on: date
}

outcome job_entry "Job entry" {
  achieved when employment.hours >= 16 hours per week within 26 weeks after participant.referred
  pays by participant.group { ready: 500 GBP, otherwise: 900 GBP }
}

outcome host "A clause's host" {
  achieved when employment within 12 months after participant.referred
  %PAYS%
  %CLAUSE%
}`;

/** The contract a snippet's text is checked in: an item alone, a clause in its block. */
function contractFor(text) {
  const first = text.trimStart().split(/\s|\(/)[0];
  let parts = { header, participant, rest };
  if (first === "contract") parts.header = text;
  else if (first === "participant") parts.participant = text;
  else if (first === "enum") parts.rest = rest.replace(/^enum Group .*$/m, text);
  else if (first === "event") {
    const name = /^event (\w+)/.exec(text)[1];
    const replaced = rest.replace(new RegExp(`^event ${name} \\{[^}]*\\}`, "m"), text);
    parts.rest = replaced === rest ? `${rest}\n\n${text}` : replaced;
  }
  else if (["total", "cap"].includes(first) && text.includes("participant")) parts.header = header.replace("%HEADER%", text);
  else if (first === "total") parts.header = header.replace(/^  total cap .*$/m, `  ${text}`);
  else if (first === "allow") parts.rest = rest.replace("outcome job_entry", `${text}\noutcome job_entry`);
  else if (["outcome", "cohort", "test", "let", "use", "unit", "bands", "pay"].includes(first)) parts.rest = `${rest}\n\n${text}`;
  else if (first === "pays") parts.rest = rest.replace("%PAYS%", text);
  else parts.rest = rest.replace("%CLAUSE%", text);
  parts.rest = parts.rest.replace("%PAYS%", "pays 100 GBP");
  return [parts.header, parts.participant, parts.rest].join("\n\n").replace(/^.*%(HEADER|CLAUSE)%\n/gm, "") + "\n";
}

const snippets = JSON.parse(fs.readFileSync(path.join(extensionRoot, "snippets/payable.code-snippets"), "utf8"));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "payable-snippets-"));
let failed = 0;
for (const [name, snippet] of Object.entries(snippets)) {
  const file = path.join(dir, `${name.replace(/\W+/g, "_")}.pay`);
  fs.writeFileSync(file, contractFor(expandSnippet(snippet.body)));
  const text = fs.readFileSync(file, "utf8");
  const runs = [["check", "--color", "never", file]];
  // A test snippet's defaults describe a test that passes.
  if (/^test /m.test(text)) runs.push(["test", file]);
  for (const args of runs) {
    const run = spawnSync(payable, args, { encoding: "utf8" });
    if (run.status !== 0) {
      failed += 1;
      console.error(`snippet "${name}", payable ${args[0]} ${file}:\n${run.stdout}${run.stderr}`);
    }
  }
  // Snippets are written in the formatter's layout, but for the blank line `$0` may leave.
  const formatted = spawnSync(payable, ["fmt", "-"], { input: text, encoding: "utf8" }).stdout;
  const lines = (t) => t.split("\n").filter((l) => l.trim() !== "");
  if (lines(formatted).join("\n") !== lines(text).join("\n")) {
    failed += 1;
    console.error(`snippet "${name}" is not in \`payable fmt\` layout:\n${formatted}`);
  }
}
if (failed > 0) {
  console.error(`snippet check: ${failed} of ${Object.keys(snippets).length} snippets are not valid Payable`);
  process.exit(1);
}
if (!process.env.KEEP) fs.rmSync(dir, { recursive: true });
console.log(`snippet check: ${Object.keys(snippets).length} snippets valid`);
