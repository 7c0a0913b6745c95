/**
 * Natural batching for hot single-row writes (docs/notify-performance.md): callers add one item
 * each and get their own result; items that arrive while earlier batches are at the database wait
 * and go together in the next one. Nothing waits for a timer: at low load a batch holds one item
 * and leaves at once, under load batches grow to what arrived during one round trip.
 *
 * Not the `dataloader` package: it sends one batch per tick with no bound on batches in flight,
 * so under load it sends many small batches, which is what this is meant to avoid.
 */
export interface BatcherOptions<I, O> {
  /** Runs one batch and returns one result per item, in order. A throw fails the whole batch. */
  run: (items: I[]) => Promise<O[]>;
  /** Largest batch sent. */
  maxBatch: number;
  /** Batches at the database at once (connections this batcher may hold). */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly o: BatcherOptions<I, O>) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or at the database. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.o.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // One macrotask lets the requests whose bodies arrived in the same I/O turn join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.maxBatch);
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    let out: O[];
    try {
      out = await this.o.run(batch.map((w) => w.item));
      if (out.length !== batch.length) throw new Error(`batch of ${batch.length} gave ${out.length} results`);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(out[i]!));
  }
}
