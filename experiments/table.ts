// Plain-text tables of an experiment's results for the terminal and for notes.
import type { ClientResult, ExperimentResult } from "./harness.ts";
import type { ScenarioResult } from "./scenarios.ts";

function render(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...body.map(line)].join(
    "\n",
  );
}

/** An AUC as tables show it (three decimals; blank when absent). */
export const f = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? "" : v.toFixed(3));

/** A difference of AUCs, with its sign. */
const signed = (v: number): string => `${v >= 0 ? "+" : ""}${v.toFixed(3)}`;

/**
 * One client's row: id, train and test sizes, its local, federated and centralised AUCs, the
 * `extra` AUCs of its ownTest, and federated - local.
 */
export function clientCells(c: ExperimentResult["clients"][number], extra: readonly string[] = []): string[] {
  return [
    String(c.id),
    String(c.nTrain),
    String(c.nTest),
    f(c.ownTest.local),
    f(c.ownTest.federated),
    f(c.ownTest.centralised),
    ...extra.map((k) => f(c.ownTest[k])),
    signed(c.ownTest.federated - c.ownTest.local),
  ];
}

export function clientTable(result: ExperimentResult): string {
  const extra = Object.keys(result.clients[0]?.ownTest ?? {}).filter(
    (k) => !["local", "federated", "centralised"].includes(k),
  );
  const head = ["client", "train", "test", "local", "federated", "centralised", ...extra, "fed - local"];
  return render([head, ...result.clients.map((c) => clientCells(c, extra))]);
}

export function globalTable(result: ExperimentResult): string {
  return render([Object.keys(result.global), Object.values(result.global).map(f)]);
}

export function summaryLine(result: ExperimentResult): string {
  const wins = result.clients.filter((c) => c.ownTest.federated > c.ownTest.local).length;
  const gap = result.global.federated - result.global.centralised;
  return `${result.dataset} ${result.router} seed ${result.seed}: federated beats local for ${wins}/${result.clients.length} clients; global federated ${f(result.global.federated)} vs centralised ${f(result.global.centralised)} (${gap >= 0 ? "+" : ""}${gap.toFixed(4)}); ${result.seconds.toFixed(1)} s`;
}

/** The baselines every result carries (taskLookup only where the data has task labels). */
const BASELINES = ["queryBlind", "taskLookup"] as const;

/** The baselines a result carries, in table order (none in results written before them). */
export function baselineNames(result: ExperimentResult): string[] {
  return BASELINES.filter((name) => result.global[name] !== undefined);
}

/**
 * How the federated and centralised routers fare against the baselines: their global AUC
 * differences, and for how many clients federated beats each baseline on the client's own test
 * set. Undefined for results written before they carried baselines.
 */
export function baselineLine(result: ExperimentResult): string | undefined {
  const names = baselineNames(result);
  if (names.length === 0) return undefined;
  const against = (router: "federated" | "centralised") =>
    names.map((name) => `${router} - ${name} ${signed(result.global[router] - result.global[name]!)}`);
  const wins = names.map((name) => {
    const scored = result.clients.filter((c) => c.ownTest[name] !== undefined);
    const won = scored.filter((c) => c.ownTest.federated > c.ownTest[name]!).length;
    return `${name} for ${won}/${scored.length}`;
  });
  return `baselines, global: ${[...against("federated"), ...against("centralised")].join(", ")}; on their own test sets federated beats ${wins.join(", ")} clients`;
}

/** The personalised routers the harness scores, by their key in `ownTest`. */
const PERSONALISED = {
  personalised: "adaptive",
  personalisedFixed: "fixed 0.5/0.5",
  fineTuned: "fine-tuned",
};

/**
 * How each personalised router fared against the better of local and federated, per client (the
 * issue's acceptance: within 0.01 on 9 of 10 clients, and better than federated wherever
 * federated loses to local).
 */
export function personalisationLine(result: ExperimentResult): string {
  const lines: string[] = [];
  for (const [key, name] of Object.entries(PERSONALISED)) {
    let close = 0;
    let losing = 0;
    let rescued = 0;
    let scored = 0;
    for (const c of result.clients) {
      const { local, federated } = c.ownTest;
      const personalised = c.ownTest[key];
      if (personalised === undefined) continue;
      scored++;
      if (personalised >= Math.max(local, federated) - 0.01) close++;
      if (federated < local) {
        losing++;
        if (personalised > federated) rescued++;
      }
    }
    if (scored === 0) continue;
    lines.push(
      `${name}: within 0.01 of the better of local and federated for ${close}/${scored} clients; better than federated on ${rescued} of the ${losing} clients where federated loses to local`,
    );
  }
  const resolution = resolutionLine(result.clients);
  if (resolution) lines.push(resolution);
  return lines.join("\n");
}

/**
 * Which of those differences the clients' test sets resolve: local's wins over federated, and
 * the adaptive router's misses (more than 0.01 below the better), beyond 2 bootstrap s.e.
 */
function resolutionLine(clients: readonly ClientResult[]): string | undefined {
  const withSe = clients.filter((c) => c.ownTestSe);
  if (withSe.length === 0) return undefined;
  let localWins = 0;
  let localWinsResolved = 0;
  let misses = 0;
  let missesResolved = 0;
  for (const c of withSe) {
    const { local, federated, personalised } = c.ownTest;
    const se = c.ownTestSe!;
    if (local > federated) {
      localWins++;
      if (local - federated > 2 * se.localMinusFederated) localWinsResolved++;
    }
    const best = Math.max(local, federated);
    if (personalised !== undefined && se.personalisedMinusBest !== undefined && personalised < best - 0.01) {
      misses++;
      if (best - personalised > 2 * se.personalisedMinusBest) missesResolved++;
    }
  }
  return `bootstrap (${withSe[0]!.ownTestSe!.resamples} paired resamples of each client's test set): local beats federated by more than 2 s.e. on ${localWinsResolved} of the ${localWins} clients where it wins; the adaptive router is more than 2 s.e. below the better on ${missesResolved} of its ${misses} misses`;
}

export function scenarioTable(result: ScenarioResult): string {
  const hasReference = result.global.reference !== undefined;
  const head = ["client", ...(result.clients[0]?.group ? ["group"] : []), "train", "before", "after"];
  if (hasReference) head.push("reference");
  const rows = [head];
  for (const c of result.clients) {
    rows.push([
      String(c.id),
      ...(c.group ? [c.group] : []),
      String(c.nTrain),
      f(c.ownTest.before),
      f(c.ownTest.after),
      ...(hasReference ? [f(c.ownTest.reference)] : []),
    ]);
  }
  const lines = [render(rows), ""];
  lines.push(
    render([
      ["", "before", "after", ...(hasReference ? ["reference"] : [])],
      [
        "global",
        f(result.global.before),
        f(result.global.after),
        ...(hasReference ? [f(result.global.reference)] : []),
      ],
    ]),
  );
  for (const [group, g] of Object.entries(result.groups ?? {})) {
    lines.push(`${group} clients, mean own-test AUC: before ${f(g.before)}, after ${f(g.after)}`);
  }
  lines.push(
    `${result.scenario} on ${result.dataset}, ${result.router} router, seed ${result.seed}: ${JSON.stringify(result.details)}; ${result.seconds.toFixed(1)} s`,
  );
  return lines.join("\n");
}
