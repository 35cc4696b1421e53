import { describe, expect, it } from "vitest";
import { parsePythonStringList, promptText } from "../../../../core/data/prompt-literal.ts";

describe("Python list-literal prompts", () => {
  it("joins the turns of a list with escapes decoded", () => {
    expect(parsePythonStringList("['a\\nb', \"it's\", 'tab\\there']")).toEqual(["a\nb", "it's", "tab\there"]);
    expect(parsePythonStringList("['caf\\xe9 \\u2713']")).toEqual(["café ✓"]);
    expect(parsePythonStringList("['keeps \\d unknown escapes']")).toEqual(["keeps \\d unknown escapes"]);
    expect(parsePythonStringList("[]")).toEqual([]);
    expect(parsePythonStringList("['trailing comma',]")).toEqual(["trailing comma"]);
  });

  it("returns null for text that is not a list of strings, and promptText falls back to it", () => {
    expect(parsePythonStringList("[1, 2]")).toBeNull();
    expect(parsePythonStringList("['unterminated]")).toBeNull();
    expect(parsePythonStringList("['a'] extra")).toBeNull();
    expect(promptText("[not python]")).toBe("[not python]");
    expect(promptText("['x', 'y']")).toBe("x\ny");
  });
});
