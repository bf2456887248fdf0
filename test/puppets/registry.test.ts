import { strict as assert } from 'node:assert';
import { NotAPuppetError } from '../../src/puppets/index.js';
import { ALICE_PUPPET, BOT, Harness } from './harness.js';

const REGISTER = '/_matrix/client/v3/register';

describe('puppets: registry and registration', () => {
  let h: Harness;
  beforeEach(async () => { h = await Harness.start(); });
  afterEach(() => h.close());

  it('refuses a user outside the namespaces before any request', async () => {
    const mark = h.mark();
    assert.throws(() => h.puppets.get('@alice:localhost'), (err: unknown) => {
      assert.ok(err instanceof NotAPuppetError);
      assert.equal(err.userId, '@alice:localhost');
      assert.match(err.message, /@alice:localhost is neither the bridge bot nor inside the registration's user namespaces/);
      return true;
    });
    assert.throws(() => h.puppets.get('@test_alice:elsewhere.org'), NotAPuppetError);
    assert.equal(h.puppets.controls('@alice:localhost'), false);
    assert.equal(h.requestsSince(mark).length, 0);
  });

  it('gives the bot and one cached object per virtual user', () => {
    assert.equal(h.puppets.bot.userId, BOT);
    assert.equal(h.puppets.bot.isBot, true);
    assert.equal(h.puppets.get(BOT), h.puppets.bot);
    const alice = h.puppets.get(ALICE_PUPPET);
    assert.equal(alice.isBot, false);
    assert.equal(h.puppets.get(ALICE_PUPPET), alice);
  });

  it('registers with m.login.application_service once, remembered across a restart', async () => {
    const mark = h.mark();
    await h.puppets.get(ALICE_PUPPET).ensureRegistered();
    await h.puppets.get(ALICE_PUPPET).ensureRegistered();
    assert.equal(h.requestsSince(mark, REGISTER).length, 1);
    assert.equal(h.requestsSince(mark, REGISTER)[0]!.status, 200);
    assert.ok(h.hs.user(ALICE_PUPPET), 'the homeserver knows the user');

    await h.restartBridge();
    await h.puppets.get(ALICE_PUPPET).ensureRegistered();
    assert.equal(h.requestsSince(mark, REGISTER).length, 1, 'the store remembers the registration');
  });

  it('reads M_USER_IN_USE as registered', async () => {
    const taken = await fetch(`${h.hs.url}${REGISTER}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.registration.as_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.application_service', username: 'test_alice', inhibit_login: true }),
    });
    assert.equal(taken.status, 200);
    const mark = h.mark();
    await h.puppets.get(ALICE_PUPPET).ensureRegistered();
    const attempts = h.requestsSince(mark, REGISTER);
    assert.deepEqual(attempts.map((r) => r.status), [400]);
    await h.puppets.get(ALICE_PUPPET).ensureRegistered();
    assert.equal(h.requestsSince(mark, REGISTER).length, 1);
  });

  it('registers the bot once; the account the homeserver already has counts as registered', async () => {
    const mark = h.mark();
    await h.puppets.bot.ensureRegistered();
    const attempts = h.requestsSince(mark, REGISTER);
    // The test homeserver, like Dendrite, made the sender's account when it loaded the registration.
    assert.deepEqual(attempts.map((r) => r.status), [400]);
    await h.puppets.bot.ensureRegistered();
    assert.equal(h.requestsSince(mark, REGISTER).length, 1, 'asked once');
  });

  it('lets the bot act without an account when the homeserver refuses to register it, asking once', async () => {
    h.hs.failNext({ path: REGISTER, status: 403, errcode: 'M_FORBIDDEN', error: 'no' });
    const mark = h.mark();
    await assert.rejects(h.puppets.bot.ensureRegistered(), { errcode: 'M_FORBIDDEN' });
    await h.puppets.bot.ensureRegistered();
    assert.equal(h.requestsSince(mark, REGISTER).length, 1, 'the refusal is not asked again');
  });
});
