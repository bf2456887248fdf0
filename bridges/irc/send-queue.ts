/**
 * What one IRC connection sends, in order, one batch at a time: each batch waits until the
 * connection is registered (and in its channel), its lines go out under flood control, and
 * a PING after them is the receipt. The server handles a client's lines in order, so an
 * error numeric (e.g. 404 "cannot send to channel") before the PONG is about this batch,
 * and the PONG means everything before it was taken. No PONG (the connection dropped)
 * means the batch may not have arrived: it fails, and the caller sends it again.
 */
import { acquire, type TokenBucket } from './flood.js';
import type { IrcLine } from './wire.js';

export interface QueueHost {
  /** Resolves once the connection can send to `channel` (or at all, when undefined). */
  ready(channel: string | undefined, signal: AbortSignal): Promise<void>;
  write(command: string, ...params: string[]): Promise<void>;
  /** Calls `listener` with every line read until the returned function is called. */
  listen(listener: (line: IrcLine) => void): () => void;
  /** A promise rejected when the connection closes (so a wait for the PONG ends). */
  closed(): Promise<never>;
}

/** The IRC server refused a line (an error numeric): sending it again will not help. */
export class IrcRefused extends Error {
  constructor(readonly numeric: string, readonly reason: string) {
    super(`the IRC server refused it: ${reason} (${numeric})`);
    this.name = 'IrcRefused';
  }
}

/** Too much is waiting already (the connection has been down for a while). */
export class IrcBacklogFull extends Error {
  constructor(limit: number) {
    super(`more than ${limit} messages are already waiting for this IRC connection`);
    this.name = 'IrcBacklogFull';
  }
}

export class IrcTimeout extends Error {
  constructor(what: string) {
    super(`timed out waiting for ${what}`);
    this.name = 'IrcTimeout';
  }
}

type Line = readonly [command: string, ...params: string[]];

interface Batch {
  readonly lines: readonly Line[];
  readonly channel: string | undefined;
  readonly signal: AbortSignal;
  resolve(): void;
  reject(err: unknown): void;
}

/** Error numerics about things sent outside the queue (joins, nick changes): not this batch's. */
const NOT_OURS = new Set(['405', '432', '433', '436', '437', '471', '473', '474', '475', '476']);

export class SendQueue {
  private readonly batches: Batch[] = [];
  private running = false;
  private token = 0;

  constructor(
    private readonly host: QueueHost,
    readonly bucket: TokenBucket,
    private readonly limit: number,
    private readonly tag: string,
  ) {}

  get length(): number {
    return this.batches.length;
  }

  /** Sends `lines` (to `channel`, when they need to be in it) within `timeoutMs`, confirmed. */
  send(lines: readonly Line[], channel: string | undefined, timeoutMs: number): Promise<void> {
    if (this.batches.length >= this.limit) return Promise.reject(new IrcBacklogFull(this.limit));
    return new Promise((resolve, reject) => {
      const signal = AbortSignal.timeout(timeoutMs);
      this.batches.push({ lines, channel, signal, resolve, reject });
      void this.run();
    });
  }

  /** Rejects everything waiting (shutdown). */
  clear(err: Error): void {
    for (const batch of this.batches.splice(0)) batch.reject(err);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.batches.length > 0) {
        const batch = this.batches[0]!;
        try {
          await this.deliver(batch);
          batch.resolve();
        } catch (err) {
          batch.reject(batch.signal.aborted && !(err instanceof IrcRefused) ? new IrcTimeout(`the IRC server to take the message (${describe(err)})`) : err);
        }
        this.batches.shift();
      }
    } finally {
      this.running = false;
    }
  }

  private async deliver(batch: Batch): Promise<void> {
    await this.host.ready(batch.channel, batch.signal);
    const token = `${this.tag}${++this.token}`;
    let refusal: IrcRefused | undefined;
    let ponged!: () => void;
    const pong = new Promise<void>((resolve) => { ponged = resolve; });
    const stop = this.host.listen((line) => {
      if (line.command === 'PONG' && line.params[line.params.length - 1] === token) ponged();
      else if (/^[45]\d\d$/.test(line.command) && !NOT_OURS.has(line.command) && refusal === undefined) {
        // e.g. `404 me #chan :Cannot send to channel`: the subject, then the reason.
        const subject = line.params.length > 2 ? `${line.params[1]}: ` : '';
        refusal = new IrcRefused(line.command, `${subject}${line.params[line.params.length - 1] ?? 'error'}`);
      }
    });
    try {
      for (const [command, ...params] of batch.lines) {
        await acquire(this.bucket, batch.signal);
        await this.host.write(command, ...params);
      }
      await this.host.write('PING', token);
      await Promise.race([pong, this.host.closed(), aborted(batch.signal)]);
    } finally {
      stop();
    }
    if (refusal) throw refusal;
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error('timeout'));
    signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true });
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
