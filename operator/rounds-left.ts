// How many rounds a federation's router still needs, from its published state: what the main
// job's and the operator CLI's progress bars count down.

/** Doublings of a K-means clustering from `size` clusters to `clusters`. */
function splitsLeft(size: number, clusters: number): number {
  let splits = 0;
  for (let s = Math.max(1, size); s < clusters; s = Math.min(2 * s, clusters)) splits++;
  return splits;
}

/**
 * At most how many more rounds the model needs (exact for the MLP; for K-means, whose sizes can
 * settle early, an upper bound that tightens as training goes).
 */
export function roundsLeft(global: unknown): number {
  const state = global as {
    phase: string;
    size?: number;
    pass?: number;
    round?: number;
    splitting?: number[];
    joinBase?: unknown;
    config: {
      rounds?: number;
      calibrate?: boolean;
      clusters?: number;
      lloydPasses?: number;
      powerPasses?: number;
    };
  };
  if (state.phase === "done") return 0;
  if (state.size === undefined) {
    const rounds = state.config.rounds ?? 0;
    const calibration = state.config.calibrate ? 1 : 0;
    if (state.phase === "calibrate") return 1;
    return (state.phase === "stats" ? 1 + rounds : rounds - (state.round ?? 0)) + calibration;
  }
  const { clusters = 1, lloydPasses = 1, powerPasses = 1 } = state.config;
  const pass = state.pass ?? 0;
  const perSplit = powerPasses + lloydPasses;
  // A joining organisations' clustering ends with the pass that joins them to the router.
  const joining = state.joinBase ? 1 : 0;
  if (state.phase === "stats") return 1 + joining;
  if (state.phase === "power") {
    const grown = state.size + (state.splitting?.length ?? 0);
    return powerPasses - pass + lloydPasses + splitsLeft(grown, clusters) * perSplit + 1 + joining;
  }
  const here = state.size === 1 ? 1 - pass : lloydPasses - pass;
  return Math.max(0, here) + splitsLeft(state.size, clusters) * perSplit + 1 + joining;
}
