/**
 * Gathers the calls made during one turn of the event loop and runs them as one batch. Under
 * load, the requests in flight reach the same step together (a refresh's consume, its inserts),
 * so their PostgreSQL statements go out as one: one round trip, one pooled connection and one
 * commit for all of them instead of one each (docs/benchmarks.md). Each caller still gets its
 * own answer, only once the batch has run; a failed batch fails each of its callers.
 */
interface Waiting<Item, Result> {
  readonly item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class TurnBatch<Item, Result> {
  private waiting: Array<Waiting<Item, Result>> = [];

  /** `run` answers every item, in order. */
  constructor(private readonly run: (items: readonly Item[]) => Promise<readonly Result[]>) {}

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // setImmediate rather than a microtask: it runs after every I/O callback of this turn,
      // so the batch holds what all the requests answered in this turn asked for.
      if (this.waiting.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.run(batch.map((waiting) => waiting.item)).then(
      (results) => {
        for (const [index, waiting] of batch.entries()) waiting.resolve(results[index] as Result);
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }
}
