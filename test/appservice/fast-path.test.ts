import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { createAppserviceApp, listen, type RunningServer, type TransactionSink } from '../../src/appservice/index.js';
import { transactionIdOf, withTransactionFastPath } from '../../src/appservice/fast-path.js';
import { InboxUnavailable } from '../../src/inbox/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { Namespaces } from '../../src/registration/index.js';
import { fixtureRegistration, HS_TOKEN } from '../helpers/endpoint.js';

const V1 = '/_matrix/app/v1';

describe('appservice: the transaction fast path', () => {
  describe('which requests it takes', () => {
    it('recognises both dialects of the transaction URL, with or without a query, and decodes the txnId', () => {
      assert.equal(transactionIdOf(`${V1}/transactions/1`), '1');
      assert.equal(transactionIdOf('/transactions/1'), '1');
      assert.equal(transactionIdOf(`/transactions/7?access_token=${HS_TOKEN}`), '7');
      assert.equal(transactionIdOf(`${V1}/transactions/a%2Fb%20c`), 'a/b c');
    });

    it('leaves every other URL to Koa (which serves odd spellings of the route with the same handler)', () => {
      for (const url of [`${V1}/transactions/`, `${V1}/transactions/1/`, `${V1}/transactions/1/x`, `${V1}/ping`,
        '/_matrix/app/v2/transactions/1', `/_MATRIX/app/v1/transactions/1`, `${V1}/transactions/%E0%A4%A`]) {
        assert.equal(transactionIdOf(url), undefined, url);
      }
    });

    it('hands PUT transactions to the handler and everything else to Koa', async () => {
      const seen: string[] = [];
      const listener = withTransactionFastPath(
        async (_req, _res, txnId) => { seen.push(`fast ${txnId}`); },
        async (req) => { seen.push(`koa ${req.method} ${req.url}`); },
      );
      const req = (method: string, url: string) => Object.assign(new http.IncomingMessage(null as never), { method, url });
      const res = (r: IncomingMessage) => new http.ServerResponse(r);
      for (const [method, url] of [['PUT', `${V1}/transactions/1`], ['PUT', '/transactions/2?access_token=x'], ['GET', `${V1}/transactions/3`], ['PUT', `${V1}/ping`]] as const) {
        const r = req(method, url);
        await listener(r, res(r));
      }
      assert.deepEqual(seen, ['fast 1', 'fast 2', `koa GET ${V1}/transactions/3`, `koa PUT ${V1}/ping`]);
    });
  });

  describe('answers exactly as Koa answers', () => {
    let server: RunningServer;
    let sinkError: unknown;
    const accepted: string[] = [];
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
        maxBodyBytes: 1024, logger: silentLogger(), extraRoutes: [koaUnavailable],
      });
      server = await listen(app, '127.0.0.1', 0);
    });
    after(async () => { await server.close(); });
    afterEach(() => { sinkError = undefined; });

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
        const fast = await send('PUT', `${V1}/transactions/1`, { ...json, ...headers }, '{"events":[]}');
        const koa = await send('GET', `${V1}/users/%40_x_bob%3Alocalhost`, headers);
        assert.ok(fast.status === 401 || fast.status === 403, JSON.stringify(fast));
        assert.deepEqual(fast, koa);
      }
    });

    it('413 and 400 M_NOT_JSON, as the Koa ping route answers them', async () => {
      for (const body of ['x'.repeat(2000), '{"events":', '']) {
        const fast = await send('PUT', `${V1}/transactions/1`, { ...json, ...auth }, body);
        const koa = await send('POST', `${V1}/ping`, { ...json, ...auth }, body);
        assert.ok(fast.status === 413 || fast.status === 400, JSON.stringify(fast));
        assert.deepEqual(fast, koa);
      }
    });

    it('503 M_LIMIT_EXCEEDED with Retry-After, as Koa answers the same failure', async () => {
      sinkError = new InboxUnavailable('The bridge has 5 items waiting to be handled; retry later', 1_500);
      const fast = await send('PUT', `${V1}/transactions/1`, { ...json, ...auth }, '{"events":[]}');
      const koa = await send('GET', '/bridge/test/unavailable', {});
      assert.equal(fast.status, 503);
      assert.ok(fast.headers.includes('Retry-After: 2'), fast.headers.join('\n'));
      assert.deepEqual(fast, koa);
    });

    it('500 M_UNKNOWN without the cause when the sink fails unexpectedly', async () => {
      sinkError = new Error('disk on fire: /secret/path');
      const fast = await send('PUT', `${V1}/transactions/1`, { ...json, ...auth }, '{"events":[]}');
      assert.equal(fast.status, 500);
      assert.deepEqual(JSON.parse(fast.body), { errcode: 'M_UNKNOWN', error: 'Internal error: the bridge could not handle this request' });
    });

    it('200 {} with the headers Koa sends, on both paths into the same handler', async () => {
      const fast = await send('PUT', `${V1}/transactions/fast`, { ...json, ...auth }, '{"events":[]}');
      // A trailing slash is not the fast path's: Koa's router takes it to the same handler.
      const viaKoa = await send('PUT', `${V1}/transactions/koa/`, { ...json, ...auth }, '{"events":[]}');
      const koaPing = await send('POST', `${V1}/ping`, { ...json, ...auth }, '{}');
      assert.deepEqual(fast, koaPing);
      assert.deepEqual(viaKoa, koaPing);
      assert.deepEqual(accepted.slice(-2), ['fast', 'koa']);
    });

    it('answers 405 for another method on the transaction path (Koa, through the route it keeps)', async () => {
      const res = await send('GET', `${V1}/transactions/1`, auth);
      assert.equal(res.status, 405);
      assert.equal(JSON.parse(res.body).errcode, 'M_UNRECOGNIZED');
    });
  });
});

