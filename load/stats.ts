// Percentiles and the per-round split of a cumulative counter (CPU seconds) sampled over time.

/** The nearest-rank percentile (q in [0, 1]) of the values; NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A cumulative counter sampled at times (ms since the epoch), in time order. */
export interface Sample {
  at: number;
  value: number;
}

/** The counter at `at`, linearly between the samples around it (clamped at the ends). */
function valueAt(samples: readonly Sample[], at: number): number {
  if (samples.length === 0) return 0;
  if (at <= samples[0]!.at) return samples[0]!.value;
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i]!;
    if (at <= b.at) {
      const a = samples[i - 1]!;
      return a.value + ((b.value - a.value) * (at - a.at)) / Math.max(1, b.at - a.at);
    }
  }
  return samples[samples.length - 1]!.value;
}

/** How much the counter grew between two times. */
export function growth(samples: readonly Sample[], from: number, to: number): number {
  return valueAt(samples, to) - valueAt(samples, from);
}

export const round2 = (x: number) => Math.round(x * 100) / 100;

/** When requests of a round were sent and answered: first, median and last, in s since `from`. */
export interface RequestSpan {
  count: number;
  sent: [number, number, number];
  answered: [number, number, number];
}

/** The span of flat (sent, answered) pairs of ms since the epoch, relative to `from`. */
export function requestSpan(pairs: readonly number[], from: number): RequestSpan {
  const sent: number[] = [];
  const answered: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    sent.push((pairs[i]! - from) / 1000);
    answered.push((pairs[i + 1]! - from) / 1000);
  }
  const span = (values: number[]): [number, number, number] => [
    round2(Math.min(...values)),
    round2(percentile(values, 0.5)),
    round2(Math.max(...values)),
  ];
  return { count: sent.length, sent: span(sent), answered: span(answered) };
}
