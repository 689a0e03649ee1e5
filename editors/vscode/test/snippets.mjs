// Expands a VS Code snippet body as VS Code would if every placeholder were accepted as it
// stands: `${1:default}` becomes `default`, `${1|a,b|}` the first choice, `$1` and `$0`
// nothing. Shared by the grammar test and the snippet check.

/** The text a snippet inserts with its defaults. */
export function expandSnippet(body) {
  let text = Array.isArray(body) ? body.join("\n") : body;
  // Innermost first, so that nested placeholders expand before the one around them.
  for (let before = null; before !== text; ) {
    before = text;
    text = text
      .replace(/\$\{\d+:([^${}]*)\}/g, "$1")
      .replace(/\$\{\d+\|([^,|]*)[^|]*\|\}/g, "$1")
      .replace(/\$\{\d+\}/g, "")
      .replace(/\$\d+/g, "");
  }
  return text.replace(/\\([$}\\])/g, "$1").replace(/\t/g, "  ");
}
