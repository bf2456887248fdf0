import type { IncomingMessage } from 'node:http';
import type Koa from 'koa';
import type { Logger } from '../../log/logger.js';
import type { Transaction } from '../../events/types.js';
import { parseTransaction, ShapeError } from '../../events/index.js';
import type { AcceptResult } from '../../inbox/index.js';
import { badJson } from '../errors.js';
import { parseJsonBody, readRequestBody } from '../body.js';
import { toMatrixError, type FailureLog } from '../failure.js';
import { answerError } from '../reply.js';

/** Where transactions go: the durable inbox, or anything that keeps its promise. */
export interface TransactionSink {
  /**
   * Resolves only once the transaction's items are safe; throws to have the homeserver retry.
   * `raw` is the request body `txn` was parsed from (the inbox journals it as it is).
   */
  accept(txnId: string, txn: Transaction, raw?: Uint8Array): Promise<AcceptResult>;
}

/**
 * `/_matrix/app/v1/transactions/{txnId}` or the legacy `/transactions/{txnId}`, as the
 * router would match them (any case, an optional trailing slash, with or without a query).
 */
const TRANSACTION_PATH = /^(?:\/_matrix\/app\/v1)?\/transactions\/([^/?#]+)\/?(?:[?#]|$)/i;

/** The txnId of a transaction URL; undefined for any other URL (or one that does not decode). */
export function transactionIdOf(url: string): string | undefined {
  const match = TRANSACTION_PATH.exec(url);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

function parseBody(value: unknown): Transaction {
  try {
    return parseTransaction(value);
  } catch (err) {
    if (err instanceof ShapeError) throw badJson(`Invalid transaction: ${err.message}`);
    throw err;
  }
}

/** The type Koa gives a JSON body; set by hand, Koa skips looking it up for every answer. */
const JSON_TYPE = 'application/json; charset=utf-8';

export interface TransactionRouteOptions {
  readonly sink: TransactionSink;
  readonly maxBodyBytes: number;
  readonly checkToken: (req: IncomingMessage) => void;
  readonly logger: Logger;
  readonly failures: FailureLog;
}

/**
 * `PUT /_matrix/app/v1/transactions/{txnId}`: hs_token, body limit, JSON and shape checked,
 * answered 200 only after the sink made the events safe. A Koa middleware like every other
 * route (a bridge author's middleware sees transactions), matched by one regular expression
 * rather than the router: it runs for nearly every request. It answers its own failures
 * (status and body set, nothing thrown), so middleware around it sees the final status.
 */
export function transactionRoute(options: TransactionRouteOptions): Koa.Middleware {
  const { sink, maxBodyBytes, checkToken, logger, failures } = options;
  return async (ctx, next) => {
    const txnId = ctx.method === 'PUT' ? transactionIdOf(ctx.url) : undefined;
    if (txnId === undefined) return next();
    const started = performance.now();
    try {
      checkToken(ctx.req);
      const raw = await readRequestBody(ctx.req, maxBodyBytes);
      const txn = parseBody(parseJsonBody(raw));
      const result = await sink.accept(txnId, txn, raw);
      ctx.status = 200;
      // `{}` as Koa would send an object, without the per-answer type lookup and stringify.
      ctx.set('Content-Type', JSON_TYPE);
      ctx.body = '{}';
      failures.accepted();
      // One line per transaction is detail (debug, as mautrix-go has it); a retried one,
      // whose events were partly or wholly seen before, is worth an operator's eye (info).
      const level = result.duplicates > 0 ? 'info' : 'debug';
      if (logger.isLevelEnabled(level)) {
        // pino runs each logged value through its redaction: zero counts are left out (undefined).
        logger[level]({
          txnId,
          events: txn.events.length,
          ephemeral: txn.ephemeral.length || undefined,
          toDevice: txn.toDevice.length || undefined,
          duplicates: result.duplicates || undefined,
          ms: Math.round((performance.now() - started) * 100) / 100,
        }, 'transaction journaled');
      }
    } catch (err) {
      const error = toMatrixError(err);
      failures.failed(err, error, { method: ctx.method, url: ctx.url });
      answerError(ctx, error);
    }
  };
}
