/** A pass run every `intervalMs`, never two at once in this process; stop() waits for the running one. */
import type { Logger } from "../logger";

export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly pass: () => Promise<unknown>,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .then(() => undefined)
        .catch((err) => this.logger.error({ err: (err as Error)?.message }, `${this.name} failed`))
        .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
