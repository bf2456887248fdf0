/**
 * Runs `round` one at a time: a call while one runs makes it go round once more, and
 * resolves after that round (whatever the call asked for is then done).
 */
export class Rounds {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly round: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again);
    })().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Resolves when no round runs (a failed one included). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
