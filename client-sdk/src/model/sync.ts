// Keeps the client's copy of the federation's latest router: asks the edge with the SHA-256 it
// holds (If-None-Match, so an unchanged model costs one small 304), checks the edge's signature of
// a new version (given the edge's public key), downloads it, verifies its bytes against the signed
// SHA-256 and decodes it. Until a new version has passed all of that, the previous one stays in
// service; so it does while the new version cannot route yet (a K-means router learning models
// just added to it), when the held one can.
import { decodeModelFile, type ModelFile, ModelFileError } from "../../../core/model-file.ts";
import { verifyModelSignature } from "../../../core/model-signature.ts";
import { loadRouter } from "../../../core/routers/registry.ts";
import type { ModelVersion } from "../../../core/wire/models.ts";
import type { EdgeApi } from "../edge.ts";
import { FedRouterError } from "../errors.ts";

/** A verified, decoded model version. */
export interface LoadedModel {
  version: number;
  sha256: string;
  /** The round that produced it (null for the initial model). */
  round: number | null;
  file: ModelFile;
}

export interface SyncResult {
  version: number;
  /** Whether this call replaced the model the client held. */
  changed: boolean;
  /** A newer published version that cannot route yet; the held one stays in service meanwhile. */
  pending?: number;
}

/**
 * How many versions before an unroutable latest a client holding none looks through: a grown
 * federation's last final version is a few rounds back; a federation in its first training has
 * none, and the client then takes the latest as it is.
 */
const MAX_LOOKBACK = 12;

/** Whether a model file can route queries (a K-means router between passes cannot). */
function routable(file: ModelFile): boolean {
  try {
    loadRouter(file);
    return true;
  } catch {
    return false;
  }
}

/** Decodes verified bytes; a file that does not decode is an integrity failure, not a crash. */
export function decodeVerified(bytes: Uint8Array, version: number): ModelFile {
  try {
    return decodeModelFile(bytes);
  } catch (error) {
    if (error instanceof ModelFileError)
      throw new FedRouterError("integrity", `model version ${version} does not decode: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
}

export class ModelSync {
  readonly #edge: EdgeApi;
  readonly #federationId: string;
  /** The edge's model-signing key from enrolment; without it only SHA-256 digests are checked. */
  readonly #publicKey: string | undefined;
  #current: LoadedModel | undefined;
  /** One download at a time: concurrent sync() calls share it. */
  #inFlight: Promise<SyncResult> | undefined;
  /** The newer version last found unable to route, so an unchanged pointer is not downloaded again. */
  #pending: LoadedModel | undefined;

  constructor(edge: EdgeApi, federationId: string, publicKey: string | undefined) {
    this.#edge = edge;
    this.#federationId = federationId;
    this.#publicKey = publicKey;
  }

  /**
   * Refuses a version whose signature does not verify under the edge's public key, before its bytes
   * are fetched: the signature covers this federation's id, so another federation's or version's
   * signature fails too.
   */
  async #checkSignature(record: Pick<ModelVersion, "version" | "sha256" | "signature">): Promise<void> {
    if (this.#publicKey === undefined) return;
    const signed = { federationId: this.#federationId, ...record };
    if (!(await verifyModelSignature(this.#publicKey, signed)))
      throw new FedRouterError(
        "integrity",
        `model version ${record.version} does not carry a valid signature under the edge's modelPublicKey`,
      );
  }

  get current(): LoadedModel | undefined {
    return this.#current;
  }

  /** The newer version the last sync found unable to route yet (held back), if any. */
  get pending(): LoadedModel | undefined {
    return this.#pending;
  }

  sync(): Promise<SyncResult> {
    this.#inFlight ??= this.#sync().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #sync(): Promise<SyncResult> {
    const held = this.#current;
    const pointer = await this.#edge.latest(held?.sha256);
    if (pointer === "unchanged" || (held && pointer.sha256 === held.sha256)) {
      // The latest is what is held: nothing newer is pending any more.
      this.#pending = undefined;
      return { version: held!.version, changed: false };
    }
    if (held && this.#pending?.sha256 === pointer.sha256)
      return { version: held.version, changed: false, pending: pointer.version };
    await this.#checkSignature(pointer);
    const bytes = await this.#edge.modelBytes(pointer.version, pointer.sha256);
    const file = decodeVerified(bytes, pointer.version);
    const latest: LoadedModel = {
      version: pointer.version,
      sha256: pointer.sha256,
      round: pointer.round,
      file,
    };
    if (!routable(file)) {
      // Hold back a version that cannot route yet while a routable one is held, or, for a client
      // holding none, found among the few versions before it (a federation learning new models).
      let fallback: LoadedModel | undefined;
      if (!held) fallback = await this.#lastRoutable(latest);
      else if (routable(held.file)) fallback = held;
      if (fallback) {
        this.#pending = latest;
        const changed = fallback !== held;
        this.#current = fallback;
        return { version: fallback.version, changed, pending: latest.version };
      }
    }
    this.#pending = undefined;
    this.#current = latest;
    return { version: latest.version, changed: true };
  }

  /** The newest routable version among the MAX_LOOKBACK before `latest`, if any. */
  async #lastRoutable(latest: LoadedModel): Promise<LoadedModel | undefined> {
    const earlier = (await this.#edge.versions())
      .filter((v) => v.version < latest.version)
      .sort((a, b) => b.version - a.version)
      .slice(0, MAX_LOOKBACK);
    for (const v of earlier) {
      await this.#checkSignature(v);
      const file = decodeVerified(await this.#edge.modelBytes(v.version, v.sha256), v.version);
      if (routable(file)) return { version: v.version, sha256: v.sha256, round: v.round, file };
    }
    return undefined;
  }

  /**
   * A given version (the one a round trains against): the held one when it is that version,
   * otherwise downloaded and checked against its SHA-256 and signature, as `known` gives them (the
   * round view) or else the edge's version list.
   */
  async version(
    version: number,
    signal?: AbortSignal,
    known?: Pick<ModelVersion, "sha256" | "round" | "signature">,
  ): Promise<LoadedModel> {
    if (this.#current?.version === version) return this.#current;
    // The round view names the version's digest and signature: no need to fetch the list.
    const record = known
      ? { version, ...known }
      : (await this.#edge.versions()).find((v) => v.version === version);
    if (!record) throw new FedRouterError("no_model", `model version ${version} is not published`);
    await this.#checkSignature(record);
    const bytes = await this.#edge.modelBytes(version, record.sha256, signal);
    return { version, sha256: record.sha256, round: record.round, file: decodeVerified(bytes, version) };
  }
}
