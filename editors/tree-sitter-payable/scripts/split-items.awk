# Splits a Payable file into its top-level items and writes them as tree-sitter corpus
# tests with no expected tree (`tree-sitter test --update` fills the trees in).
#
# An item runs to the first blank line outside braces. Comments and `allow(...)` lines
# written right above an item belong to it; a paragraph of comments on its own (a file's
# header, a section's notes) is prose about the file and is left out.
#
# Variables: name (the test name prefix).

function flush(   first, i, line) {
    if (has_code) {
        count++
        first = ""
        for (i = 1; i <= n; i++) {
            line = lines[i]
            sub(/^[ \t]+/, "", line)
            if (line !~ /^\/\// && line !~ /^allow\(/) { first = line; break }
        }
        sub(/[ \t]*\/\/.*$/, "", first)
        gsub(/[ \t]+/, " ", first)
        if (length(first) > 60) first = substr(first, 1, 57) "..."
        printf "%s\nexample %s %d: %s\n%s\n\n", rule, name, count, first, rule
        for (i = 1; i <= n; i++) print lines[i]
        printf "\n---\n\n"
    }
    n = 0
    has_code = 0
}

# Brace depth of a line's code, ignoring strings and comments.
function depth_change(line,   c, i, d, in_string) {
    d = 0
    in_string = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (in_string) { if (c == "\"") in_string = 0; continue }
        if (c == "\"") in_string = 1
        else if (c == "/" && substr(line, i + 1, 1) == "/") break
        else if (c == "{") d++
        else if (c == "}") d--
    }
    return d
}

BEGIN {
    rule = "=================================================================="
    n = 0; depth = 0; count = 0
}

/^[ \t]*$/ && depth == 0 { flush(); next }

{
    lines[++n] = $0
    if ($0 !~ /^[ \t]*\/\// && $0 !~ /^[ \t]*$/) has_code = 1
    depth += depth_change($0)
}

END { flush() }
