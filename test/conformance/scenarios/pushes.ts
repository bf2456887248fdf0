import { enc } from '../subject.js';
import { by, createRoom, CS, must, person, registerGhost, roomPath, say, txnId, type Scenario, EPHEMERAL } from './common.js';

type Pushed = Record<string, unknown>;
/** The events a homeserver pushes to the appservice: which ones, and in what shape. */
export const pushes: Scenario = {
  name: 'pushed events',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const ghost = await registerGhost(s, o, 'ghost');
    const roomId = await createRoom(s, o, alice, 'room', { name: 'Pushed', topic: 'first' });
    const inRoom = (type: string, extra: (e: Pushed) => boolean = () => true) => (e: Pushed) => e['room_id'] === roomId && e['type'] === type && extra(e);
    const wait = (what: string, predicate: (e: Pushed) => boolean) => s.listener.waitForEvent(predicate, `${what} in ${roomId}`);

    await must(s, alice, 'POST', roomPath(roomId, 'invite'), { body: { user_id: ghost.userId } });
    const invite = await wait('the invite', inRoom('m.room.member', (e) => e['state_key'] === ghost.userId));
    o.value('invite of a ghost', invite);
    await must(s, ghost, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} });
    o.value('join of a ghost', await wait('the join', inRoom('m.room.member', (e) => e['state_key'] === ghost.userId && (e['content'] as Pushed)['membership'] === 'join')));

    const messageId = o.name(await say(s, alice, roomId, 'hello'), 'message');
    o.value('message', await wait('the message', (e) => e['event_id'] === messageId));
    const ownId = o.name(await say(s, ghost, roomId, 'from the ghost'), 'own');
    o.value("the appservice's own message", await wait('its own message', (e) => e['event_id'] === ownId));
    await must(s, alice, 'PUT', roomPath(roomId, 'state/m.room.topic/'), { body: { topic: 'second' } });
    o.value('state with a previous value', await wait('the topic change', inRoom('m.room.topic', (e) => (e['content'] as Pushed)['topic'] === 'second')));
    const redaction = await must(s, alice, 'PUT', roomPath(roomId, `redact/${enc(messageId)}/${txnId()}`), { body: { reason: 'gone' } });
    o.name(String(redaction['event_id']), 'redaction');
    o.value('redaction', await wait('the redaction', inRoom('m.room.redaction')));
    const stamped = await must(s, ghost, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body: 'old' }, query: { ts: '1700000000000' } });
    const stampedEvent = await wait('the timestamped message', (e) => e['event_id'] === stamped['event_id']);
    o.exact('?ts= sets origin_server_ts', stampedEvent['origin_server_ts'] === 1_700_000_000_000);

    await by(s, alice, 'PUT', roomPath(roomId, `typing/${enc(alice.userId)}`), { body: { typing: true, timeout: 10_000 } });
    const typing = await s.listener.waitForEphemeral(EPHEMERAL, (e) => e['type'] === 'm.typing' && e['room_id'] === roomId
      && ((e['content'] as Pushed)['user_ids'] as unknown[]).includes(alice.userId), 'typing');
    o.value('typing', typing);
    await by(s, alice, 'POST', roomPath(roomId, `receipt/m.read/${enc(ownId)}`), { body: {} });
    o.value('receipt', await s.listener.waitForEphemeral(EPHEMERAL, (e) => e['type'] === 'm.receipt' && e['room_id'] === roomId
      && JSON.stringify(e['content']).includes('"m.read"'), 'the receipt'));
    await by(s, alice, 'POST', roomPath(roomId, `receipt/m.read.private/${enc(ownId)}`), { body: {} });
    o.value('private receipt', await s.listener.waitForEphemeral(EPHEMERAL, (e) => e['type'] === 'm.receipt' && e['room_id'] === roomId
      && JSON.stringify(e['content']).includes('m.read.private'), 'the private receipt'));
    const keys = new Set(s.listener.transactions.flatMap((t) => Object.keys(t.body)));
    o.exact('transaction keys seen', [...keys].sort());
  },
};

/** M_LIMIT_EXCEEDED: status, body and headers. */
export const rateLimit: Scenario = {
  name: 'rate limit',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const roomId = await createRoom(s, o, alice, 'room');
    await s.limitSends(alice, roomId);
    try {
      const limited = await by(s, alice, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body: 'too fast' } });
      o.response('send over the limit', limited, ['retry-after']);
    } finally {
      await s.unlimitSends(alice);
    }
  },
};
