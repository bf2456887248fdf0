import { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { TransactionHandler } from './routes/transactions.js';

type Listener = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => Promise<void>;

/** `/_matrix/app/v1/transactions/{txnId}` or the legacy `/transactions/{txnId}`, with or without a query. */
const TRANSACTION_PATH = /^(?:\/_matrix\/app\/v1)?\/transactions\/([^/?#]+)(?:[?#]|$)/;

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

/**
 * The request listener: `PUT` transactions go straight to `handle`, everything else to Koa
 * (`koa`). Transactions are nearly all of the traffic, and Koa's context, middleware chain
 * and router cost more per request than anything else before the journal. A spelling of
 * the route this does not match (case, trailing slash) reaches the same handler through
 * Koa's router.
 */
export function withTransactionFastPath(handle: TransactionHandler, koa: Listener): Listener {
  return (req, res) => {
    if (req.method === 'PUT' && req instanceof IncomingMessage && res instanceof ServerResponse) {
      const txnId = transactionIdOf(req.url ?? '');
      if (txnId !== undefined) return handle(req, res, txnId);
    }
    return koa(req, res);
  };
}
