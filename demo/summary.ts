// What the main job prints: each organisation's AUC for its local and the federated router of
// both federations side by side with the baselines, then each router's global figures as
// `fedrouter experiment` prints them.
import { routerKind } from "../core/routers/registry.ts";
import { baselineLine, baselineNames, globalTable, summaryLine } from "../experiments/table.ts";
import type { RouterReport } from "./report.ts";

function render(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  const [head, ...body] = rows;
  return [line(head!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...body.map(line)].join("\n");
}

/**
 * One row per organisation: train and test sizes, local and federated AUC per router, then the
 * baselines (fitted on the same split for every router, so shown once).
 */
export function organisationTable(routers: readonly RouterReport[]): string {
  const head = ["organisation", "train", "test"];
  for (const { result } of routers)
    head.push(`${routerKind(result.router).label} local`, `${routerKind(result.router).label} federated`);
  const firstResult = routers[0]?.result;
  const baselines = firstResult ? baselineNames(firstResult) : [];
  head.push(...baselines);
  const rows = [head];
  for (const [i, client] of (firstResult?.clients ?? []).entries()) {
    const row = [String(client.id), String(client.nTrain), String(client.nTest)];
    for (const { result } of routers) {
      const own = result.clients[i]!.ownTest;
      row.push(own.local.toFixed(3), own.federated.toFixed(3));
    }
    for (const name of baselines) row.push(client.ownTest[name]?.toFixed(3) ?? "");
    rows.push(row);
  }
  return render(rows);
}

export function summaryText(routers: readonly RouterReport[]): string {
  const parts = [
    "Each organisation's AUC on its own test set (federated: the model it fetched from the edge)",
    "",
  ];
  parts.push(organisationTable(routers), "");
  for (const { result, edge } of routers) {
    parts.push(
      `${routerKind(result.router).label}, global test set (${edge.rounds.length} secure rounds, model v${edge.version}):`,
    );
    const baselines = baselineLine(result);
    parts.push(globalTable(result), summaryLine(result), ...(baselines ? [baselines] : []), "");
  }
  return parts.join("\n");
}
