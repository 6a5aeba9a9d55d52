#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""kerneldoc-filter.py FILE: doxygen's INPUT_FILTER for guestmem's headers.

The public headers document every declaration in the kernel-doc form of
QEMU's memory.h (docs/conventions.md):

    /**
     * name: what it does.
     * @arg: what the argument is.
     *
     * Prose that says @arg.
     * Context: update side.
     * Return: what comes back.
     */

This prints FILE with each `/**` block rewritten in doxygen's terms, line
for line (doxygen's line numbers stay right): the leading `name:` goes
(JAVADOC_AUTOBRIEF makes the first sentence the brief), `@arg:` lines
become `@param arg` before a function and a list item before a type,
`@arg` in prose `\\p arg`, `Return:` `@return`, the other section
headings (Context:, Errors:, Ownership: ...) `@par`, `%CONST` plain, and
characters doxygen would take for commands or HTML (`\\`, `#word`,
`<word`) are escaped.  Comments that start with `/*` are left alone.
"""
import re
import sys

SECTIONS = ("Context", "Errors", "Error", "Ownership", "Misuse", "Note",
            "Notes", "Lifetime", "Locking", "Example", "Examples", "Limits",
            "Cost", "Threads")
NAME_LINE = re.compile(
    r"^(\s*(?:/\*\*|\*)\s*)([A-Za-z_][\w]*(?:\(\))?(?:\s*/\s*[\w]+(?:\(\))?)*)"
    r"\s*:(\s+|$)")
PARAM_LINE = re.compile(
    r"^(\s*\*\s*)@([A-Za-z_]\w*(?:\s*/\s*@[A-Za-z_]\w*)*)(?:\.\.\.)?\s*:\s?(.*)$")
SECTION_LINE = re.compile(r"^(\s*\*\s*)(Return|Returns|%s):\s?(.*)$" %
                          "|".join(SECTIONS))


def escape(text):
    text = text.replace("\\", "\\\\")
    text = re.sub(r"#(?=[A-Za-z_])", r"\\#", text)
    text = re.sub(r"<(?=[A-Za-z_/])", r"\\<", text)
    text = re.sub(r"(?<![\w%])%([A-Za-z_]\w*)", r"\1", text)
    return text


def inline_refs(text):
    return re.sub(r"(?<![\w@\\])@([A-Za-z_]\w*)", r"\\p \1", text)


def declares_function(rest):
    """Whether the code after a comment declares a function (or a pointer
    to one): a '(' before the first ';' or '{'."""
    m = re.search(r"[;{(]", rest)
    return bool(m) and m.group(0) == "("


def filter_block(lines, is_function):
    out = []
    named = False
    for i, line in enumerate(lines):
        body = line
        if i == len(lines) - 1:
            # the closing line: "*/" possibly after text
            pass
        if not named:
            m = NAME_LINE.match(body)
            if m and (i == 0 or body.lstrip().startswith("*")):
                body = m.group(1) + body[m.end():]
                named = True
            elif body.strip() not in ("/**", "*", ""):
                named = True  # a block that starts with prose
        m = PARAM_LINE.match(body)
        if m:
            names = [n.strip().lstrip("@") for n in m.group(2).split("/")]
            text = inline_refs(escape(m.group(3)))
            if is_function:
                body = "%s@param %s %s" % (m.group(1), ",".join(names), text)
            else:
                body = "%s- \\c %s: %s" % (m.group(1),
                                           " / \\c ".join(names), text)
            out.append(body)
            continue
        m = SECTION_LINE.match(body)
        if m:
            text = inline_refs(escape(m.group(3)))
            if m.group(2) in ("Return", "Returns"):
                body = "%s@return %s" % (m.group(1), text)
            elif out:
                # A titled paragraph: `@par Title` takes the rest of its
                # line as the title and the next line as the text, so it
                # goes at the end of the line before (the line count
                # stays).
                out[-1] = out[-1].rstrip() + " @par %s:" % m.group(2)
                body = "%s%s" % (m.group(1), text)
            else:
                body = "%s<b>%s:</b> %s" % (m.group(1), m.group(2), text)
            out.append(body)
            continue
        # Escape the text, not the comment's own /** and */.
        head = ""
        if body.lstrip().startswith("/**"):
            k = body.index("/**") + 3
            head, body = body[:k], body[k:]
        tail = ""
        if body.rstrip().endswith("*/"):
            k = body.rindex("*/")
            body, tail = body[:k], body[k:]
        out.append(head + inline_refs(escape(body)) + tail)
    return out


def main():
    src = open(sys.argv[1], encoding="utf-8").read().split("\n")
    out = []
    i = 0
    while i < len(src):
        line = src[i]
        if re.match(r"^\s*/\*\*(?!\*)", line) and "*/" not in line[
                line.index("/**") + 3:]:
            j = i
            while j < len(src) and "*/" not in src[j][
                    (src[j].index("/**") + 3) if j == i else 0:]:
                j += 1
            block = src[i:j + 1]
            rest = "\n".join(src[j + 1:j + 30])
            out += filter_block(block, declares_function(rest))
            i = j + 1
            continue
        if re.match(r"^\s*/\*\*(?!\*)", line) and "*/" in line:
            # a one-line block: /** name: text */
            k = line.index("/**")
            rest = "\n".join(src[i + 1:i + 30])
            out += filter_block([line], declares_function(rest))
            i += 1
            continue
        out.append(line)
        i += 1
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
