// The consistency check of Bonawitz et al. (their round 3): every survivor signs the survivor set the
// server announced, with an Ed25519 key it advertised, and a client reveals shares only once t of its
// neighbours have signed the very set it signed. A server that told clients different sets gets no shares.
import { ed25519 } from "@noble/curves/ed25519.js";
import { fromBase64Url, toBase64Url, utf8 } from "./bytes.ts";
import type { KeyPairJson } from "./key-agreement.ts";
import type { UnmaskRequest } from "./messages.ts";

const SIGNING_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const ED25519 = { name: "Ed25519" };

let native: Promise<boolean> | undefined;

/**
 * Whether Web Crypto signs with Ed25519 here (workerd, Node 22, recent browsers): about forty times
 * faster than noble's pure-JS implementation, which older browsers fall back to. Both make and check
 * the same RFC 8032 signatures, so clients on either interoperate.
 */
function nativeEd25519(): Promise<boolean> {
  native ??= crypto.subtle.generateKey(ED25519, false, ["sign", "verify"]).then(
    () => true,
    () => false,
  );
  return native;
}

/** A fresh Ed25519 key pair: the raw public key and the 32-byte private seed, as base64url. */
export async function generateSigningKeys(): Promise<KeyPairJson> {
  if (!(await nativeEd25519())) {
    const { secretKey, publicKey } = ed25519.keygen();
    return { publicKey: toBase64Url(publicKey), privateKey: toBase64Url(secretKey) };
  }
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  if (!jwk.d) throw new Error("runtime did not export the Ed25519 private key");
  return { publicKey: toBase64Url(raw), privateKey: jwk.d };
}

/**
 * Whether text is an Ed25519 public key: 32 bytes, canonically encoded, that decode to a curve
 * point (Web Crypto's import does not check).
 */
export function isValidSigningKey(publicKey: string): boolean {
  try {
    const bytes = fromBase64Url(publicKey);
    return bytes.length === SIGNING_KEY_BYTES && ed25519.utils.isValidPublicKey(bytes, false);
  } catch {
    return false;
  }
}

/** What is signed: the round and the survivor set, sorted so that every client signs the same bytes. */
function signedBytes(roundId: string, survivors: readonly string[]): Uint8Array {
  return utf8(JSON.stringify(["fedrouter secagg consistency v1", roundId, [...survivors].sort()]));
}

/** This client's signature (base64url) of a round's survivor set. */
export async function signSurvivors(
  keys: KeyPairJson,
  roundId: string,
  survivors: readonly string[],
): Promise<string> {
  const message = signedBytes(roundId, survivors);
  if (!(await nativeEd25519())) return toBase64Url(ed25519.sign(message, fromBase64Url(keys.privateKey)));
  const jwk = { kty: "OKP", crv: "Ed25519", d: keys.privateKey, x: keys.publicKey };
  const key = await crypto.subtle.importKey("jwk", jwk, ED25519, false, ["sign"]);
  return toBase64Url(new Uint8Array(await crypto.subtle.sign(ED25519, key, message as BufferSource)));
}

/** Whether `signature` signs the round's survivor set under `publicKey`; false for anything malformed. */
export async function verifySurvivors(
  publicKey: string,
  signature: string,
  roundId: string,
  survivors: readonly string[],
): Promise<boolean> {
  try {
    const bytes = fromBase64Url(signature);
    const key = fromBase64Url(publicKey);
    if (bytes.length !== SIGNATURE_BYTES || key.length !== SIGNING_KEY_BYTES) return false;
    const message = signedBytes(roundId, survivors);
    if (!(await nativeEd25519())) return ed25519.verify(bytes, message, key, { zip215: false });
    const imported = await crypto.subtle.importKey("raw", key as BufferSource, ED25519, false, ["verify"]);
    return await crypto.subtle.verify(ED25519, imported, bytes as BufferSource, message as BufferSource);
  } catch {
    return false;
  }
}

/**
 * Why an unmask request fails a client's consistency check (undefined when it passes): its split of
 * the live neighbours (those whose shares the client holds) must be exactly the survivor set the
 * client signed, and it must carry valid signatures of that set by at least t surviving neighbours,
 * checked under the keys the client received with its neighbours.
 */
export async function consistencyFailure(
  request: UnmaskRequest,
  signedSet: readonly string[],
  neighbours: Readonly<Record<string, { signingPublicKey: string }>>,
  live: readonly string[],
  threshold: number,
): Promise<string | undefined> {
  const signed = new Set(signedSet);
  const same = (a: string[], b: string[]) => a.length === b.length && b.every((id) => a.includes(id));
  const survivors = live.filter((id) => signed.has(id));
  const dropped = live.filter((id) => !signed.has(id));
  if (!same(request.survivors, survivors) || !same(request.dropped, dropped))
    return "the request's survivors and dropped neighbours differ from the survivor set this client signed";
  const signers = request.signatures.map((s) => s.by);
  if (new Set(signers).size !== signers.length) return "a neighbour's signature appears twice";
  const stranger = signers.find((by) => !(Object.hasOwn(neighbours, by) && signed.has(by)));
  if (stranger !== undefined) return `a signature by ${stranger}, who is not a surviving neighbour`;
  // Checked concurrently (Web Crypto works off the main thread), judged in message order.
  const valid = await Promise.all(
    request.signatures.map(({ by, signature }) =>
      verifySurvivors(neighbours[by]!.signingPublicKey, signature, request.roundId, signedSet),
    ),
  );
  const forged = request.signatures.findIndex((_, i) => !valid[i]);
  if (forged >= 0)
    return `the signature by ${request.signatures[forged]!.by} is not a valid signature of the survivor set this client signed`;
  if (signers.length < threshold)
    return `only ${signers.length} neighbours signed the survivor set; ${threshold} needed`;
  return undefined;
}
