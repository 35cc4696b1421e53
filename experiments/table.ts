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
const PERSONALISED: Record<string, string> = {
  personalised: "prior-evidence (default)",
  personalisedAdaptive: "inverse-error mixture",
  personalisedFixed: "fixed 0.5/0.5",
  fineTuned: "fine-tuned",
  "pe-pooled": "prior-evidence, pooled weight",
  "pe-hierarchical": "prior-evidence, per-model weights",
  "pe-least-squares": "prior-evidence, unshrunk least squares",
  "pe-positive-part": "prior-evidence, positive-part shrinkage (the first default)",
  "pe-routing": "prior-evidence, routing part of quality departures",
};

/** How one personalised router fared against max(local, federated) over a run's clients. */
export interface PersonalisationSummary {
  key: string;
  name: string;
  clients: number;
  /** Mean over clients of personalised - max(local, federated). */
  meanMinusBest: number;
  /** The lowest client's (personalised - max(local, federated)) / its bootstrap s.e.; NaN without. */
  worstInSe: number;
  /** Clients more than 2.5 s.e. below max(local, federated). */
  beyond: number;
  /** Clients where federated loses to local, and of those where personalised beats federated. */
  losing: number;
  rescued: number;
  /** Mean over clients of personalised - federated. */
  meanMinusFederated: number;
}

/** The standard errors of `key` - max(local, federated), per client (absent without bootstrap). */
function seOf(c: ClientResult, key: string): number | undefined {
  const se = c.ownTestSe;
  if (!se) return undefined;
  return key === "personalised" ? se.personalisedMinusBest : se.minusBest?.[key];
}

/** Per personalised router of the run, the issue's figures (see `PersonalisationSummary`). */
export function personalisationSummaries(result: ExperimentResult): PersonalisationSummary[] {
  // Results written before the prior-evidence default scored the inverse-error mixture as `personalised`.
  const legacy = !result.clients.some((c) => c.evidenceWeights !== undefined);
  const summaries: PersonalisationSummary[] = [];
  for (const [key, label] of Object.entries(PERSONALISED)) {
    const scored = result.clients.filter((c) => c.ownTest[key] !== undefined);
    if (scored.length === 0) continue;
    let sum = 0;
    let sumFed = 0;
    let worst = Number.POSITIVE_INFINITY;
    let beyond = 0;
    let losing = 0;
    let rescued = 0;
    for (const c of scored) {
      const { local, federated } = c.ownTest;
      const p = c.ownTest[key]!;
      const gap = p - Math.max(local, federated);
      sum += gap;
      sumFed += p - federated;
      const se = seOf(c, key);
      if (gap === 0) {
        worst = Math.min(worst, 0);
      } else if (se !== undefined && se > 0) {
        worst = Math.min(worst, gap / se);
        if (gap < -2.5 * se) beyond++;
      } else if (se !== undefined && gap < 0) {
        // No spread at all and still below: as far below as can be.
        worst = Number.NEGATIVE_INFINITY;
        beyond++;
      }
      if (federated < local) {
        losing++;
        if (p > federated) rescued++;
      }
    }
    summaries.push({
      key,
      name: legacy && key === "personalised" ? "inverse-error mixture" : label,
      clients: scored.length,
      meanMinusBest: sum / scored.length,
      worstInSe: worst === Number.POSITIVE_INFINITY ? Number.NaN : worst,
      beyond,
      losing,
      rescued,
      meanMinusFederated: sumFed / scored.length,
    });
  }
  return summaries;
}

/**
 * How each personalised router fared against the better of local and federated (issue 20's
 * acceptance: mean over clients of personalised - max(local, federated) at least -0.01, no client
 * more than 2.5 bootstrap s.e. below it, better than federated wherever federated loses to local),
 * then each client's difference in s.e. for the default.
 */
export function personalisationLine(result: ExperimentResult): string {
  const lines = personalisationSummaries(result).map(
    (s) =>
      `${s.name}: mean personalised - max(local, federated) ${signed(s.meanMinusBest)} (- federated ${signed(s.meanMinusFederated)}); worst client ${Number.isNaN(s.worstInSe) ? "n/a" : `${s.worstInSe.toFixed(1)} s.e.`}, ${s.beyond} beyond 2.5 s.e.; better than federated on ${s.rescued} of the ${s.losing} clients where federated loses to local`,
  );
  const perClient = result.clients
    .map((c) => {
      const p = c.ownTest.personalised;
      const se = c.ownTestSe?.personalisedMinusBest;
      if (p === undefined || se === undefined) return undefined;
      const gap = p - Math.max(c.ownTest.local, c.ownTest.federated);
      // No spread over the resamples: the same router as the better one (0), else undefined.
      return `${c.id}: ${gap === 0 ? "0.0" : (gap / se).toFixed(1)}`;
    })
    .filter((x) => x !== undefined);
  if (perClient.length > 0)
    lines.push(`default personalised - max(local, federated) per client, in s.e.: ${perClient.join(", ")}`);
  const resolution = resolutionLine(result.clients);
  if (resolution) lines.push(resolution);
  return lines.join("\n");
}

/** Which of local's wins over federated the clients' test sets resolve (beyond 2 bootstrap s.e.). */
function resolutionLine(clients: readonly ClientResult[]): string | undefined {
  const withSe = clients.filter((c) => c.ownTestSe);
  if (withSe.length === 0) return undefined;
  let localWins = 0;
  let localWinsResolved = 0;
  for (const c of withSe) {
    const { local, federated } = c.ownTest;
    if (local > federated) {
      localWins++;
      if (local - federated > 2 * c.ownTestSe!.localMinusFederated) localWinsResolved++;
    }
  }
  return `bootstrap (${withSe[0]!.ownTestSe!.resamples} paired resamples of each client's test set): local beats federated by more than 2 s.e. on ${localWinsResolved} of the ${localWins} clients where it wins`;
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
