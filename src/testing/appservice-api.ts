import type { Registration } from '../registration/index.js';
import { HttpTimeoutError, requestJson } from './http-json.js';

/** What came of one call to the appservice. */
export type AppserviceOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown; readonly durationMs: number }
  | { readonly kind: 'timeout'; readonly durationMs: number }
  | { readonly kind: 'unreachable'; readonly message: string; readonly durationMs: number };

/**
 * The homeserver's side of the application service API: transactions, ping and the user
 * and alias queries, authenticated with `Authorization: Bearer <hs_token>` like Synapse 1.94.
 */
export class AppserviceApi {
  /** Aborted on stop, so no request outlives the server. */
  private stopper = new AbortController();

  constructor(private readonly registration: Registration) {}

  get hasUrl(): boolean {
    return typeof this.registration.url === 'string' && this.registration.url !== '';
  }

  putTransaction(txnId: string, body: unknown, timeoutMs: number): Promise<AppserviceOutcome> {
    return this.call('PUT', `/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, body, timeoutMs);
  }

  ping(transactionId: string | null, timeoutMs: number): Promise<AppserviceOutcome> {
    return this.call('POST', '/_matrix/app/v1/ping', { transaction_id: transactionId }, timeoutMs);
  }

  /** True when the appservice answers 200: it says the user exists (and has created it). */
  async queryUser(userId: string, timeoutMs: number): Promise<boolean> {
    const outcome = await this.call('GET', `/_matrix/app/v1/users/${encodeURIComponent(userId)}`, undefined, timeoutMs);
    return outcome.kind === 'answered' && outcome.status === 200;
  }

  async queryAlias(alias: string, timeoutMs: number): Promise<boolean> {
    const outcome = await this.call('GET', `/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`, undefined, timeoutMs);
    return outcome.kind === 'answered' && outcome.status === 200;
  }

  /** Cancels every request in flight (they resolve as unreachable). */
  abortAll(): void {
    this.stopper.abort();
    this.stopper = new AbortController();
  }

  private async call(method: string, path: string, body: unknown, timeoutMs: number): Promise<AppserviceOutcome> {
    const started = Date.now();
    if (!this.hasUrl) return { kind: 'unreachable', message: 'the registration has no url', durationMs: 0 };
    const base = (this.registration.url ?? '').replace(/\/+$/, '');
    try {
      const response = await requestJson({
        method,
        url: `${base}${path}`,
        headers: { authorization: `Bearer ${this.registration.hs_token}`, 'user-agent': 'bridgekit-test-homeserver' },
        body,
        timeoutMs,
        signal: this.stopper.signal,
      });
      return { kind: 'answered', status: response.status, body: response.body, durationMs: response.durationMs };
    } catch (error) {
      const durationMs = Date.now() - started;
      if (error instanceof HttpTimeoutError) return { kind: 'timeout', durationMs };
      return { kind: 'unreachable', message: error instanceof Error ? error.message : String(error), durationMs };
    }
  }
}
