/**
 * The intake's steps (reading the journal, taking lanes, handing items over) run one at a
 * time, in the order asked, so that each lane's items reach the dispatcher in order. A
 * step asked for by name is not queued twice while one of that name waits.
 */
export class IntakeSteps {
  private tail: Promise<void> = Promise.resolve();
  private readonly waiting = new Set<string>();

  constructor(private readonly stopped: () => boolean, private readonly failed: (err: unknown) => void) {}

  /** Runs `task` after the steps before it; resolves when it is done (a failure goes to `failed`). */
  run(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(() => (this.stopped() ? undefined : task())).catch(this.failed);
    this.tail = run;
    return run;
  }

  /** Runs `task` unless a step named `name` (or one of `unless`) is waiting already. */
  once(name: string, task: () => Promise<void>, unless: readonly string[] = []): void {
    if (this.waiting.has(name) || unless.some((other) => this.waiting.has(other))) return;
    this.waiting.add(name);
    void this.run(async () => {
      this.waiting.delete(name);
      await task();
    });
  }

  /** Resolves when every step asked for so far is done. */
  settled(): Promise<void> {
    return this.tail;
  }
}
