import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';
import { FakeHomeserver, ok } from './fake-homeserver.js';
import { AS_TOKEN, BOT, apiFor } from './setup.js';

describe('homeserver client: authentication and masquerading', () => {
  let fake: FakeHomeserver;
  afterEach(async () => fake.close());

  it('sends the as_token only in the Authorization header, never in the query', async () => {
    fake = await FakeHomeserver.start(() => ok({ event_id: '$e1' }));
    const api = apiFor(fake);
    await api.events.send('!room:example.org', 'm.room.message', { msgtype: 'm.text', body: 'hi' }, { asUser: '@irc_alice:example.org' });
    const request = fake.received[0]!;
    assert.equal(request.headers['authorization'], `Bearer ${AS_TOKEN}`);
    assert.equal(request.query.get('access_token'), null);
    assert.ok(![...request.query.values()].some((v) => v.includes(AS_TOKEN)));
    assert.ok(!request.path.includes(AS_TOKEN));
  });

  it('acts as the virtual user with user_id, and as the bot by default', async () => {
    fake = await FakeHomeserver.start(() => ok({ room_id: '!r:example.org' }));
    const api = apiFor(fake);
    await api.membership.join('!r:example.org', { asUser: '@irc_alice:example.org' });
    await api.membership.join('!r:example.org');
    assert.equal(fake.received[0]!.query.get('user_id'), '@irc_alice:example.org');
    assert.equal(fake.received[1]!.query.get('user_id'), BOT);
  });

  it('puts ts on sends and state PUTs, and leaves it out when not given', async () => {
    fake = await FakeHomeserver.start(() => ok({ event_id: '$e1' }));
    const api = apiFor(fake);
    await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }, { ts: 1_700_000_000_123 });
    await api.events.sendState('!r:example.org', 'm.room.topic', '', { topic: 't' }, { ts: 1_700_000_000_456 });
    await api.events.send('!r:example.org', 'm.room.message', { body: 'y' });
    assert.equal(fake.received[0]!.query.get('ts'), '1700000000123');
    assert.equal(fake.received[1]!.query.get('ts'), '1700000000456');
    assert.equal(fake.received[1]!.method, 'PUT');
    assert.equal(fake.received[1]!.path, '/_matrix/client/v3/rooms/!r%3Aexample.org/state/m.room.topic/');
    assert.equal(fake.received[2]!.query.get('ts'), null);
    await assert.rejects(api.events.send('!r:example.org', 'm.room.message', {}, { ts: 1.5 }), RangeError);
  });

  it('percent-encodes every path parameter', async () => {
    fake = await FakeHomeserver.start(() => ok({ room_id: '!r:example.org', servers: [] }));
    const api = apiFor(fake);
    await api.directory.resolveAlias('#irc_#chan/x:example.org');
    assert.equal(fake.received[0]!.path, '/_matrix/client/v3/directory/room/%23irc_%23chan%2Fx%3Aexample.org');
  });

  it('never writes the token into a log line, even at trace level', async () => {
    fake = await FakeHomeserver.start(inOrderRetry());
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const api = apiFor(fake, { logger: createLogger({ level: 'trace' }, sink) });
    await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }, { asUser: '@irc_bob:example.org' });
    assert.ok(lines.length >= 2, 'expected request and retry log lines');
    assert.ok(lines.every((line) => !line.includes(AS_TOKEN)));
    assert.ok(lines.some((line) => line.includes('"path":"/_matrix/client/v3/rooms/!r%3Aexample.org/send/m.room.message/')));
  });
});

function inOrderRetry() {
  return (_req: unknown, index: number) => index === 0 ? { status: 502, body: 'bad gateway' } : ok({ event_id: '$e' });
}
