// Draws the accuracy-cost curves of an experiment as a standalone SVG (no browser needed).
import type { ExperimentResult } from "./harness.ts";

const WIDTH = 760;
const HEIGHT = 480;
const MARGIN = { left: 64, right: 180, top: 36, bottom: 52 };

const STYLE: Record<string, { colour: string; width: number; dash?: string }> = {
  oracle: { colour: "#222222", width: 2, dash: "6 4" },
  // Wide and pale so that a federated curve lying exactly on it stays visible.
  centralised: { colour: "#9ecae1", width: 6 },
  federated: { colour: "#d1495b", width: 2.5 },
  pooled: { colour: "#8e6c8a", width: 1.5, dash: "3 3" },
  personalised: { colour: "#2a9d8f", width: 2 },
  // The baselines: dotted and dashed, so a router's curve reads against them.
  queryBlind: { colour: "#555555", width: 1.5, dash: "2 3" },
  taskLookup: { colour: "#6a994e", width: 1.5, dash: "8 3" },
};

const escapeXml = (text: string): string =>
  text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] as string);

export function plotSvg(result: ExperimentResult): string {
  // Client-local curves first, the federated router last (on top).
  const rank = (name: string) => (name.startsWith("local-") ? 0 : name === "federated" ? 2 : 1);
  const series = Object.entries(result.curves).sort(([a], [b]) => rank(a) - rank(b));
  const points = [...series.flatMap(([, c]) => c), ...result.singleModels];
  // Costs span orders of magnitude, so the x axis is logarithmic.
  const costs = points.map((p) => Math.log10(Math.max(p.cost, 1e-12)));
  const xMin = Math.min(...costs);
  const xMax = Math.max(...costs) + 1e-9;
  const qualities = points.map((p) => p.quality);
  const yMin = Math.max(0, Math.min(...qualities) - 0.05);
  const yMax = Math.min(1, Math.max(...qualities) + 0.05);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (cost: number) =>
    MARGIN.left + ((Math.log10(Math.max(cost, 1e-12)) - xMin) / (xMax - xMin)) * plotW;
  const y = (quality: number) => MARGIN.top + (1 - (quality - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escapeXml(`${result.dataset}: ${result.router} router, seed ${result.seed}`)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  );
  for (let e = Math.ceil(xMin); e <= Math.floor(xMax); e++) {
    const px = x(10 ** e);
    parts.push(
      `<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`,
      `<text x="${px}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">1e${e}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const q = yMin + ((yMax - yMin) * i) / 5;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y(q)}" x2="${MARGIN.left + plotW}" y2="${y(q)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(q) + 4}" text-anchor="end">${q.toFixed(2)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">mean cost per query (USD, log scale)</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">mean quality</text>`,
  );
  const legend: { label: string; colour: string; dash?: string }[] = [];
  for (const [name, curve] of series) {
    const sorted = [...curve].sort((a, b) => a.cost - b.cost);
    const style = STYLE[name] ?? { colour: "#bbbbbb", width: 1 };
    const path = sorted
      .map((p, i) => `${i ? "L" : "M"}${x(p.cost).toFixed(1)},${y(p.quality).toFixed(1)}`)
      .join("");
    parts.push(
      `<path d="${path}" fill="none" stroke="${style.colour}" stroke-width="${style.width}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ""}/>`,
    );
    if (!name.startsWith("local-"))
      legend.push({ label: name, colour: style.colour, ...(style.dash ? { dash: style.dash } : {}) });
  }
  if (series.some(([name]) => name.startsWith("local-")))
    legend.push({ label: "client-local", colour: "#bbbbbb" });
  for (const s of result.singleModels) {
    parts.push(
      `<circle cx="${x(s.cost).toFixed(1)}" cy="${y(s.quality).toFixed(1)}" r="3.5" fill="#f4a261"><title>${escapeXml(s.model)}</title></circle>`,
    );
  }
  legend.push({ label: "single models", colour: "#f4a261" });
  legend.forEach((item, i) => {
    const ly = MARGIN.top + 12 + i * 18;
    const lx = MARGIN.left + plotW + 14;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${item.colour}" stroke-width="2.5"${item.dash ? ` stroke-dasharray="${item.dash}"` : ""}/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${escapeXml(item.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
