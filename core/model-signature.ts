// Signatures of published model versions. The edge signs each version's (federation id, version,
// SHA-256) with its Ed25519 key, the MODEL_SIGNING_KEY secret; a client verifies the signature
// against the public key it received at enrolment, so neither other bytes with their own SHA-256
// nor a signature made for another federation or version passes. Web Crypto's Ed25519, which
// workerd, Node 22 and current browsers implement.
import { fromBase64Url, toBase64Url } from "./secagg/bytes.ts";

/** PKCS #8 DER of an Ed25519 private key up to its 32-byte seed (RFC 8410): how Web Crypto takes one. */
const PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/** Names what is signed, so the key's signatures mean nothing in any other protocol. */
const DOMAIN = "fedrouter model version v1";

const ED25519 = { name: "Ed25519" } as const;

/** The bytes signed for a version: the domain label and the three fields, one per line. */
function signedBytes(federationId: string, version: number, sha256: string): BufferSource {
  return new TextEncoder().encode(`${DOMAIN}\n${federationId}\n${version}\n${sha256}`) as BufferSource;
}

export interface ModelSigner {
  /** The Ed25519 public key, 32 bytes as base64url: what clients verify against. */
  publicKey: string;
  /** The signature of a version, 64 bytes as base64url. */
  sign(federationId: string, version: number, sha256: string): Promise<string>;
}

async function importSigner(seedHex: string | undefined): Promise<ModelSigner> {
  if (seedHex === undefined || !/^[0-9a-fA-F]{64}$/.test(seedHex))
    throw new Error("MODEL_SIGNING_KEY must be set to a 32-byte Ed25519 seed in hex (64 characters)");
  const der = new Uint8Array(PKCS8_PREFIX.length + 32);
  der.set(PKCS8_PREFIX);
  for (let i = 0; i < 32; i++)
    der[PKCS8_PREFIX.length + i] = Number.parseInt(seedHex.slice(2 * i, 2 * i + 2), 16);
  // Extractable only so the public key can be read from its JWK ("x").
  const key = await crypto.subtle.importKey("pkcs8", der, ED25519, true, ["sign"]);
  const { x } = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  if (!x) throw new Error("the Ed25519 key has no public part");
  return {
    publicKey: x,
    async sign(federationId, version, sha256) {
      const signature = await crypto.subtle.sign(ED25519, key, signedBytes(federationId, version, sha256));
      return toBase64Url(new Uint8Array(signature));
    },
  };
}

const signers = new Map<string | undefined, Promise<ModelSigner>>();

/** The signer of a MODEL_SIGNING_KEY (a 32-byte seed in hex), imported once per isolate. */
export function modelSigner(seedHex: string | undefined): Promise<ModelSigner> {
  let signer = signers.get(seedHex);
  if (!signer) {
    signer = importSigner(seedHex);
    // A bad key is not cached: the error says what to fix, every time.
    signer.catch(() => signers.delete(seedHex));
    signers.set(seedHex, signer);
  }
  return signer;
}

/** Whether a text is an Ed25519 public key as clients receive it: 32 bytes in base64url. */
export function isModelPublicKey(text: unknown): text is string {
  return typeof text === "string" && /^[A-Za-z0-9_-]{43}$/.test(text);
}

const publicKeys = new Map<string, Promise<CryptoKey>>();

function importPublicKey(publicKey: string): Promise<CryptoKey> {
  let key = publicKeys.get(publicKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", fromBase64Url(publicKey) as BufferSource, ED25519, false, [
      "verify",
    ]);
    publicKeys.set(publicKey, key);
  }
  return key;
}

/** Whether `signature` is the signature of this version under `publicKey` (both base64url). */
export async function verifyModelSignature(
  publicKey: string,
  record: { federationId: string; version: number; sha256: string; signature: string },
): Promise<boolean> {
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(record.signature);
  } catch {
    return false;
  }
  if (signature.length !== 64 || !isModelPublicKey(publicKey)) return false;
  try {
    return await crypto.subtle.verify(
      ED25519,
      await importPublicKey(publicKey),
      signature as BufferSource,
      signedBytes(record.federationId, record.version, record.sha256),
    );
  } catch {
    // 32 bytes that are no point of the curve: no signature verifies under them.
    publicKeys.delete(publicKey);
    return false;
  }
}
