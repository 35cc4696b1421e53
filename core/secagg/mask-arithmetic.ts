// The additions of masking: up to four keystream chunks of the same sign added into (or subtracted
// from) a target chunk in one pass, mod 2^32. This is the main-thread half of masking and
// unmasking; the keystreams themselves come from Web Crypto (see mask-generator.ts).
//
// Why Int32Array and `| 0`: V8 then keeps the sum in 32-bit integers (five int32 values sum
// exactly in a double, so truncating at the end gives the modular sum), where Uint32 values above
// 2^31 would become doubles. Why four per pass: the loop is bound by loads, stores and bounds
// checks on the target; one pass for four streams measured ~0.7 ms per stream per million
// elements against ~1.0 ms for one pass per stream (Node 22). Plain JavaScript on purpose: it
// runs unchanged in workerd, which refuses to compile WebAssembly at run time.

/** Most streams added in one pass over a target chunk. */
export const STREAMS_PER_PASS = 4;

/**
 * target[i] += sign * (words_0[i] + ... + words_{m-1}[i]) mod 2^32, in place, for 1 <= m <= 4
 * arrays at least as long as target.
 */
export function addStreamGroup(target: Int32Array, words: readonly Int32Array[], sign: 1 | -1): void {
  for (const w of words)
    if (w.length < target.length) throw new RangeError("a stream is shorter than the target");
  const [a, b, c, d] = words;
  switch (words.length) {
    case 4:
      if (sign === 1) add4(target, a!, b!, c!, d!);
      else sub4(target, a!, b!, c!, d!);
      return;
    case 3:
      if (sign === 1) add3(target, a!, b!, c!);
      else sub3(target, a!, b!, c!);
      return;
    case 2:
      if (sign === 1) add2(target, a!, b!);
      else sub2(target, a!, b!);
      return;
    case 1:
      if (sign === 1) add1(target, a!);
      else sub1(target, a!);
      return;
    default:
      throw new RangeError(`a pass adds 1 to ${STREAMS_PER_PASS} streams, not ${words.length}`);
  }
}

function add4(t: Int32Array, a: Int32Array, b: Int32Array, c: Int32Array, d: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! + a[i]! + b[i]! + c[i]! + d[i]!) | 0;
}

function sub4(t: Int32Array, a: Int32Array, b: Int32Array, c: Int32Array, d: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! - a[i]! - b[i]! - c[i]! - d[i]!) | 0;
}

function add3(t: Int32Array, a: Int32Array, b: Int32Array, c: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! + a[i]! + b[i]! + c[i]!) | 0;
}

function sub3(t: Int32Array, a: Int32Array, b: Int32Array, c: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! - a[i]! - b[i]! - c[i]!) | 0;
}

function add2(t: Int32Array, a: Int32Array, b: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! + a[i]! + b[i]!) | 0;
}

function sub2(t: Int32Array, a: Int32Array, b: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! - a[i]! - b[i]!) | 0;
}

function add1(t: Int32Array, a: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! + a[i]!) | 0;
}

function sub1(t: Int32Array, a: Int32Array): void {
  const n = t.length;
  for (let i = 0; i < n; i++) t[i] = (t[i]! - a[i]!) | 0;
}
