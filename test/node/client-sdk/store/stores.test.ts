import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStore } from "../../../../client-sdk/src/store/file-store.ts";
import {
  type Evaluation,
  type EvaluationStore,
  MemoryStore,
} from "../../../../client-sdk/src/store/store.ts";

const a: Evaluation = { query: "sort a list", model: "small", quality: 1, cost: 0.0001, at: 1 };
const b: Evaluation = {
  query: 'say "hi"\nthen stop',
  model: "big",
  quality: 0.5,
  cost: 0.01,
  at: 2,
  // Context tags are kept as the app gave them, unknown ones too.
  tags: ["support", "beta-users"],
};

function behavesAsAStore(name: string, make: () => EvaluationStore) {
  describe(name, () => {
    it("keeps what it was given, in order, and clears", async () => {
      const store = make();
      expect(await store.count()).toBe(0);
      await store.add(a);
      await store.add(b);
      expect(await store.all()).toEqual([a, b]);
      expect(await store.count()).toBe(2);
      await store.clear();
      expect(await store.all()).toEqual([]);
    });

    it("hands out copies, so callers cannot change what is stored", async () => {
      const store = make();
      await store.add(a);
      const [copy] = await store.all();
      copy!.quality = 0;
      expect((await store.all())[0]?.quality).toBe(1);
    });
  });
}

behavesAsAStore("MemoryStore", () => new MemoryStore());
behavesAsAStore(
  "FileStore",
  () => new FileStore(join(mkdtempSync(join(tmpdir(), "fedrouter-store-")), "evals.jsonl")),
);

describe("FileStore on disk", () => {
  it("survives a torn last line from a crash mid-append", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "fedrouter-store-")), "evals.jsonl");
    const store = new FileStore(path);
    await store.add(a);
    appendFileSync(path, '{"query":"half wri');
    expect(await store.all()).toEqual([a]);
  });

  it("reports damage in the middle of the file instead of dropping data", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "fedrouter-store-")), "evals.jsonl");
    appendFileSync(path, `garbage\n${JSON.stringify(a)}\n`);
    await expect(new FileStore(path).all()).rejects.toMatchObject({ code: "store" });
  });
});
