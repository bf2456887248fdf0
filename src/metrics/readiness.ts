export interface ReadinessOptions {
  /** Whether the store is open. */
  readonly storeOpen: () => boolean;
  /** Why the store cannot write (disk full, read-only), or undefined when it can. */
  readonly storeWriteProblem?: () => Promise<string | undefined>;
  /** Asks the homeserver something cheap; throws when it does not answer. */
  readonly homeserver: () => Promise<unknown>;
  /** How long a homeserver answer (or failure) is reused; default 5 s, so scrapes do not hammer it. */
  readonly cacheMs?: number;
}

export type ReadyAnswer = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/** `/ready`: the store is open and writes, and the homeserver answered `/versions` recently. */
export class Readiness {
  private last: { readonly at: number; readonly error: string | undefined } | undefined;
  private inFlight: Promise<string | undefined> | undefined;
  private readonly cacheMs: number;

  constructor(private readonly options: ReadinessOptions) {
    this.cacheMs = options.cacheMs ?? 5_000;
  }

  async check(): Promise<ReadyAnswer> {
    if (!this.options.storeOpen()) return { ready: false, reason: 'the store is not open' };
    const storeProblem = await this.options.storeWriteProblem?.();
    if (storeProblem !== undefined) return { ready: false, reason: `the store cannot write: ${storeProblem}` };
    const error = await this.homeserverError();
    return error === undefined ? { ready: true } : { ready: false, reason: `the homeserver did not answer /versions: ${error}` };
  }

  private async homeserverError(): Promise<string | undefined> {
    if (this.last && Date.now() - this.last.at < this.cacheMs) return this.last.error;
    // Concurrent probes share one request.
    this.inFlight ??= this.options.homeserver().then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    ).then((error) => {
      this.last = { at: Date.now(), error };
      this.inFlight = undefined;
      return error;
    });
    return this.inFlight;
  }
}
