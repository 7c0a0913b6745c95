/**
 * Requests held on purpose (the `timeout` fault mode). They are tracked so that closing the
 * sandbox lets go of them at once instead of waiting out their timers.
 */
export class Released extends Error {
  constructor() {
    super("sandbox closed while holding this request");
  }
}

export class Holds {
  private readonly pending = new Set<() => void>();
  private closed = false;

  /** Resolves after `ms`; rejects with Released if the sandbox closes first. */
  wait(ms: number): Promise<void> {
    if (this.closed) return Promise.reject(new Released());
    return new Promise((resolve, reject) => {
      const release = () => {
        clearTimeout(timer);
        this.pending.delete(release);
        reject(new Released());
      };
      const timer = setTimeout(() => {
        this.pending.delete(release);
        resolve();
      }, ms);
      this.pending.add(release);
    });
  }

  get count(): number {
    return this.pending.size;
  }

  releaseAll(): void {
    this.closed = true;
    for (const release of [...this.pending]) release();
  }
}
