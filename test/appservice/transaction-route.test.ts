import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { createAppserviceApp, listen, type RunningServer, type TransactionSink } from '../../src/appservice/index.js';
import { transactionIdOf } from '../../src/appservice/routes/transactions.js';
import { InboxUnavailable } from '../../src/inbox/index.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { Namespaces } from '../../src/registration/index.js';
import { fixtureRegistration, HS_TOKEN } from '../helpers/endpoint.js';

const V1 = '/_matrix/app/v1';

describe('appservice: the transaction route (through Koa)', () => {
  describe('which requests it takes', () => {
    it('recognises both dialects of the transaction URL, any case, a trailing slash, with or without a query, and decodes the txnId', () => {
      assert.equal(transactionIdOf(`${V1}/transactions/1`), '1');
      assert.equal(transactionIdOf('/transactions/1'), '1');
      assert.equal(transactionIdOf(`/transactions/7?access_token=${HS_TOKEN}`), '7');
      assert.equal(transactionIdOf(`${V1}/transactions/a%2Fb%20c`), 'a/b c');
      assert.equal(transactionIdOf(`/_MATRIX/app/v1/transactions/1`), '1');
      assert.equal(transactionIdOf(`${V1}/transactions/1/`), '1');
    });

    it('leaves every other URL to the rest of the app', () => {
      for (const url of [`${V1}/transactions/`, `${V1}/transactions/1/x`, `${V1}/ping`,
        '/_matrix/app/v2/transactions/1', `${V1}/transactions/%E0%A4%A`]) {
        assert.equal(transactionIdOf(url), undefined, url);
      }
    });
  });

  describe('answers exactly as the other Koa routes answer', () => {
    let server: RunningServer;
    let sinkError: unknown;
    const accepted: string[] = [];
    /** What a bridge author's middleware saw: method, path, and the status after the route. */
    const seen: string[] = [];
    const watcher: Middleware = async (ctx, next) => {
      await next();
      seen.push(`${ctx.method} ${ctx.path} ${ctx.status}`);
    };
    // An IP allowlist as a bridge author would write one: it refuses before any route runs.
    let allowed = true;
    const allowlist: Middleware = async (ctx, next) => {
      if (!allowed) {
        ctx.status = 403;
        ctx.body = { errcode: 'M_FORBIDDEN', error: `${ctx.ip} is not allowed` };
        return;
      }
      await next();
    };
    const sink: TransactionSink = {
      async accept(txnId) {
        if (sinkError) throw sinkError;
        accepted.push(txnId);
        return { entries: [], duplicates: 0 };
      },
    };
    // An extra route that fails the way the inbox does, to see Koa's own answer to it.
    const koaUnavailable: Middleware = async (ctx, next) => {
      if (ctx.path !== '/bridge/test/unavailable') return next();
      throw new InboxUnavailable('The bridge has 5 items waiting to be handled; retry later', 1_500);
    };

    before(async () => {
      const registration = fixtureRegistration();
      const app = createAppserviceApp({
        registration, namespaces: new Namespaces(registration, 'localhost'), sink,
        maxBodyBytes: 1024, logger: silentLogger(), extraRoutes: [koaUnavailable], middleware: [watcher, allowlist],
      });
      server = await listen(app, '127.0.0.1', 0);
    });
    after(async () => { await server.close(); });
    afterEach(() => { sinkError = undefined; allowed = true; });

    interface Answer { status: number; message: string; headers: string[]; body: string }

    /** Status line, headers in order as sent (without Date), body. */
    function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const req = http.request(`${server.url}${path}`, { method, headers, agent: false }, (res: IncomingMessage) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => {
            const raw = res.rawHeaders;
            const kept: string[] = [];
            for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'date') kept.push(`${raw[i]}: ${raw[i + 1]}`);
            resolve({ status: res.statusCode!, message: res.statusMessage!, headers: kept, body: text });
          });
        });
        req.on('error', reject);
        req.end(body);
      });
    }

    const auth = { authorization: `Bearer ${HS_TOKEN}` };
    const json = { 'content-type': 'application/json' };

    it('401 and 403, as a Koa route answers them', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }] as Array<Record<string, string>>) {
        const txn = await send('PUT', `${V1}/transactions/1`, { ...json, ...headers }, '{"events":[]}');
        const koa = await send('GET', `${V1}/users/%40_x_bob%3Alocalhost`, headers);
        assert.ok(txn.status === 401 || txn.status === 403, JSON.stringify(txn));
        assert.deepEqual(txn, koa);
      }
    });

    it('413 and 400 M_NOT_JSON, as the Koa ping route answers them', async () => {
      for (const body of ['x'.repeat(2000), '{"events":', '']) {
        const txn = await send('PUT', `${V1}/transactions/1`, { ...json, ...auth }, body);
        const koa = await send('POST', `${V1}/ping`, { ...json, ...auth }, body);
        assert.ok(txn.status === 413 || txn.status === 400, JSON.stringify(txn));
        assert.deepEqual(txn, koa);
      }
    });

    it('503 M_LIMIT_EXCEEDED with Retry-After, as Koa answers the same failure', async () => {
      sinkError = new InboxUnavailable('The bridge has 5 items waiting to be handled; retry later', 1_500);
      const txn = await send('PUT', `${V1}/transactions/1`, { ...json, ...auth }, '{"events":[]}');
      const koa = await send('GET', '/bridge/test/unavailable', {});
      assert.equal(txn.status, 503);
      assert.ok(txn.headers.includes('Retry-After: 2'), txn.headers.join('\n'));
      assert.deepEqual(txn, koa);
    });

    it('500 M_UNKNOWN without the cause when the sink fails unexpectedly', async () => {
      sinkError = new Error('disk on fire: /secret/path');
      const txn = await send('PUT', `${V1}/transactions/1`, { ...json, ...auth }, '{"events":[]}');
      assert.equal(txn.status, 500);
      assert.deepEqual(JSON.parse(txn.body), { errcode: 'M_UNKNOWN', error: 'Internal error: the bridge could not handle this request' });
    });

    it('200 {} with the headers of the other Koa routes, for both dialects and a trailing slash', async () => {
      const v1 = await send('PUT', `${V1}/transactions/v1`, { ...json, ...auth }, '{"events":[]}');
      const slash = await send('PUT', `${V1}/transactions/slash/`, { ...json, ...auth }, '{"events":[]}');
      const legacy = await send('PUT', `/transactions/legacy?access_token=${HS_TOKEN}`, json, '{"events":[]}');
      const koaPing = await send('POST', `${V1}/ping`, { ...json, ...auth }, '{}');
      assert.deepEqual(v1, koaPing);
      assert.deepEqual(slash, koaPing);
      assert.deepEqual(legacy, koaPing);
      assert.deepEqual(accepted.slice(-3), ['v1', 'slash', 'legacy']);
    });

    it('runs a bridge author\'s middleware around every transaction, with the final status', async () => {
      seen.length = 0;
      await send('PUT', `${V1}/transactions/seen`, { ...json, ...auth }, '{"events":[]}');
      await send('PUT', `${V1}/transactions/unauthorised`, json, '{"events":[]}');
      sinkError = new InboxUnavailable('The bridge has 5 items waiting to be handled; retry later', 1_500);
      await send('PUT', `${V1}/transactions/busy`, { ...json, ...auth }, '{"events":[]}');
      assert.deepEqual(seen, [
        `PUT ${V1}/transactions/seen 200`,
        `PUT ${V1}/transactions/unauthorised 401`,
        `PUT ${V1}/transactions/busy 503`,
      ]);
    });

    it('lets a bridge author\'s middleware refuse a transaction before the route runs', async () => {
      allowed = false;
      const before = accepted.length;
      const res = await send('PUT', `${V1}/transactions/refused`, { ...json, ...auth }, '{"events":[]}');
      assert.equal(res.status, 403);
      assert.match(JSON.parse(res.body).error, /is not allowed/);
      assert.equal(accepted.length, before, 'the sink never saw the refused transaction');
    });

    it('answers 405 for another method on the transaction path (through the route the router keeps)', async () => {
      const res = await send('GET', `${V1}/transactions/1`, auth);
      assert.equal(res.status, 405);
      assert.equal(JSON.parse(res.body).errcode, 'M_UNRECOGNIZED');
    });
  });

  describe('its line per transaction', () => {
    let server: RunningServer;
    const lines: Array<{ level: number; msg: string; txnId?: string; duplicates?: number }> = [];
    const sink: TransactionSink = {
      // A txnId starting with "retry" comes back with two of its events seen before.
      accept: async (txnId) => ({ entries: [], duplicates: txnId.startsWith('retry') ? 2 : 0 }),
    };

    before(async () => {
      const registration = fixtureRegistration();
      const logger = createLogger({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line)); } });
      const app = createAppserviceApp({ registration, namespaces: new Namespaces(registration, 'localhost'), sink, maxBodyBytes: 1024, logger });
      server = await listen(app, '127.0.0.1', 0);
    });
    after(async () => { await server.close(); });

    it('is debug for a fresh transaction and info for a retried one (some events seen before), with its duplicates', async () => {
      for (const txnId of ['fresh1', 'retry1']) {
        const res = await fetch(`${server.url}${V1}/transactions/${txnId}`, {
          method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${HS_TOKEN}` }, body: '{"events":[]}',
        });
        assert.equal(res.status, 200);
      }
      const journaled = lines.filter((l) => l.msg === 'transaction journaled');
      assert.deepEqual(journaled.map((l) => [l.txnId, l.level, l.duplicates]), [['retry1', 30, 2]]);
    });
  });
});
