import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.js';
import type { Transaction } from '../../events/types.js';
import { parseTransaction, ShapeError } from '../../events/index.js';
import type { AcceptResult } from '../../inbox/index.js';
import { badJson } from '../errors.js';
import { parseJsonBody, readRequestBody } from '../body.js';
import { logFailure, toMatrixError } from '../failure.js';
import { sendEmptyObject, sendError } from '../reply.js';

/** Where transactions go: the durable inbox, or anything that keeps its promise. */
export interface TransactionSink {
  /**
   * Resolves only once the transaction's items are safe; throws to have the homeserver retry.
   * `raw` is the request body `txn` was parsed from (the inbox journals it as it is).
   */
  accept(txnId: string, txn: Transaction, raw?: Uint8Array): Promise<AcceptResult>;
}

/** Answers one transaction request; never throws (every failure is answered as a spec error). */
export type TransactionHandler = (req: IncomingMessage, res: ServerResponse, txnId: string) => Promise<void>;

function parseBody(value: unknown): Transaction {
  try {
    return parseTransaction(value);
  } catch (err) {
    if (err instanceof ShapeError) throw badJson(`Invalid transaction: ${err.message}`);
    throw err;
  }
}

/**
 * `PUT /_matrix/app/v1/transactions/{txnId}`: hs_token, body limit, JSON and shape checked,
 * answered 200 only after the sink made the events safe. On node:http's request and
 * response rather than Koa's context: it runs for every transaction (see fast-path.ts).
 */
export function transactionHandler(
  sink: TransactionSink, maxBodyBytes: number, checkToken: (req: IncomingMessage) => void, logger: Logger,
): TransactionHandler {
  return async (req, res, txnId) => {
    const started = performance.now();
    try {
      checkToken(req);
      const raw = await readRequestBody(req, maxBodyBytes);
      const txn = parseBody(parseJsonBody(raw));
      const result = await sink.accept(txnId, txn, raw);
      sendEmptyObject(res);
      // pino runs each logged value through its redaction: zero counts are left out (undefined).
      logger.info({
        txnId,
        events: txn.events.length,
        ephemeral: txn.ephemeral.length || undefined,
        toDevice: txn.toDevice.length || undefined,
        duplicates: result.duplicates || undefined,
        ms: Math.round((performance.now() - started) * 100) / 100,
      }, 'transaction journaled');
    } catch (err) {
      const error = toMatrixError(err);
      logFailure(logger, err, error, req.method, req.url);
      sendError(res, error);
    }
  };
}
