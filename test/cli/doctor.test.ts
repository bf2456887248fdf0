import assert from 'node:assert/strict';
import { bridgekit, OpsHarness } from '../metrics/harness.js';
import { doctorLine as line } from '../helpers/doctor-output.js';

const CHECKS = ['config valid', 'registration matches the config', 'homeserver reachable', 'bot registered', 'ping round trip', 'store writable'];


/** `bridgekit doctor` in a child process against a TestHomeserver (and a bridge) living in this one. */
describe('cli: doctor', function () {
  let h: OpsHarness;

  beforeEach(async () => {
    h = await OpsHarness.start();
  });

  afterEach(async () => {
    await h.stop();
  });

  it('passes every check against a running bridge', async () => {
    await h.startBridge();
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    for (const check of CHECKS) assert.match(line(res.stdout, check), /^✔ /, check);
    assert.match(line(res.stdout, 'homeserver reachable'), new RegExp(`✔ homeserver reachable: ${h.hs.url} speaks v1\\.1 … v1\\.12`));
    assert.match(line(res.stdout, 'bot registered'), /@opsbot:localhost/);
    assert.match(line(res.stdout, 'ping round trip'), /the homeserver reached http:\/\/127\.0\.0\.1:\d+ and back in \d+ ms/);
    assert.match(res.stdout, /is in use \(the running bridge, presumably\); pinging through it/);
    assert.match(line(res.stdout, 'store writable'), /held by the running bridge/);
    assert.match(res.stdout, /all checks passed/);
  });

  it('answers the ping itself when the bridge is not running', async () => {
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /bridge not running; started a temporary listener for the ping/);
    for (const check of CHECKS) assert.match(line(res.stdout, check), /^✔ /, check);
    // The ping came through the hs_token check of the temporary endpoint.
    assert.ok(h.hs.requests.some((r) => r.path.includes('/appservice/ops-test/ping') && r.status === 200));
  });

  it('fails the ping, with advice, when the registration\'s hs_token is not the homeserver\'s', async () => {
    await h.writeRegistration({ hs_token: 'not-what-the-homeserver-has' });
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(line(res.stdout, 'ping round trip'), /^✘ ping round trip: .*refused the homeserver's hs_token \(HTTP 403\) — .*give it the current registration\.yaml and restart it/);
    assert.match(line(res.stdout, 'bot registered'), /^✔ /, 'the as_token is still right');
    assert.match(res.stdout, /1 check\(s\) failed/);
  });

  it('fails the bot check when the homeserver does not know the as_token', async () => {
    await h.writeRegistration({ as_token: 'unknown-token' });
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(line(res.stdout, 'bot registered'), /^✘ bot registered: .*M_UNKNOWN_TOKEN.* — .*app_service_config_files/);
  });

  it('fails "homeserver reachable" (and skips what needs it) when the homeserver is down', async () => {
    await h.hs.stop();
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(line(res.stdout, 'homeserver reachable'), /^✘ homeserver reachable: http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\) — check homeserver\.url/);
    assert.match(line(res.stdout, 'bot registered'), /^- bot registered: skipped \(needs a reachable homeserver\)/);
    assert.match(line(res.stdout, 'ping round trip'), /^- /);
    assert.match(line(res.stdout, 'config valid'), /^✔ /);
    assert.match(line(res.stdout, 'store writable'), /^✔ /);
  });

  it('reports a registration that disagrees with the config', async () => {
    await h.writeRegistration({ sender_localpart: 'someoneelse' });
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(line(res.stdout, 'registration matches the config'), /^✘ .*sender_localpart: is 'someoneelse' but appservice\.bot in the config is 'opsbot'/);
  });

  it('has --help', async () => {
    const res = await bridgekit(['doctor', '--help'], h.dir.path);
    assert.equal(res.code, 0);
    assert.match(res.stdout, /bridgekit doctor -c config\.yaml/);
  });
});
