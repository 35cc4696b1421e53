// AUC against epsilon (log scale) as a standalone SVG: one line per result (router and seed), its
// non-private AUC as a dashed level, and the baselines as dotted levels; with several noise draws
// per epsilon, a bar from the lowest draw to the highest.
import type { PrivacyExperimentResult } from "./privacy-experiment.ts";

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 60, right: 200, top: 36, bottom: 48 };
const COLOURS = ["#d1495b", "#2a9d8f", "#edae49", "#00798c", "#6a4c93", "#555555"];

export function privacyPlotSvg(results: readonly PrivacyExperimentResult[]): string {
  const epsilons = results.flatMap((r) => r.rows.map((row) => row.epsilon));
  const aucs = results.flatMap((r) => [
    r.nonPrivate,
    ...r.rows.flatMap((row) => [row.auc, ...row.aucs]),
    ...Object.values(r.baselines),
  ]);
  const xMin = Math.log2(Math.min(...epsilons));
  const xMax = Math.log2(Math.max(...epsilons)) + 1e-9;
  const yMin = Math.max(0, Math.min(...aucs) - 0.02);
  const yMax = Math.min(1, Math.max(...aucs) + 0.02);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (epsilon: number) => MARGIN.left + ((Math.log2(epsilon) - xMin) / (xMax - xMin || 1)) * plotW;
  const y = (auc: number) => MARGIN.top + (1 - (auc - yMin) / (yMax - yMin || 1)) * plotH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>AUC against epsilon (delta ${results[0]?.delta ?? ""})</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">AUC against epsilon (delta ${results[0]?.delta ?? ""})</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">epsilon (log scale)</text>`,
  ];
  for (const epsilon of [...new Set(epsilons)]) {
    parts.push(
      `<text x="${x(epsilon)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${epsilon}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const auc = yMin + ((yMax - yMin) * i) / 4;
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(auc) + 4}" text-anchor="end">${auc.toFixed(3)}</text>`);
  }
  const level = (auc: number, colour: string, dash: string, label: string, row: number) => {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(auc)}" y2="${y(auc)}" stroke="${colour}" stroke-dasharray="${dash}"/>`,
      `<text x="${MARGIN.left + plotW + 8}" y="${MARGIN.top + 14 * row}" fill="${colour}">${label}</text>`,
    );
  };
  let row = 1;
  results.forEach((result, i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    const points = result.rows.map((r) => `${x(r.epsilon)},${y(r.auc)}`).join(" ");
    parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    // A marker per measured epsilon: a result with one epsilon is a point, not a line.
    for (const r of result.rows) {
      parts.push(`<circle cx="${x(r.epsilon)}" cy="${y(r.auc)}" r="3" fill="${colour}"/>`);
      if (r.aucs.length > 1)
        parts.push(
          `<line x1="${x(r.epsilon)}" x2="${x(r.epsilon)}" y1="${y(Math.min(...r.aucs))}" y2="${y(Math.max(...r.aucs))}" stroke="${colour}"/>`,
        );
    }
    parts.push(
      `<text x="${MARGIN.left + plotW + 8}" y="${MARGIN.top + 14 * row++}" fill="${colour}">${result.router} seed ${result.seed}</text>`,
    );
    level(result.nonPrivate, colour, "6 4", `${result.router} seed ${result.seed} non-private`, row++);
  });
  const first = results[0];
  for (const [name, auc] of Object.entries(first?.baselines ?? {}))
    level(auc, "#888888", "2 3", `${name} (seed ${first?.seed})`, row++);
  parts.push("</svg>");
  return parts.join("\n");
}
