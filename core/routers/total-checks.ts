// The plausibility checks that router kinds' `checkTotal` share: what a sum of honest
// contributions satisfies (counts are whole and non-negative, sums lie within what their counts
// allow, vectors within their norm), up to the fixed-point rounding of TotalContext.resolution.
import type { TotalContext } from "./kind.ts";

/** Relative float error allowed on top of rounding: clients sum float32 values in float64. */
const FLOAT_SLACK = 1e-9;

/** value <= bound + slack, with float error on top; false for NaN. */
function fits(value: number, bound: number, slack: number): boolean {
  return value <= bound + slack + FLOAT_SLACK * Math.abs(bound);
}

function shown(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
}

/** Refuses the first element that is not a finite number. */
export function checkFinite(total: ArrayLike<number>): string | undefined {
  for (let i = 0; i < total.length; i++)
    if (!Number.isFinite(total[i])) return `element ${i} of the total is ${total[i]}`;
  return undefined;
}

/**
 * A count of rows or cells: a whole number, at least zero (clients count integers). A count that
 * rounds to zero must be exactly zero: every client then counted 0, which encodes exactly, and a
 * sliver above zero would let a sum divided by it (a centroid, an average delta) grow unbounded.
 */
export function checkCount(value: number, what: string, context: TotalContext): string | undefined {
  const r = context.resolution;
  if (!fits(-value, 0, r)) return `${what} is ${shown(value)}, below zero`;
  const whole = Math.round(value);
  if (!fits(Math.abs(value - whole), 0, r) || (whole === 0 && value !== 0))
    return `${what} is ${shown(value)}, not a whole number`;
  return undefined;
}

/**
 * A sum whose honest value lies in [low, high]. The value's own rounding is allowed for; a bound
 * computed from other decoded sums (a count) should carry theirs (`count + context.resolution`).
 */
export function checkBetween(
  value: number,
  low: number,
  high: number,
  what: string,
  context: TotalContext,
): string | undefined {
  const r = context.resolution;
  if (!fits(low, value, r)) return `${what} is ${shown(value)}, below ${shown(low)}`;
  if (!fits(value, high, r)) return `${what} is ${shown(value)}, above ${shown(high)}`;
  return undefined;
}

/** The L2 norm of `length` elements of `total` from `start`. */
export function sliceNorm(total: ArrayLike<number>, start: number, length: number): number {
  let squares = 0;
  for (let i = start; i < start + length; i++) squares += total[i]! ** 2;
  return Math.sqrt(squares);
}

/** A vector sum whose honest norm is at most `bound`; each of its elements carries its rounding. */
export function checkNorm(
  norm: number,
  length: number,
  bound: number,
  what: string,
  context: TotalContext,
): string | undefined {
  if (fits(norm, bound, Math.sqrt(length) * context.resolution)) return undefined;
  return `${what} has norm ${shown(norm)}, above ${shown(bound)}`;
}
