/**
 * A single-consumer async queue: the engine pushes, the caller iterates. Items queue until read (results are
 * small and few: a phrase every few seconds). close() completes the iteration after the queued items; fail()
 * makes it throw after them. The first close/fail wins.
 */
export class ResultChannel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #closed = false;
  #error: unknown = null;
  #hasError = false;
  #wake: (() => void) | null = null;
  #iterating = false;

  push(item: T): void {
    if (this.#closed) return;
    this.#items.push(item);
    this.#signal();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal();
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    this.#error = error;
    this.#hasError = true;
    this.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new Error('ResultChannel has a single consumer');
    this.#iterating = true;
    for (;;) {
      if (this.#items.length > 0) {
        yield this.#items.shift() as T;
        continue;
      }
      if (this.#closed) {
        if (this.#hasError) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
