// Small statistics for the secure-aggregation tests.

/** Pearson chi-square statistic of homogeneity for two samples counted over the same bins. */
export function chiSquareHomogeneity(a: readonly number[], b: readonly number[]): number {
  const totalA = a.reduce((s, v) => s + v, 0);
  const totalB = b.reduce((s, v) => s + v, 0);
  let chi = 0;
  for (let i = 0; i < a.length; i++) {
    const column = a[i]! + b[i]!;
    if (column === 0) continue;
    const ea = (column * totalA) / (totalA + totalB);
    const eb = (column * totalB) / (totalA + totalB);
    chi += (a[i]! - ea) ** 2 / ea + (b[i]! - eb) ** 2 / eb;
  }
  return chi;
}
