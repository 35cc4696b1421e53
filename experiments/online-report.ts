// The online scenario's terminal tables and its plot: global test AUC and realised utility after
// each round, per policy and weighting, beside the paper-protocol router and the baselines.
import type { OnlineResult, PolicyRun } from "./online.ts";

const label = (run: Pick<PolicyRun, "policy" | "weighting">) => `${run.policy} ${run.weighting}`;
const f = (x: number) => x.toFixed(3);

/** One row per round, one column pair (utility, AUC) per policy and weighting. */
export function onlineRoundTable(result: OnlineResult): string {
  const header = ["round", ...result.policies.map((p) => `${label(p)} (util / AUC)`)];
  const rounds = Math.max(...result.policies.map((p) => p.rounds.length));
  const rows = Array.from({ length: rounds }, (_, r) => [
    String(r + 1),
    ...result.policies.map((p) => {
      const at = p.rounds[r];
      return at ? `${f(at.utility)} / ${f(at.auc)}` : "";
    }),
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The final AUCs and utilities against the references, and the default's margins. */
export function onlineSummary(result: OnlineResult): string {
  const { global } = result;
  const lines = [
    `${result.dataset} ${result.router} seed ${result.seed}, online: batch ${result.settings.batch}, ${result.settings.rounds} rounds, start ${result.settings.start}, lambda ${result.settings.lambda.toPrecision(3)}; ${result.seconds.toFixed(1)} s`,
    `references (global AUC): paper-protocol federated ${f(global.paperFederated)}${Object.entries(global)
      .filter(([k]) => k !== "paperFederated")
      .map(([k, v]) => `, ${k} ${f(v)}`)
      .join("")}`,
  ];
  for (const p of result.policies)
    lines.push(
      `  ${label(p).padEnd(22)} final AUC ${f(p.final.auc)}${p.final.meanAuc !== undefined ? ` (mean of ${p.final.aucs?.length} trainings ${f(p.final.meanAuc)})` : ""}  final utility ${f(p.final.utility)}  mean utility ${f(p.meanUtility)}`,
    );
  const chosen = result.policies.find(
    (p) => p.policy === result.default.policy && p.weighting === result.default.weighting,
  );
  const greedy = result.policies.find((p) => p.policy === "greedy" && p.weighting === "none");
  if (chosen && greedy) {
    lines.push(
      `default (${label(chosen)}) - greedy none: ${signed(chosen.final.auc - greedy.final.auc)} AUC; - paper-protocol: ${signed(chosen.final.auc - global.paperFederated)} AUC`,
    );
    const { meanAuc } = chosen.final;
    if (
      meanAuc !== undefined &&
      greedy.final.meanAuc !== undefined &&
      global.paperFederatedMean !== undefined
    )
      lines.push(
        `  over ${result.settings.finalTrainings} trainings each: - greedy none ${signed(meanAuc - greedy.final.meanAuc)} AUC; - paper-protocol ${signed(meanAuc - global.paperFederatedMean)} AUC`,
      );
  }
  return lines.join("\n");
}

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;

const COLOURS: Record<string, string> = {
  greedy: "#555555",
  "epsilon-greedy": "#2a9d8f",
  softmax: "#d1495b",
};

/** Global test AUC by round, one line per run (solid: ips, dashed: none), the references flat. */
export function onlinePlotSvg(result: OnlineResult): string {
  const width = 760;
  const height = 440;
  const margin = { left: 64, right: 210, top: 36, bottom: 52 };
  const rounds = Math.max(...result.policies.map((p) => p.rounds.length));
  const values = [
    ...result.policies.flatMap((p) => p.rounds.map((r) => r.auc)),
    ...Object.values(result.global),
  ];
  const yMin = Math.min(...values) - 0.01;
  const yMax = Math.max(...values) + 0.01;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const x = (round: number) => margin.left + ((round - 1) / Math.max(1, rounds - 1)) * plotW;
  const y = (auc: number) => margin.top + (1 - (auc - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>${result.dataset}, ${result.router} router, seed ${result.seed}: global test AUC after each online round</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="22" font-size="14">${result.dataset}, ${result.router} router, seed ${result.seed}: global test AUC after each round</text>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#000"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#000"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">round</text>`,
    `<text x="16" y="${margin.top + plotH / 2}" transform="rotate(-90 16 ${margin.top + plotH / 2})" text-anchor="middle">global AUC</text>`,
  ];
  for (let r = 1; r <= rounds; r++)
    parts.push(`<text x="${x(r)}" y="${margin.top + plotH + 16}" text-anchor="middle">${r}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    parts.push(`<text x="${margin.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(3)}</text>`);
  }
  let legend = 0;
  const key = (text: string, colour: string, dash: string) => {
    const ly = margin.top + 14 + legend++ * 18;
    const lx = margin.left + plotW + 12;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${colour}" stroke-width="2" stroke-dasharray="${dash}"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${text}</text>`,
    );
  };
  for (const [name, auc] of Object.entries(result.global)) {
    const dash = name === "paperFederated" ? "6 4" : "2 3";
    const colour = name === "paperFederated" ? "#222222" : "#999999";
    parts.push(
      `<line x1="${margin.left}" y1="${y(auc)}" x2="${margin.left + plotW}" y2="${y(auc)}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="${dash}"/>`,
    );
    key(name, colour, dash);
  }
  for (const p of result.policies) {
    const colour = COLOURS[p.policy] ?? "#000000";
    const dash = p.weighting === "ips" ? "none" : "5 3";
    const points = p.rounds.map((r) => `${x(r.round).toFixed(1)},${y(r.auc).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" stroke-dasharray="${dash}" points="${points}"/>`,
    );
    key(label(p), colour, dash);
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
