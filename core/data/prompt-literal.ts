// Reads prompts written as Python list literals of turns (RouterBench's format), e.g.
// ['Write a function...', 'Now test it'], into plain text with the turns joined by newlines.

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
};

/**
 * Parses a Python list of string literals. Returns null when the text is not such a list, so
 * the caller can fall back to treating it as plain text.
 */
export function parsePythonStringList(text: string): string[] | null {
  const s = text.trim();
  if (!s.startsWith("[") || !s.endsWith("]")) return null;
  const turns: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  skipSpace();
  if (s[i] === "]") return i === s.length - 1 ? [] : null;
  for (;;) {
    skipSpace();
    const quote = s[i];
    if (quote !== "'" && quote !== '"') return null;
    i++;
    let turn = "";
    while (i < s.length && s[i] !== quote) {
      const ch = s[i] as string;
      if (ch !== "\\") {
        turn += ch;
        i++;
        continue;
      }
      const next = s[i + 1] ?? "";
      if (next in SIMPLE_ESCAPES) {
        turn += SIMPLE_ESCAPES[next];
        i += 2;
      } else if (next === "x" || next === "u" || next === "U") {
        const width = next === "x" ? 2 : next === "u" ? 4 : 8;
        const hex = s.slice(i + 2, i + 2 + width);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) return null;
        turn += String.fromCodePoint(Number.parseInt(hex, 16));
        i += 2 + width;
      } else if (next === "\n") {
        i += 2; // a backslash-newline continues the literal
      } else {
        // Python keeps unknown escapes verbatim, backslash included.
        turn += ch;
        i++;
      }
    }
    if (i >= s.length) return null;
    i++; // closing quote
    turns.push(turn);
    skipSpace();
    if (s[i] === ",") {
      i++;
      skipSpace();
      if (s[i] === "]") return i === s.length - 1 ? turns : null;
      continue;
    }
    return s[i] === "]" && i === s.length - 1 ? turns : null;
  }
}

/** The prompt text of a RouterBench cell: the list's turns joined, or the cell itself. */
export function promptText(cell: string): string {
  const turns = parsePythonStringList(cell);
  return turns ? turns.join("\n") : cell;
}
