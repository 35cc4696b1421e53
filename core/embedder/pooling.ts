// Sentence vectors from a transformer's token states: the mean of the states of the tokens the
// attention mask keeps (padding excluded), scaled to unit length as sentence encoders are trained.

/** Scales `vector` to unit L2 norm in place (a zero vector stays zero) and returns it. */
export function l2Normalise(vector: Float32Array): Float32Array {
  let squares = 0;
  for (let k = 0; k < vector.length; k++) squares += (vector[k] as number) ** 2;
  if (squares === 0) return vector;
  const scale = 1 / Math.sqrt(squares);
  for (let k = 0; k < vector.length; k++) vector[k] = (vector[k] as number) * scale;
  return vector;
}

/**
 * One unit vector per row of `states`, laid out [rows, sequence, dimension] row-major: the mean
 * over the positions whose `mask` entry ([rows, sequence]) is non-zero, L2-normalised.
 */
export function meanPoolNormalised(
  states: Float32Array,
  mask: ArrayLike<number | bigint>,
  rows: number,
  sequence: number,
  dimension: number,
): Float32Array[] {
  if (states.length !== rows * sequence * dimension) {
    throw new RangeError(`${states.length} token states are not [${rows}, ${sequence}, ${dimension}]`);
  }
  if (mask.length !== rows * sequence) throw new RangeError(`the mask is not [${rows}, ${sequence}]`);
  const pooled: Float32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const sum = new Float64Array(dimension);
    let kept = 0;
    for (let t = 0; t < sequence; t++) {
      if (Number(mask[r * sequence + t]) === 0) continue;
      kept++;
      const offset = (r * sequence + t) * dimension;
      for (let k = 0; k < dimension; k++) sum[k] = (sum[k] as number) + (states[offset + k] as number);
    }
    const vector = new Float32Array(dimension);
    // A row with no kept token has no mean; it stays the zero vector, which callers never produce.
    if (kept > 0) for (let k = 0; k < dimension; k++) vector[k] = (sum[k] as number) / kept;
    pooled.push(l2Normalise(vector));
  }
  return pooled;
}
