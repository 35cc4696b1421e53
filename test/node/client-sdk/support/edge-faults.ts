// Faults scripted in front of the real edge, for the few SDK tests whose behaviour the worker never
// shows on cue. Each request reaches the real edge unless a test scripted its answer here, and each
// remaining use needs the script for a reason the real worker cannot give:
// - sync.test.ts, "keeps the previous model when the edge cannot be reached": the network failing
//   (connection refused, reset) is not something a running edge answers;
// - sync.test.ts, "retries 5xx answers": a healthy edge answers no 503, and the retry has to meet
//   one exactly once, before the real answer;
// - sync.test.ts, "refuses bytes whose SHA-256 differs": the edge serves the bytes it hashed, so
//   a corrupted download has to be made between it and the client;
// - sync.test.ts, "refuses a version whose signature does not verify", "refuses other bytes sent
//   with their own SHA-256" and "refuses a version signed for another federation": the edge signs
//   what it publishes, so a wrong signature, or a pointer and bytes it did not sign, has to be put
//   between it and the client;
// - sync.test.ts, "refuses a model file that does not decode": the edge only publishes model files
//   it encoded itself, so a file that does not decode (with the SHA-256 of its own bytes) has to
//   replace the real one on the way;
// - participate.test.ts, "fails when the round moved past the stage": a client polling the real
//   edge sees each stage it is in; making it miss one means racing its polls against a stage
//   deadline, a flaky test, so the script makes the round's message say it moved on.

/** Rewrites the edge's answer to the requests whose path matches. */
interface Rewrite {
  path: RegExp;
  answer(real: Response): Response | Promise<Response>;
}

export class EdgeFaults {
  /** Answers given instead of the edge's, in order: a Response, or an Error the fetch throws. */
  readonly interruptions: (Response | Error)[] = [];
  readonly #rewrites: Rewrite[] = [];

  /** From now on, answers to requests whose path matches are `answer(the edge's answer)`. */
  rewrite(path: RegExp, answer: Rewrite["answer"]): void {
    this.#rewrites.push({ path, answer });
  }

  /** Stops rewriting answers: the edge answers as it is again. */
  heal(): void {
    this.#rewrites.length = 0;
  }

  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const interruption = this.interruptions.shift();
    if (interruption instanceof Error) throw interruption;
    if (interruption) return interruption;
    const real = await fetch(input, init);
    const path = new URL(real.url).pathname;
    const rewrite = this.#rewrites.find((r) => r.path.test(path));
    return rewrite ? rewrite.answer(real) : real;
  }) as typeof fetch;
}

/** The edge's status and content type over other bytes (its length and encoding headers no longer hold). */
function answerWith(real: Response, body: BodyInit): Response {
  return new Response(body, {
    status: real.status,
    headers: { "content-type": real.headers.get("content-type") ?? "application/octet-stream" },
  });
}

/** The same bytes with the last one flipped: what a corrupted download looks like. */
export async function tampered(real: Response): Promise<Response> {
  const bytes = new Uint8Array(await real.arrayBuffer());
  bytes[bytes.length - 1]! ^= 0xff;
  return answerWith(real, bytes);
}

/** A JSON answer of the edge with some fields replaced. */
export async function withFields(real: Response, fields: Record<string, unknown>): Promise<Response> {
  return answerWith(real, JSON.stringify({ ...((await real.json()) as Record<string, unknown>), ...fields }));
}

/** Other bytes in place of the edge's answer. */
export function replacedBy(bytes: Uint8Array) {
  return (real: Response): Response => answerWith(real, bytes.slice());
}
