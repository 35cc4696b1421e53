// Every request an SDK client sends, as a test reads them (method, path, headers, body), logged by a
// fetch that then hands the request on: to the real edge, or to the fake edge's scripted answers.

export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array | undefined;
  /** The answer's status, once it came (none when the request failed). */
  status?: number;
}

export class RequestLog {
  readonly requests: SeenRequest[] = [];

  count(method: string, pattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path)).length;
  }

  /** The request bodies as text (the SDK sends JSON strings and binary vectors). */
  bodies(): string {
    return this.requests.map((r) => (r.body ? new TextDecoder().decode(r.body) : "")).join("\n");
  }

  /** A fetch that logs each request, then lets `answer` reply (default: the network). */
  fetch(answer: typeof fetch = globalThis.fetch): typeof fetch {
    return (async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      const sent = init.body;
      const seen: SeenRequest = {
        method: init.method ?? "GET",
        path: url.pathname,
        headers: new Headers(init.headers),
        body:
          sent instanceof Uint8Array
            ? new Uint8Array(sent)
            : typeof sent === "string"
              ? new TextEncoder().encode(sent)
              : undefined,
      };
      this.requests.push(seen);
      const response = await answer(input, init);
      seen.status = response.status;
      return response;
    }) as typeof fetch;
  }
}
