// Tokenises every `.pay` file in the repository (and every snippet, placeholders filled with
// their defaults) with the TextMate grammar, as VS Code would, and fails on any problem:
// the grammar does not load, a scope leaks into the next line, a comment, text, date or
// number is not scoped as one, a reserved word (grammar/payable.pest's `keyword` rule) is not
// scoped as a keyword, or a name is. What counts as a token is decided by a small lexer
// here, independent of the grammar, following the language's lexical rules.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { expandSnippet } from "./snippets.mjs";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionRoot = path.resolve(here, "..");
const repoRoot = path.resolve(extensionRoot, "../..");
const grammarPath = path.join(extensionRoot, "syntaxes/payable.tmLanguage.json");

const pest = fs.readFileSync(path.join(repoRoot, "grammar/payable.pest"), "utf8");
const reserved = reservedWords(pest);
const phraseWords = new Set([...pest.matchAll(/^kw_(\w+) = @\{ "(\w+)"/gm)].map((m) => m[2]));

const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

const grammar = await loadGrammar();
checkEveryKeywordIsKnown();
checkFixtures();
let lines = 0;
const files = payFiles();
for (const file of files) {
  lines += checkSource(path.relative(repoRoot, file), fs.readFileSync(file, "utf8"));
}
const snippets = JSON.parse(fs.readFileSync(path.join(extensionRoot, "snippets/payable.code-snippets"), "utf8"));
for (const [name, snippet] of Object.entries(snippets)) {
  checkSource(`snippet "${name}"`, expandSnippet(snippet.body));
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`grammar test: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`grammar test: ${files.length} files, ${lines} lines, ${Object.keys(snippets).length} snippets: ok`);

// ------------------------------------------------------------------------------------------

function reservedWords(text) {
  const start = text.indexOf("keyword = @{");
  const end = text.indexOf("~ !word_char", start);
  if (start < 0 || end < 0) throw new Error("grammar/payable.pest has no `keyword` rule");
  return new Set([...text.slice(start, end).matchAll(/"(\w+)"/g)].map((m) => m[1]));
}

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.payable") return null;
      const text = fs.readFileSync(grammarPath, "utf8");
      return vsctm.parseRawGrammar(text, grammarPath);
    },
  });
  const loaded = await registry.loadGrammar("source.payable");
  if (!loaded) throw new Error("the grammar did not load");
  return loaded;
}

/** Every word the pest grammar has a `kw_` rule for is named somewhere in the TextMate grammar. */
function checkEveryKeywordIsKnown() {
  const tm = fs.readFileSync(grammarPath, "utf8");
  for (const word of [...reserved, ...phraseWords]) {
    if (!new RegExp(`[(|:]${word}(s\\?)?[|)\\\\?]`).test(tm)) {
      problem("syntaxes/payable.tmLanguage.json", `the keyword \`${word}\` (grammar/payable.pest) is not in the grammar`);
    }
  }
}

/** Lines whose scopes are asserted exactly: the shapes the lexer-driven checks cannot judge. */
function checkFixtures() {
  const expect = (line, text, scope) => {
    const tokens = tokenizeLine(line, vsctm.INITIAL).tokens;
    const at = line.indexOf(text);
    const found = tokens.filter((t) => t.startIndex < at + text.length && t.endIndex > at);
    if (found.length === 0 || !found.every((t) => t.scopes.some((s) => s.startsWith(scope)))) {
      problem("fixture", `in \`${line}\`, \`${text}\` is ${describe(found)}, expected ${scope}`);
    }
  };
  expect("pays 2_400 GBP", "2_400", "constant.numeric");
  expect("pays 2_400 GBP", "GBP", "keyword.other.unit.currency");
  expect("claim within 26 months", "months", "keyword.other.unit.duration");
  expect("hours: hours per week", "hours", "variable.other.property");
  expect("  hours: hours per week", "week", "keyword.other.unit");
  expect("bands pattern of hours per week {", "of", "keyword.other.payable");
  expect("bands pattern of hours per week {", "hours", "keyword.other.unit");
  expect("given employment { hours: 20 hours per week }", "week", "keyword.other.unit");
  expect("given employment { hours: 20 hours per week }", "per", "keyword.other.unit.per");
  expect("pays 40 GBP per tonne * 2 tonnes", "tonne", "keyword.other.unit");
  expect("claim within 20 working days", "working", "keyword.other.unit");
  expect("pays 5_000 GBP per point above 40%", "point", "keyword.other.payable");
  expect("pays 5_000 GBP per point above 40%", "40%", "constant.numeric.percentage");
  expect("in at least 13 of the 26 calendar months after x", "calendar", "keyword.other.payable");
  expect("in at least 13 of the 26 calendar months after x", "months", "keyword.other.payable");
  expect("repeats at most 13 times", "times", "keyword.other.payable");
  expect("outcomes achievable from 2025-04-01 to 2028-03-31", "achievable", "keyword.other.payable");
  expect("outcomes achievable from 2025-04-01 to 2028-03-31", "2028-03-31", "constant.numeric.date");
  expect("pays by participant.group { ready: 1 GBP, otherwise: 2 GBP }", "otherwise", "keyword.other.payable");
  expect("pays by participant.group { ready: 1 GBP }", "participant", "variable.language.participant");
  expect("  to: date?", "date", "support.type.primitive");
  expect("/// A doc comment with \"a quote", "quote", "comment.line.documentation");
  expect("let x = 1 // a comment", "a comment", "comment.line.double-slash");
  expect("/// Paid per `outcome`, in `GBP`.", "outcome", "markup.inline.raw");
  expect("contract \"unclosed", "unclosed", "invalid.illegal");
  // Nothing spans lines, so an unclosed quote must not colour the next line.
  const first = tokenizeLine('contract "unclosed', vsctm.INITIAL);
  const next = tokenizeLine("outcome x {", first.ruleStack);
  if (next.tokens[0].scopes.some((s) => s.startsWith("invalid") || s.startsWith("string"))) {
    problem("fixture", "an unclosed quote leaks into the next line");
  }
}

function tokenizeLine(line, stack) {
  const result = grammar.tokenizeLine(line, stack);
  return {
    ruleStack: result.ruleStack,
    tokens: result.tokens.map((t, i) => ({
      startIndex: t.startIndex,
      endIndex: i + 1 < result.tokens.length ? result.tokens[i + 1].startIndex : line.length,
      scopes: t.scopes,
    })),
  };
}

function describe(tokens) {
  return tokens.map((t) => `[${t.scopes.slice(1).join(" ") || "unscoped"}]`).join(" ") || "not a token";
}

function payFiles() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".pay")) found.push(full);
    }
  };
  for (const dir of ["examples", "stdlib", "tests/cases"]) walk(path.join(repoRoot, dir));
  found.sort();
  if (found.length === 0) throw new Error(`no .pay files under ${repoRoot}`);
  return found;
}

/** A scope themes colour as a keyword. Units are `keyword.other.unit` by convention, and are not. */
function keywordish(s) {
  return /^(keyword|storage|constant\.language|variable\.language)\./.test(s) && !s.startsWith("keyword.other.unit");
}

/** Checks one file's lines; returns how many. */
function checkSource(name, text) {
  let stack = vsctm.INITIAL;
  const sourceLines = text.split(/\r?\n/);
  sourceLines.forEach((line, index) => {
    const where = `${name}:${index + 1}`;
    const result = tokenizeLine(line, stack);
    stack = result.ruleStack;
    if (stack.depth !== 1) problem(where, `a scope is still open at the end of the line (${describe([{ scopes: stack.contentNameScopesList?.getScopeNames?.() ?? [] }])})`);
    const scopesOf = (start, end) => result.tokens.filter((t) => t.startIndex < end && t.endIndex > start);
    const all = (start, end, test) => scopesOf(start, end).every((t) => t.scopes.some(test));
    const none = (start, end, test) => scopesOf(start, end).every((t) => !t.scopes.some(test));
    const show = (start, end) => `\`${line.slice(start, end)}\` (col ${start + 1}) is ${describe(scopesOf(start, end))}`;

    const lexed = lexLine(line);
    lexed.forEach((tok, i) => {
      const { kind, start, end } = tok;
      const prev = lexed[i - 1];
      const next = lexed[i + 1];
      const word = line.slice(start, end);
      if (kind === "comment" || kind === "doc") {
        const scope = kind === "doc" ? "comment.line.documentation" : "comment.line";
        if (!all(start, end, (s) => s.startsWith(scope))) problem(where, `comment ${show(start, end)}`);
      } else if (kind === "string") {
        if (!all(start, end, (s) => s.startsWith("string.quoted"))) problem(where, `text ${show(start, end)}`);
      } else if (kind === "unterminated") {
        problem(where, `text without its closing quote: ${show(start, end)}`);
      } else if (kind === "date") {
        if (!all(start, end, (s) => s.startsWith("constant.numeric.date"))) problem(where, `date ${show(start, end)}`);
      } else if (kind === "number") {
        if (!all(start, end, (s) => s.startsWith("constant.numeric"))) problem(where, `number ${show(start, end)}`);
        // As in the grammar, a word after a number that is not a keyword is its unit.
        const unit = next?.kind === "word" && next.start > end && !reserved.has(line.slice(next.start, next.end));
        // A phrase word (`26 calendar months`, `13 times`) may be scoped as a keyword instead.
        const phrase = unit && phraseWords.has(line.slice(next.start, next.end));
        const scope = phrase ? "keyword." : "keyword.other.unit";
        if (unit && !all(next.start, next.end, (s) => s.startsWith(scope))) {
          problem(where, `unit ${show(next.start, next.end)}`);
        }
      } else if (kind === "word") {
        // Any word names a field after a dot or before a colon, but for the two phrase words
        // written like fields.
        const isName = prev?.text === "." || (next?.text === ":" && word !== "otherwise" && word !== "evidence");
        if (prev?.text === "." && !all(start, end, (s) => s.startsWith("variable.other.property"))) {
          problem(where, `field ${show(start, end)}`);
        } else if (reserved.has(word) && !isName) {
          if (!all(start, end, (s) => keywordish(s) || s.startsWith("keyword.other.unit.per"))) problem(where, `keyword ${show(start, end)}`);
        } else if (!phraseWords.has(word) || isName) {
          if (!none(start, end, keywordish)) problem(where, `name ${show(start, end)} (a keyword scope)`);
        }
      }
    });
  });
  if (stack.depth !== 1) problem(name, "a scope is still open at the end of the file");
  return sourceLines.length;
}

/** Payable's lexical rules for one line: comments, text, dates, numbers, words, punctuation. */
function lexLine(line) {
  const tokens = [];
  let i = 0;
  const push = (kind, start, end) => tokens.push({ kind, start, end, text: line.slice(start, end) });
  while (i < line.length) {
    const rest = line.slice(i);
    let m;
    if (/\s/.test(line[i])) {
      i += 1;
    } else if (rest.startsWith("//")) {
      push(rest.startsWith("///") ? "doc" : "comment", i, line.length);
      i = line.length;
    } else if (line[i] === '"') {
      const close = line.indexOf('"', i + 1);
      if (close < 0) {
        push("unterminated", i, line.length);
        i = line.length;
      } else {
        push("string", i, close + 1);
        i = close + 1;
      }
    } else if ((m = /^\d{4}-\d{2}-\d{2}(?![A-Za-z0-9_])/.exec(rest))) {
      push("date", i, i + m[0].length);
      i += m[0].length;
    } else if ((m = /^\d[\d_]*(?:\.\d+)?%?/.exec(rest))) {
      push("number", i, i + m[0].length);
      i += m[0].length;
    } else if ((m = /^[A-Za-z_]\w*/.exec(rest))) {
      push("word", i, i + m[0].length);
      i += m[0].length;
    } else if ((m = /^(\.\.|\?\?|==|!=|<=|>=)/.exec(rest))) {
      push("punct", i, i + m[0].length);
      i += m[0].length;
    } else {
      push("punct", i, i + 1);
      i += 1;
    }
  }
  return tokens;
}
