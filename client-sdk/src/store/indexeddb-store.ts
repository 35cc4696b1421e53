// Keeps evaluations in the browser's IndexedDB, so they survive reloads and stay on the device.
import { FedRouterError } from "../errors.ts";
import type { Evaluation, EvaluationStore } from "./store.ts";

const STORE = "evaluations";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () =>
      reject(new FedRouterError("store", `IndexedDB: ${req.error?.message ?? "request failed"}`));
  });
}

export class IndexedDbStore implements EvaluationStore {
  readonly #database: Promise<IDBDatabase>;

  constructor(name = "fedrouter", indexedDb: IDBFactory = globalThis.indexedDB) {
    if (!indexedDb)
      throw new FedRouterError("store", "IndexedDB is not available here; use MemoryStore or FileStore");
    const open = indexedDb.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { autoIncrement: true });
    this.#database = request(open);
  }

  async #store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.#database).transaction(STORE, mode).objectStore(STORE);
  }

  async add(evaluation: Evaluation): Promise<void> {
    await request((await this.#store("readwrite")).add(evaluation));
  }
  async all(): Promise<Evaluation[]> {
    return (await request((await this.#store("readonly")).getAll())) as Evaluation[];
  }
  async count(): Promise<number> {
    return request((await this.#store("readonly")).count());
  }
  async clear(): Promise<void> {
    await request((await this.#store("readwrite")).clear());
  }
}
