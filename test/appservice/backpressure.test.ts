import assert from 'node:assert/strict';
import { createAppserviceApp, listen, type RunningServer, type TransactionSink } from '../../src/appservice/index.js';
import { InboxUnavailable } from '../../src/inbox/index.js';
import { createLogger } from '../../src/log/logger.js';
import { BridgeMetrics } from '../../src/metrics/index.js';
import { Namespaces } from '../../src/registration/index.js';
import { fixtureRegistration, HS_TOKEN } from '../helpers/endpoint.js';

describe('appservice: backpressure is logged as a period, not per 503', () => {
  let server: RunningServer;
  let refuse = 0;
  const logs: Array<{ level: number; msg: string; refused?: number; stack?: unknown; err?: unknown }> = [];
  const metrics = new BridgeMetrics({ plugin: 'test', processMetrics: false });
  const inner: TransactionSink = {
    async accept() {
      if (refuse > 0) {
        refuse--;
        throw new InboxUnavailable('The bridge has 20000 items waiting to be handled; retry later', 1_000);
      }
      return { entries: [], duplicates: 0 };
    },
  };

  before(async () => {
    const registration = fixtureRegistration();
    const logger = createLogger({ level: 'trace' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const app = createAppserviceApp({ registration, namespaces: new Namespaces(registration, 'localhost'), sink: metrics.countingSink(inner), logger });
    server = await listen(app, '127.0.0.1', 0);
  });
  after(async () => { await server.close(); });

  const put = async (txnId: string) => (await fetch(`${server.url}/_matrix/app/v1/transactions/${txnId}`, {
    method: 'PUT', headers: { authorization: `Bearer ${HS_TOKEN}`, 'content-type': 'application/json' }, body: '{"events":[]}',
  })).status;

  it('warns once when 503s start and once when a transaction is taken again, with the count; the metric counts each', async () => {
    refuse = 25;
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push(await put(`t${i}`));
    assert.deepEqual(new Set(statuses), new Set([503]));
    assert.equal(await put('after'), 200);
    refuse = 3;
    for (let i = 0; i < 3; i++) assert.equal(await put(`u${i}`), 503);
    assert.equal(await put('after2'), 200);

    const backpressure = logs.filter((l) => /backpressure/.test(l.msg));
    assert.deepEqual(backpressure.map((l) => [l.level, l.msg.split(':')[0], l.refused]), [
      [40, 'backpressure', undefined], [40, 'backpressure over', 25],
      [40, 'backpressure', undefined], [40, 'backpressure over', 3],
    ]);
    assert.deepEqual(logs.filter((l) => l.level >= 50), [], 'nothing at error');
    assert.ok(!logs.some((l) => l.err !== undefined || l.stack !== undefined), 'no stack');
    const text = await metrics.registry.metrics();
    assert.match(text, /^bridgekit_transactions_rejected_total 28$/m);
  });
});
