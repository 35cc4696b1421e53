// Runs async operations one at a time inside a Durable Object. Input gates only hold while storage
// is awaited; a transition that awaits Web Crypto or another object must not interleave with the next.

export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.tail.then(operation, operation);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
