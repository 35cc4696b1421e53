// The masked-input route refuses a vector larger than any round can aggregate from its length,
// before reading it: beyond that bound it could not cross one RPC to the Round object.
import { describe, expect, it } from "vitest";
import { MAX_MASKED_INPUT_BYTES } from "../../../../core/wire/limits.ts";
import { call, createFederation, createTenant } from "../../support/api.ts";
import { startRound } from "../../support/rounds.ts";

describe("the masked-input route", () => {
  it("refuses a vector over what a round can aggregate with 413, naming the limit", async () => {
    const handle = await createFederation(await createTenant(), 4);
    const { round } = await startRound(handle);
    const client = handle.clients[0]!;
    const reply = await call("PUT", `/v1/federations/${handle.federationId}/rounds/${round}/masked-input`, {
      token: client.token,
      bytes: new Uint8Array(MAX_MASKED_INPUT_BYTES + 4),
    });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toEqual({
      code: "payload_too_large",
      message: `request body exceeds ${MAX_MASKED_INPUT_BYTES} bytes`,
    });
  });
});
