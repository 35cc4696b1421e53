// ECDH key pairs as JSON-safe bytes (X25519 where the runtime has it, P-256 otherwise) and the
// HKDF-SHA-256 derivations of a pair's shared secret: the share-encryption key and the pairwise mask key.
import { concatBytes, fromBase64Url, toBase64Url, utf8 } from "./bytes.ts";
import type { Curve } from "./config.ts";

/** A key pair as base64url: raw public key (32 bytes X25519, 65 bytes uncompressed P-256) and the private scalar d (32 bytes). */
export interface KeyPairJson {
  publicKey: string;
  privateKey: string;
}

/** Length of a raw public key on each curve. */
export const PUBLIC_KEY_BYTES: Record<Curve, number> = { X25519: 32, "P-256": 65 };
/** Length of the private scalar d on both curves (what Shamir shares). */
export const PRIVATE_KEY_BYTES = 32;

// PKCS#8 headers that wrap a bare 32-byte private key (RFC 8410 for X25519; SEC 1 without the
// optional public key for P-256), so a reconstructed key imports without knowing its public half.
const PKCS8_PREFIX: Record<Curve, Uint8Array> = {
  X25519: hex("302e020100300506032b656e04220420"),
  "P-256": hex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420"),
};

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

// Typed structurally: the DOM and workers type libraries name these parameter types differently.
function algorithm(curve: Curve): { name: string; namedCurve?: string } {
  return curve === "X25519" ? { name: "X25519" } : { name: "ECDH", namedCurve: "P-256" };
}

let detected: Promise<Curve> | undefined;

/** The curve this runtime prefers: X25519 when Web Crypto supports it, else P-256. */
export function detectCurve(): Promise<Curve> {
  detected ??= crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]).then(
    () => "X25519" as const,
    () => "P-256" as const,
  );
  return detected;
}

/** A fresh key pair from Web Crypto's generator, exported to JSON-safe bytes. */
export async function generateKeyPair(curve: Curve): Promise<KeyPairJson> {
  const pair = (await crypto.subtle.generateKey(algorithm(curve), true, ["deriveBits"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  if (!jwk.d) throw new Error("runtime did not export the private scalar");
  return { publicKey: toBase64Url(raw), privateKey: jwk.d };
}

async function importPrivateKey(
  curve: Curve,
  privateKey: Uint8Array,
  extractable: boolean,
): Promise<CryptoKey> {
  if (privateKey.length !== PRIVATE_KEY_BYTES) throw new RangeError("private key must be 32 bytes");
  const pkcs8 = concatBytes(PKCS8_PREFIX[curve], privateKey);
  return crypto.subtle.importKey("pkcs8", pkcs8 as BufferSource, algorithm(curve), extractable, [
    "deriveBits",
  ]);
}

/** The raw public key belonging to a private scalar: checks a reconstructed key against the advertised one. */
export async function publicKeyOf(curve: Curve, privateKey: Uint8Array): Promise<Uint8Array> {
  const key = await importPrivateKey(curve, privateKey, true);
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  if (!jwk.x) throw new Error("runtime did not export the public key");
  const x = fromBase64Url(jwk.x);
  if (curve === "X25519") return x;
  if (!jwk.y) throw new Error("runtime did not export the public key");
  return concatBytes(Uint8Array.of(4), x, fromBase64Url(jwk.y));
}

/** Checks that bytes are a public key on the curve (the runtime refuses invalid points). */
export async function isValidPublicKey(curve: Curve, publicKey: Uint8Array): Promise<boolean> {
  if (publicKey.length !== PUBLIC_KEY_BYTES[curve]) return false;
  try {
    await crypto.subtle.importKey("raw", publicKey as BufferSource, algorithm(curve), false, []);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private scalar imported once for many agreements (a client agrees with each neighbour, the
 * server with each survivor of a dropped client): importing it for each one was a large share of
 * a client's CPU in a round (docs/load.md). Not extractable.
 */
export type OwnKey = Uint8Array | CryptoKey;

export function agreementKey(curve: Curve, privateKey: Uint8Array): Promise<CryptoKey> {
  return importPrivateKey(curve, privateKey, false);
}

/** The 32-byte ECDH shared secret of a private scalar (bytes, or imported) and a peer's raw public key. */
export async function agree(
  curve: Curve,
  privateKey: OwnKey,
  peerPublicKey: Uint8Array,
): Promise<Uint8Array> {
  const own =
    privateKey instanceof Uint8Array ? await importPrivateKey(curve, privateKey, false) : privateKey;
  const peer = await crypto.subtle.importKey(
    "raw",
    peerPublicKey as BufferSource,
    algorithm(curve),
    false,
    [],
  );
  const params = curve === "X25519" ? { name: "X25519", public: peer } : { name: "ECDH", public: peer };
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      params as unknown as Parameters<typeof crypto.subtle.deriveBits>[0],
      own,
      256,
    ),
  );
}

const SALT = utf8("fedrouter secagg v1");

/** The purposes a shared secret is stretched for; the info string keeps them independent. */
export type KeyPurpose = "share-encryption" | "pairwise-mask";

/**
 * HKDF-SHA-256 of a pair's ECDH secret into 16 bytes for one purpose, bound to the round and to
 * the unordered pair of client ids (both sides derive the same key).
 */
export async function derivePairKey(
  sharedSecret: Uint8Array,
  purpose: KeyPurpose,
  roundId: string,
  clientA: string,
  clientB: string,
): Promise<Uint8Array> {
  const pair = clientA < clientB ? [clientA, clientB] : [clientB, clientA];
  const info = utf8(JSON.stringify(["fedrouter", purpose, roundId, ...pair]));
  const base = await crypto.subtle.importKey("raw", sharedSecret as BufferSource, "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: SALT as BufferSource, info: info as BufferSource },
    base,
    128,
  );
  return new Uint8Array(bits);
}
