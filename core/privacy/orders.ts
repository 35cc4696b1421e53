// The Rényi orders the accountant evaluates: dp_accounting's RdpAccountant default, so that an
// epsilon printed here can be checked against that library.

/** 1.1, 1.2, ..., 10.9, then 11..63, then 128, 256, 512, 1024. */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 53 }, (_, x) => 11 + x),
  128,
  256,
  512,
  1024,
]);
