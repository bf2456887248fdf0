import type { Middleware } from 'koa';
import type { Logger } from '../../log/logger.js';
import type { Transaction } from '../../events/types.js';
import { parseTransaction, ShapeError } from '../../events/index.js';
import type { AcceptResult } from '../../inbox/index.js';
import { badJson } from '../errors.js';
import { readJsonBody } from '../body.js';

/** Where transactions go: the durable inbox, or anything that keeps its promise. */
export interface TransactionSink {
  /**
   * Resolves only once the transaction's items are safe; throws to have the homeserver retry.
   * `raw` is the request body `txn` was parsed from (the inbox journals it as it is).
   */
  accept(txnId: string, txn: Transaction, raw?: Uint8Array): Promise<AcceptResult>;
}

/** `PUT /_matrix/app/v1/transactions/{txnId}`: answered 200 only after the sink made the events safe. */
export function transactionRoute(sink: TransactionSink, maxBodyBytes: number, logger: Logger): Middleware {
  return async (ctx) => {
    const started = performance.now();
    const txnId = String(ctx['params'].txnId);
    const { value, raw } = await readJsonBody(ctx, maxBodyBytes);
    let txn: Transaction;
    try {
      txn = parseTransaction(value);
    } catch (err) {
      if (err instanceof ShapeError) throw badJson(`Invalid transaction: ${err.message}`);
      throw err;
    }
    const result = await sink.accept(txnId, txn, raw);
    ctx.status = 200;
    ctx.body = {};
    logger.info({
      txnId,
      events: txn.events.length,
      ephemeral: txn.ephemeral.length,
      toDevice: txn.toDevice.length,
      accepted: result.entries.length,
      duplicates: result.duplicates,
      ms: Math.round((performance.now() - started) * 100) / 100,
    }, 'transaction journaled');
  };
}
