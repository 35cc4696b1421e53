// The dashboard's uPlot charts of a federation's history: the AUC its clients report per version,
// the rounds it ran per day, and the survivors of each round (clients whose masked input was summed).
/* global uPlot */
(() => {
  const DAY_SECONDS = 86_400;
  /** Tick steps of whole-number axes (versions, rounds, clients): no fractional ticks. */
  const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
  /** A whole-number x scale padded by half a step, so one point sits in the middle. */
  const wholeScale = { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] };

  function note(holder, text) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    holder.append(p);
    return holder;
  }

  /** Draws once the holder is in the document: uPlot measures it. */
  function draw(holder, options, data) {
    requestAnimationFrame(() => {
      const width = Math.min(520, holder.clientWidth || 520);
      new uPlot({ width, height: 200, ...options }, data, holder);
    });
    return holder;
  }

  function chart(className) {
    const holder = document.createElement("div");
    holder.className = `chart ${className}`;
    return holder;
  }

  /** Example-weighted mean AUC that clients reported for each version on their held-out data. */
  function aucPlot(evaluations) {
    const holder = chart("auc-plot");
    if (evaluations.length === 0) return note(holder, "No validation AUC reported yet.");
    return draw(
      holder,
      {
        title: "Reported validation AUC by version",
        scales: { x: wholeScale },
        axes: [{ label: "version", incrs: WHOLE }, { label: "mean AUC" }],
        series: [
          { label: "version" },
          { label: "mean AUC", stroke: "#2f6fdf", width: 2, points: { size: 6 } },
        ],
      },
      [evaluations.map((e) => e.version), evaluations.map((e) => e.meanAuc)],
    );
  }

  /** Rounds started on each UTC day, days without rounds included (so gaps show as zero). */
  function roundsPerDay(rounds) {
    const holder = chart("rounds-per-day-plot");
    if (rounds.length === 0) return note(holder, "No rounds yet.");
    const counts = new Map();
    for (const round of rounds) {
      const day = Math.floor(Date.parse(round.startedAt) / 1000 / DAY_SECONDS) * DAY_SECONDS;
      counts.set(day, (counts.get(day) ?? 0) + 1);
    }
    const first = Math.min(...counts.keys());
    const last = Math.max(...counts.keys());
    const days = [];
    for (let day = first; day <= last; day += DAY_SECONDS) days.push(day);
    // At least a week across, so a young federation's few bars are not each a quarter of the chart.
    const pad = DAY_SECONDS * Math.max(0.5, (7 - days.length) / 2);
    return draw(
      holder,
      {
        title: "Rounds per day",
        scales: { x: { time: true, range: () => [first - pad, last + pad] } },
        axes: [{}, { label: "rounds", incrs: WHOLE }],
        series: [
          { label: "day" },
          {
            label: "rounds",
            stroke: "#2f6fdf",
            fill: "rgba(47, 111, 223, 0.35)",
            paths: uPlot.paths.bars({ size: [0.6, 48] }),
            points: { show: false },
          },
        ],
      },
      [days, days.map((day) => counts.get(day) ?? 0)],
    );
  }

  /** Per round, the cohort invited and the survivors whose masked inputs were summed. */
  function survivorsPerRound(rounds) {
    const holder = chart("survivors-plot");
    if (rounds.length === 0) return note(holder, "No rounds yet.");
    return draw(
      holder,
      {
        title: "Survivors per round",
        scales: { x: wholeScale },
        axes: [
          { label: "round", incrs: WHOLE },
          { label: "clients", incrs: WHOLE },
        ],
        series: [
          { label: "round" },
          { label: "cohort", stroke: "#9aa5b8", width: 1, dash: [4, 4] },
          { label: "survivors", stroke: "#1f8a4c", width: 2, points: { size: 6 } },
        ],
      },
      [
        rounds.map((r) => r.round),
        rounds.map((r) => r.cohort.length),
        rounds.map((r) => r.participants.maskedInput),
      ],
    );
  }

  globalThis.fedrouterCharts = { aucPlot, roundsPerDay, survivorsPerRound };
})();
