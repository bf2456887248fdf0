import assert from 'node:assert/strict';
import type { BridgePlugin, MatrixMessage, PluginContext, RemoteEvent } from '../../src/plugin/contract.js';
import type { LoginSupport } from '../../src/logins/contract.js';
import type { Registration } from '../../src/registration/index.js';
import { DOUBLE_PUPPET_MARKER } from '../../src/puppets/double/index.js';
import { DoublePuppetSessions } from '../../src/puppets/double/sessions.js';
import { Sections } from '../../src/store/layout.js';
import { TestBridge, type TestUser } from '../../src/testing/index.js';
import { createLogger } from '../../src/log/logger.js';

/** The registration an operator adds for double puppeting: no URL, real users in a non-exclusive namespace. */
function tokenOnly(id: string, token: string, regex: string): Registration {
  return { id, url: null, as_token: token, hs_token: `${id}-hs`, sender_localpart: `${id}bot`, namespaces: { users: [{ regex, exclusive: false }] } };
}

const LOCAL = tokenOnly('doublepuppet', 'dp-secret-localhost', '@.*:localhost');
const OTHER = tokenOnly('otherdomain', 'dp-secret-other', '@.*:other\\.example');

class Recorder implements BridgePlugin {
  readonly name = 'dptest';
  readonly capabilities = { messages: true, edits: true, reactions: true, redactions: true };
  readonly messages: MatrixMessage[] = [];
  readonly others: string[] = [];
  ctx!: PluginContext;
  async start(ctx: PluginContext): Promise<void> { this.ctx = ctx; }
  async onMessage(message: MatrixMessage): Promise<void> { this.messages.push(message); }
  async onEdit(): Promise<void> { this.others.push('edit'); }
  async onReaction(): Promise<void> { this.others.push('reaction'); }
  async onRedaction(): Promise<void> { this.others.push('redaction'); }
  /** One flow: the remote account is whatever id is typed (the bridge believes a sender's matrixUserId only for a login). */
  readonly logins: LoginSupport = {
    flows: [{ id: 'id', name: 'Id', description: 'Your remote id.' }],
    begin: () => ({
      start: async () => ({ kind: 'input', stepId: 'id', instructions: 'Your id.', fields: [{ id: 'id', type: 'username', name: 'Id' }] }),
      submit: async (input) => ({ kind: 'complete', login: { remoteId: input['id']!, remoteName: input['id']!, credentials: {} } }),
    }),
    connect: async () => undefined,
    logout: async () => undefined,
  };
}

/** `user` logs in to the bridge with the remote account `remoteId`. */
async function logIn(t: TestBridge, user: TestUser, remoteId: string): Promise<void> {
  const service = t.bridge.logins!;
  const started = await service.start(user.userId, 'id');
  const done = await service.submit(user.userId, started.processId, { id: remoteId });
  assert.equal(done.step.kind, 'complete');
}

const channel = (invite: string[]) => ({ id: 'chan', name: 'Channel', invite });

async function start(secret: string, plugin: Recorder, logs?: string[]): Promise<TestBridge> {
  return TestBridge.start(plugin, {
    ...(logs ? { logger: createLogger({ level: 'trace' }, { write: (line: string) => { logs.push(line); } }) } : {}),
    homeserver: { tokenOnlyAppservices: [LOCAL, OTHER] },
    config: { doublePuppet: { secrets: { localhost: secret } }, logins: { encryptionKey: 'double-puppet-test-key-of-at-least-32-characters' } },
  });
}

/** A portal with Alice in it: a message from someone else makes it, Alice joins. */
async function portalWithAlice(t: TestBridge, plugin: Recorder, alice: TestUser): Promise<string> {
  const first = await plugin.ctx.remote.push({ kind: 'message', channel: channel([alice.userId]), sender: { id: 'bob' }, id: 'm0', text: 'hello' });
  await alice.client.join(first.roomId!);
  await settle(t);
  return first.roomId!;
}

async function settle(t: TestBridge): Promise<void> {
  await t.hs.waitForPushIdle(10_000);
  await t.bridge.inbox.drained();
}

const fromAlice = (alice: TestUser, extra: Partial<Extract<RemoteEvent, { kind: 'message' }>> = {}): RemoteEvent => ({
  kind: 'message', channel: channel([]), sender: { id: 'alice-remote', displayName: 'Alice (remote)', matrixUserId: alice.userId }, id: 'm1', text: 'sent from my phone', ...extra,
});

describe('double puppeting (appservice login, as bridgev2 does it)', function () {
  this.timeout(30_000);

  describe('with a secret for the user\'s homeserver', () => {
    let t: TestBridge;
    let alice: TestUser;
    let roomId: string;
    const plugin = new Recorder();
    const logs: string[] = [];

    before(async () => {
      t = await start(`as_token:${LOCAL.as_token}`, plugin, logs);
      alice = await t.user('alice');
      await logIn(t, alice, 'alice-remote');
      roomId = await portalWithAlice(t, plugin, alice);
    });
    after(() => t.stop());

    it('posts a remote message marked as Alice\'s from her own account, once, and never hands it back to the plugin', async () => {
      const sessionsBefore = t.hs.sessionsOf(alice.userId).length;
      const result = await plugin.ctx.remote.push(fromAlice(alice));
      const again = await plugin.ctx.remote.push(fromAlice(alice));
      assert.equal(again.duplicate, true);
      await settle(t);
      const event = t.hs.events(roomId).find((e) => e.event_id === result.eventId);
      assert.equal(event?.sender, alice.userId, 'sent as Alice, not a ghost');
      assert.equal(event?.content['body'], 'sent from my phone');
      assert.equal(event?.content[DOUBLE_PUPPET_MARKER], 'test', 'marked with the appservice id');
      assert.equal(t.hs.events(roomId).filter((e) => e.content['body'] === 'sent from my phone').length, 1);
      assert.equal(t.hs.memberships(roomId)['@_test_alice-remote:localhost'], undefined, 'no ghost for her remote account');
      assert.equal(t.hs.sessionsOf(alice.userId).length, sessionsBefore + 1, 'one login for the double puppet');
      assert.ok(!plugin.messages.some((m) => m.eventId === result.eventId), 'no echo to the plugin');
      // A message Alice sends from Matrix herself still reaches the plugin.
      const own = await alice.client.sendText(roomId, 'typed in Matrix');
      await settle(t);
      assert.ok(plugin.messages.some((m) => m.eventId === own));
    });

    it('does not take a double-puppeted "!command" as a command to the bot', async () => {
      const result = await plugin.ctx.remote.push(fromAlice(alice, { id: 'cmd', text: '!help' }));
      await settle(t);
      const events = t.hs.events(roomId);
      const at = events.findIndex((e) => e.event_id === result.eventId);
      assert.ok(at >= 0);
      assert.deepEqual(events.slice(at + 1).filter((e) => e.sender === t.botUserId).map((e) => e.content['body']), [], 'the bot did not answer');
    });

    it('uploads and sends media as her', async () => {
      const data = new TextEncoder().encode('a picture, really');
      const result = await plugin.ctx.remote.push(fromAlice(alice, { id: 'img', text: 'cat.png', media: { data, contentType: 'image/png', filename: 'cat.png' } }));
      await settle(t);
      const event = t.hs.events(roomId).find((e) => e.event_id === result.eventId);
      assert.equal(event?.sender, alice.userId);
      assert.equal(event?.content['msgtype'], 'm.image');
      assert.match(String(event?.content['url']), /^mxc:\/\/localhost\//);
    });

    it('sends edits, reactions and redactions as her too, none of them echoed', async () => {
      const edit = await plugin.ctx.remote.push({ kind: 'edit', channel: channel([]), sender: { id: 'alice-remote', matrixUserId: alice.userId }, id: 'e1', targetId: 'm1', text: 'fixed' });
      const reaction = await plugin.ctx.remote.push({ kind: 'reaction', channel: channel([]), sender: { id: 'alice-remote', matrixUserId: alice.userId }, id: 'r1', targetId: 'm0', key: '👍' });
      const redaction = await plugin.ctx.remote.push({ kind: 'redaction', channel: channel([]), sender: { id: 'alice-remote', matrixUserId: alice.userId }, targetId: 'r1' });
      await settle(t);
      for (const id of [edit.eventId, reaction.eventId, redaction.eventId]) {
        const event = t.hs.events(roomId).find((e) => e.event_id === id);
        assert.equal(event?.sender, alice.userId, `${event?.type} as Alice`);
      }
      assert.deepEqual(plugin.others, [], 'none handed back to the plugin');
    });

    it('logs in again when the homeserver no longer knows the token (M_UNKNOWN_TOKEN)', async () => {
      const [, ...puppetSessions] = t.hs.sessionsOf(alice.userId); // the first is Alice's own client
      assert.equal(puppetSessions.length, 1);
      t.hs.logout(puppetSessions[0]!);
      const result = await plugin.ctx.remote.push(fromAlice(alice, { id: 'm2', text: 'after the token died' }));
      await settle(t);
      assert.equal(t.hs.events(roomId).find((e) => e.event_id === result.eventId)?.sender, alice.userId);
      const now = t.hs.sessionsOf(alice.userId);
      assert.equal(now.length, 2, 'a new session replaced the dead one');
      assert.ok(!now.includes(puppetSessions[0]!));
      assert.ok(!plugin.messages.some((m) => m.eventId === result.eventId));
    });

    it('after M_UNKNOWN_TOKEN, uses the session another process stored meanwhile instead of logging in again', async () => {
      const [, ...before] = t.hs.sessionsOf(alice.userId);
      assert.ok(before.length > 0);
      for (const token of before) t.hs.logout(token);
      // Another process of a cluster met the dead token first, logged in and stored its session.
      const response = await fetch(`${t.hs.url}/_matrix/client/v3/login`, {
        method: 'POST', headers: { authorization: `Bearer ${LOCAL.as_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'm.login.application_service', identifier: { type: 'm.id.user', user: alice.userId } }),
      });
      assert.equal(response.status, 200);
      const theirs = await response.json() as { access_token: string; device_id: string };
      await new DoublePuppetSessions(t.bridge.store).set(alice.userId, `as_token:${LOCAL.as_token}`, { accessToken: theirs.access_token, deviceId: theirs.device_id });
      const result = await plugin.ctx.remote.push(fromAlice(alice, { id: 'm-cluster', text: 'after another process logged in' }));
      await settle(t);
      assert.equal(t.hs.events(roomId).find((e) => e.event_id === result.eventId)?.sender, alice.userId);
      assert.deepEqual(t.hs.sessionsOf(alice.userId).slice(1), [theirs.access_token], 'no login of its own: the stored session was used');
      assert.equal((await new DoublePuppetSessions(t.bridge.store).get(alice.userId, `as_token:${LOCAL.as_token}`))?.accessToken, theirs.access_token, 'and kept');
    });

    it('keeps the token sealed in the store, and neither it nor the secret in a log line (at trace)', async () => {
      const stored = await t.bridge.store.section<Record<string, unknown>>(Sections.puppetsDouble).get(alice.userId);
      assert.ok(stored, 'a session is stored');
      const tokens = t.hs.sessionsOf(alice.userId).slice(1);
      assert.ok(tokens.length > 0);
      assert.ok(!JSON.stringify(stored).includes(tokens.at(-1)!));
      assert.ok(logs.some((l) => l.includes('double puppet logged in')), 'the logs were captured');
      for (const secret of [...tokens, LOCAL.as_token]) assert.ok(!logs.some((l) => l.includes(secret)), 'a secret was logged');
    });

    it('falls back to the ghost for a user whose homeserver has no secret, who is not in the room, or who is one of the bridge\'s own', async () => {
      const carol = await plugin.ctx.remote.push({
        kind: 'message', channel: channel([]), sender: { id: 'carol-remote', matrixUserId: '@carol:elsewhere.example' }, id: 'm3', text: 'from carol',
      });
      const dave = await t.user('dave');
      await logIn(t, dave, 'dave-remote');
      const daves = await plugin.ctx.remote.push({ kind: 'message', channel: channel([]), sender: { id: 'dave-remote', matrixUserId: dave.userId }, id: 'm4', text: 'from dave' });
      const ghostly = await plugin.ctx.remote.push({
        kind: 'message', channel: channel([]), sender: { id: 'eve-remote', matrixUserId: '@_test_someghost:localhost' }, id: 'm5', text: 'from a ghost id',
      });
      await settle(t);
      assert.equal(t.hs.events(roomId).find((e) => e.event_id === ghostly.eventId)?.sender, '@_test_eve-remote:localhost', 'a ghost is never double-puppeted');
      assert.equal(t.hs.events(roomId).find((e) => e.event_id === carol.eventId)?.sender, '@_test_carol-remote:localhost');
      assert.equal(t.hs.events(roomId).find((e) => e.event_id === daves.eventId)?.sender, '@_test_dave-remote:localhost');
    });

    it('never posts as a Matrix user on a sender\'s word alone: only as the user whose login has that remote account', async () => {
      // Alice's login is for alice-remote: mallory-remote claiming her is posted by its ghost.
      const claimed = await plugin.ctx.remote.push({
        kind: 'message', channel: channel([]), sender: { id: 'mallory-remote', matrixUserId: alice.userId }, id: 'm-claim', text: 'not really alice',
      });
      // Frank is in the room, his homeserver has a secret, but he has no login on the bridge.
      const frank = await t.user('frank');
      await t.bridge.puppets.bot.invite(roomId, frank.userId);
      await frank.client.join(roomId);
      await settle(t);
      const unlogged = await plugin.ctx.remote.push({
        kind: 'message', channel: channel([]), sender: { id: 'frank-remote', matrixUserId: frank.userId }, id: 'm-frank', text: 'not logged in',
      });
      await settle(t);
      const events = t.hs.events(roomId);
      assert.equal(events.find((e) => e.event_id === claimed.eventId)?.sender, '@_test_mallory-remote:localhost');
      assert.equal(events.find((e) => e.event_id === unlogged.eventId)?.sender, '@_test_frank-remote:localhost');
      assert.ok(!events.some((e) => e.sender === alice.userId && e.content['body'] === 'not really alice'));
      assert.equal(t.hs.sessionsOf(frank.userId).length, 1, 'no double-puppet login was made for Frank');
    });

    it('(last: it encrypts the room) sends as the ghost in an encrypted room, where the bridge holds no keys of hers', async () => {
      await t.bridge.puppets.bot.setState(roomId, 'm.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' });
      await settle(t);
      const result = await plugin.ctx.remote.push(fromAlice(alice, { id: 'm-enc', text: 'in an encrypted room' }));
      await settle(t);
      assert.equal(t.hs.events(roomId).find((e) => e.event_id === result.eventId)?.sender, '@_test_alice-remote:localhost');
    });
  });

  describe('the test homeserver\'s m.login.application_service (as Synapse 1.94)', () => {
    let t: TestBridge;
    before(async () => { t = await start(`as_token:${OTHER.as_token}`, new Recorder()); });
    after(() => t.stop());

    const login = (token: string | undefined, user: unknown) => fetch(`${t.hs.url}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ type: 'm.login.application_service', identifier: { type: 'm.id.user', user } }),
    });

    it('logs in a user of the appservice\'s namespace, by id or localpart, and refuses anyone outside it', async () => {
      const alice = await t.user('alice');
      const ok = await login(LOCAL.as_token, alice.userId);
      assert.equal(ok.status, 200);
      const body = await ok.json() as Record<string, unknown>;
      assert.equal(body['user_id'], alice.userId);
      assert.equal(typeof body['access_token'], 'string');
      assert.equal((await login(LOCAL.as_token, 'alice')).status, 200);
      const refused = await login(OTHER.as_token, alice.userId);
      assert.equal(refused.status, 403);
      assert.equal((await refused.json() as Record<string, unknown>)['errcode'], 'M_FORBIDDEN');
      const asUser = await login(alice.accessToken, alice.userId);
      assert.equal(asUser.status, 401, 'a user token cannot use this login');
      assert.equal((await asUser.json() as Record<string, unknown>)['errcode'], 'M_UNKNOWN_TOKEN');
      assert.equal((await login(undefined, alice.userId)).status, 401);
      assert.equal((await login(LOCAL.as_token, 42)).status, 400);
      const unknown = await login(LOCAL.as_token, '@nobody:localhost');
      assert.deepEqual([unknown.status, (await unknown.json() as Record<string, unknown>)['errcode']], [404, 'M_UNKNOWN'], 'as Synapse 1.94 answers');
    });

    it('a bridge whose secret does not cover the user sends as the ghost instead', async () => {
      const plugin = new Recorder();
      const t2 = await start(`as_token:${OTHER.as_token}`, plugin);
      try {
        const alice = await t2.user('alice');
        const roomId = await portalWithAlice(t2, plugin, alice);
        const result = await plugin.ctx.remote.push(fromAlice(alice));
        await settle(t2);
        assert.equal(t2.hs.events(roomId).find((e) => e.event_id === result.eventId)?.sender, '@_test_alice-remote:localhost');
      } finally {
        await t2.stop();
      }
    });
  });
});
