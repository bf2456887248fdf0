import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MatrixHttpError } from '../../src/appservice/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { OpenIdVerifier, type OpenIdVerifierOptions } from '../../src/provisioning/openid.js';
import { TestHomeserver, type TestUser } from '../../src/testing/index.js';
import { closeServer } from '../helpers/net.js';

async function refusal(promise: Promise<unknown>): Promise<MatrixHttpError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof MatrixHttpError, `expected a refusal, got ${String(err)}`);
  return err;
}

describe('provisioning: OpenID tokens of other homeservers (federatedOpenId)', () => {
  let own: TestHomeserver;
  let other: TestHomeserver;
  let erin: TestUser;
  let clock: number;

  before(async () => {
    own = await TestHomeserver.start({ serverName: 'localhost' });
    other = await TestHomeserver.start({ serverName: 'other.example' });
    erin = await other.registerUser('erin');
  });
  after(async () => {
    await own.stop();
    await other.stop();
  });
  beforeEach(() => {
    clock = Date.now();
  });

  const verifier = (extra: Partial<OpenIdVerifierOptions> = {}) => new OpenIdVerifier({
    domain: 'localhost', homeserverUrl: own.url, federated: true, cacheMs: 60_000,
    // The other server's name is not resolvable here: the guarded fetcher is pointed at its loopback listener.
    federationBaseUrl: () => other.url,
    outbound: { timeoutMs: 5_000, trustedHosts: [new URL(other.url).host] },
    now: () => clock, logger: silentLogger(), ...extra,
  });
  const token = async () => (await erin.client.requestOpenIdToken(erin.userId)).access_token;
  const userinfoCalls = () => other.requests.filter((r) => r.path.includes('/openid/userinfo')).length;

  it('asks the user\'s own server, through the guarded fetcher, and names the user it vouches for', async () => {
    assert.equal(await verifier().verify(await token(), erin.userId), erin.userId);
  });

  it('is refused by the guard when the server resolves to a private address that is not trusted (502, nobody asked)', async () => {
    const before = userinfoCalls();
    const err = await refusal(verifier({ outbound: { timeoutMs: 5_000 } }).verify(await token(), erin.userId));
    assert.equal(err.status, 502);
    assert.equal(userinfoCalls(), before);
  });

  it('refuses an unknown token of that server (401 M_UNKNOWN_TOKEN), and a user id that is not one', async () => {
    assert.equal((await refusal(verifier().verify('NoSuchToken', erin.userId))).errcode, 'M_UNKNOWN_TOKEN');
    assert.equal((await refusal(verifier().verify(await token(), 'erin'))).errcode, 'M_UNKNOWN_TOKEN');
  });

  it('does not believe a server about another server\'s users', async () => {
    const liar = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sub: '@alice:localhost' }));
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
    try {
      const v = verifier({ federationBaseUrl: () => url, outbound: { timeoutMs: 5_000, trustedHosts: [new URL(url).host] } });
      const err = await refusal(v.verify('AnyToken', '@mallory:evil.example'));
      assert.equal(err.errcode, 'M_UNKNOWN_TOKEN');
      const noClaim = await refusal(v.verify('AnyToken', '@alice:evil.example'));
      assert.equal(noClaim.errcode, 'M_UNKNOWN_TOKEN');
    } finally {
      await closeServer(liar as Server);
    }
  });

  it('keeps a checked token for cacheMs, then asks again, and never trusts the cache past an hour after first seeing it', async () => {
    const v = verifier({ cacheMs: 10 * 60_000 });
    const t = await token();
    const start = userinfoCalls();
    await v.verify(t, erin.userId);
    clock += 5 * 60_000;
    await v.verify(t, erin.userId);
    assert.equal(userinfoCalls() - start, 1);
    clock += 6 * 60_000; // past cacheMs
    await v.verify(t, erin.userId);
    assert.equal(userinfoCalls() - start, 2);
    clock += 50 * 60_000; // 61 minutes after first seen: the cache is not trusted, the server is asked
    await v.verify(t, erin.userId);
    await v.verify(t, erin.userId);
    assert.equal(userinfoCalls() - start, 4);
  });
});
