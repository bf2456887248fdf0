import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startEndpoint, HS_TOKEN, type Endpoint } from '../helpers/endpoint.js';
import { synapseBody } from '../helpers/fixtures.js';

const SPEC_ERRCODE = /^M_[A-Z_]+$/;

async function expectSpecError(res: Response, allowed: number[]): Promise<void> {
  const text = await res.text();
  if (res.status === 200) return; // the generator happened to produce something valid
  assert.ok(allowed.includes(res.status), `status ${res.status}: ${text}`);
  const body = JSON.parse(text) as { errcode?: unknown; error?: unknown };
  assert.match(String(body.errcode), SPEC_ERRCODE, text);
  assert.equal(typeof body.error, 'string', text);
}

/** A valid transaction with one field somewhere replaced by an arbitrary JSON value. */
function mutated(): fc.Arbitrary<unknown> {
  const base = synapseBody<Record<string, unknown>>('txn-06-message-from-normal-user.json');
  const paths = [['events'], ['events', 0], ['events', 0, 'event_id'], ['events', 0, 'room_id'], ['events', 0, 'sender'],
    ['events', 0, 'type'], ['events', 0, 'content'], ['events', 0, 'origin_server_ts'], ['events', 0, 'state_key'],
    ['events', 0, 'unsigned'], ['ephemeral'], ['de.sorunome.msc2409.ephemeral'], ['de.sorunome.msc2409.to_device']];
  return fc.tuple(fc.constantFrom(...paths), fc.jsonValue()).map(([path, value]) => {
    const copy = structuredClone(base) as Record<string | number, unknown>;
    let node: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[path[path.length - 1]!] = value;
    return copy;
  });
}

describe('appservice: malformed input never crashes and always gets a spec error', function () {
  this.timeout(120_000);
  let endpoint: Endpoint;
  before(async () => { endpoint = await startEndpoint({ maxBodyBytes: 64 * 1024 }); });
  after(async () => { await endpoint.close(); });

  const put = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${endpoint.url}/_matrix/app/v1/transactions/fuzz`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${HS_TOKEN}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('arbitrary JSON values as a transaction body', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), async (value) => {
      await expectSpecError(await put(JSON.stringify(value) ?? 'null'), [400]);
    }), { numRuns: 1_000 });
  });

  it('valid transactions with one field replaced', async () => {
    await fc.assert(fc.asyncProperty(mutated(), async (value) => {
      await expectSpecError(await put(JSON.stringify(value)), [400]);
    }), { numRuns: 1_000 });
  });

  it('arbitrary bytes as a body', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
      await expectSpecError(await put(bytes), [400]);
    }), { numRuns: 500 });
  });

  it('arbitrary Authorization headers and access_token parameters', async () => {
    const headerValue = fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s));
    await fc.assert(fc.asyncProperty(headerValue, fc.option(fc.string({ maxLength: 40 })), async (auth, query) => {
      const url = new URL(`${endpoint.url}/_matrix/app/v1/transactions/h`);
      if (query !== null) url.searchParams.set('access_token', query);
      const res = await fetch(url, { method: 'PUT', headers: { authorization: auth }, body: '{"events":[]}' });
      await expectSpecError(res, [401, 403]);
    }), { numRuns: 500 });
  });

  it('arbitrary paths and methods', async () => {
    const method = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS');
    await fc.assert(fc.asyncProperty(method, fc.webPath(), async (m, path) => {
      const res = await fetch(`${endpoint.url}/_matrix/app/v1${path}`, {
        method: m,
        headers: { authorization: `Bearer ${HS_TOKEN}` },
        body: m === 'GET' || m === 'OPTIONS' ? undefined : '{}',
      });
      if (m === 'OPTIONS' && res.status < 300) return; // CORS-less OPTIONS lists allowed methods
      await expectSpecError(res, [400, 401, 403, 404, 405, 413]);
    }), { numRuns: 500 });
  });

  it('is still answering after all of that', async () => {
    assert.equal((await put('{"events":[]}')).status, 200);
  });
});
