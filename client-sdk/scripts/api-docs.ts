// Writes docs/sdk-api.md, the SDK's API reference, from its types: declarations are emitted with
// tsc, then every export of the package entry (and of @fedrouter/client/file-store and /ai) is printed
// with its doc comments, grouped by kind. Run after changing the SDK's public API:
//   node client-sdk/scripts/api-docs.ts [--check]   (--check: fail if docs/sdk-api.md is stale)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const sdk = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(sdk, "..");
const target = join(root, "docs/sdk-api.md");

const ENTRIES = [
  { specifier: "@fedrouter/client", file: "client-sdk/src/index.d.ts" },
  { specifier: "@fedrouter/client/file-store", file: "client-sdk/src/file-store.d.ts" },
  { specifier: "@fedrouter/client/ai", file: "client-sdk/src/ai/index.d.ts" },
];

const GROUPS = ["Functions", "Classes", "Interfaces", "Types", "Constants"] as const;
type Group = (typeof GROUPS)[number];

function groupOf(node: ts.Declaration): Group {
  if (ts.isFunctionDeclaration(node)) return "Functions";
  if (ts.isClassDeclaration(node)) return "Classes";
  if (ts.isInterfaceDeclaration(node)) return "Interfaces";
  if (ts.isTypeAliasDeclaration(node)) return "Types";
  return "Constants";
}

/** The declaration as written in the .d.ts, doc comment included, without `export declare`. */
function source(node: ts.Declaration): string {
  const statement = ts.isVariableDeclaration(node) ? node.parent.parent : node;
  const text = statement
    .getFullText()
    .replace(/^\s*\n/, "")
    .trimEnd();
  return text
    .replace(/^(\s*)export declare /m, "$1")
    .replace(/^(\s*)export /m, "$1")
    .replace(/^(\s*)declare /m, "$1");
}

function emitDeclarations(outDir: string): void {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  execFileSync(
    process.execPath,
    [
      tsc,
      "-p",
      join(sdk, "tsconfig.build.json"),
      "--emitDeclarationOnly",
      "--sourceMap",
      "false",
      "--outDir",
      outDir,
    ],
    { stdio: "inherit" },
  );
}

export function renderApi(declarationsDir: string): string {
  const files = ENTRIES.map((e) => join(declarationsDir, e.file));
  const program = ts.createProgram(files, { noEmit: true, allowImportingTsExtensions: true });
  const checker = program.getTypeChecker();
  const lines = [
    "# @fedrouter/client API reference",
    "",
    "Generated from the SDK's type declarations by `node client-sdk/scripts/api-docs.ts`; do not edit by hand.",
    "The guide with a complete example is the SDK section of the README.",
    "",
  ];
  for (const [i, entry] of ENTRIES.entries()) {
    const sourceFile = program.getSourceFile(files[i]!);
    const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
    if (!moduleSymbol) throw new Error(`no declarations for ${entry.specifier}`);
    const groups = new Map<Group, string[]>();
    const exports = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
    for (const exported of exports) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of symbol.declarations ?? []) {
        const group = groupOf(declaration);
        const where = relative(declarationsDir, declaration.getSourceFile().fileName).replace(
          /\.d\.ts$/,
          ".ts",
        );
        const block = [
          `### ${exported.name}`,
          "",
          `<sub>${where}</sub>`,
          "",
          "```ts",
          source(declaration),
          "```",
          "",
        ];
        groups.set(group, [...(groups.get(group) ?? []), ...block]);
      }
    }
    lines.push(`## ${entry.specifier}`, "");
    for (const group of GROUPS) {
      const blocks = groups.get(group);
      if (blocks)
        lines.push(`<details open><summary><b>${group}</b></summary>`, "", ...blocks, "</details>", "");
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = mkdtempSync(join(tmpdir(), "fedrouter-sdk-types-"));
  try {
    emitDeclarations(outDir);
    const text = renderApi(outDir);
    if (process.argv.includes("--check")) {
      const current = readFileSync(target, "utf8");
      if (current !== text) {
        console.error(`${relative(root, target)} is stale: run node client-sdk/scripts/api-docs.ts`);
        process.exitCode = 1;
      }
    } else {
      writeFileSync(target, text);
      console.log(`wrote ${relative(root, target)}`);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
