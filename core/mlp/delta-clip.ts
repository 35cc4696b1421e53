// One client's parameter delta clipped to an L2 norm before it is weighted and summed
// (MlpConfig.deltaClip), as DP-FedAvg clips updates: the sum of clipped deltas is bounded by the
// clients' weights times the clip, which the edge checks before publishing (total-check.ts).

/** Scales `delta` in place to L2 norm `clip` when it is longer (a shorter one keeps its bytes). */
export function clipDelta(delta: Float64Array, clip: number): Float64Array {
  let squares = 0;
  for (let i = 0; i < delta.length; i++) squares += delta[i]! ** 2;
  const norm = Math.sqrt(squares);
  if (!(norm > clip)) return delta;
  const scale = clip / norm;
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * scale;
  return delta;
}
