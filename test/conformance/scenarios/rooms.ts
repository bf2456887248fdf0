import { enc } from '../subject.js';
import { by, createRoom, CS, inviteAndJoin, must, person, registerGhost, roomPath, say, txnId, type Scenario } from './common.js';

const CUSTOM = 'org.example.conformance';

/** Membership changes and their refusals, as a bridge's bot and ghosts meet them. */
export const membership: Scenario = {
  name: 'membership',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const bob = await person(s, o, 'bob');
    const ghost = await registerGhost(s, o, 'ghost');
    const roomId = await createRoom(s, o, alice, 'room', { name: 'Conformance' });

    o.response('invite a ghost', await by(s, alice, 'POST', roomPath(roomId, 'invite'), { body: { user_id: ghost.userId } }));
    o.response('invite the same ghost again', await by(s, alice, 'POST', roomPath(roomId, 'invite'), { body: { user_id: ghost.userId } }));
    o.response('/state while invited', await by(s, ghost, 'GET', roomPath(roomId, 'state')));
    o.response('a state event while invited', await by(s, ghost, 'GET', roomPath(roomId, 'state/m.room.create/')));
    o.response('join by room id', await by(s, ghost, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} }));
    o.response('join again while joined', await by(s, ghost, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} }));
    o.response('join through rooms/{id}/join', await by(s, ghost, 'POST', roomPath(roomId, 'join'), { body: {} }));
    o.response('join without an invite', await by(s, bob, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} }));
    o.response('join an unknown room', await by(s, bob, 'POST', `${CS}/join/${enc(`!unknown${txnId()}:${s.serverName}`)}`, { body: {} }));
    o.response('join an unknown alias', await by(s, bob, 'POST', `${CS}/join/${enc(`#unknown${txnId()}:${s.serverName}`)}`, { body: {} }));
    o.response('send without being a member', await by(s, bob, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body: 'x' } }));
    o.response('/state as a non-member', await by(s, bob, 'GET', roomPath(roomId, 'state')));
    o.response('invite by a non-member', await by(s, bob, 'POST', roomPath(roomId, 'invite'), { body: { user_id: ghost.userId } }));
    o.response('invite without user_id', await by(s, alice, 'POST', roomPath(roomId, 'invite'), { body: {} }));
    o.response('kick by a member without the power', await by(s, ghost, 'POST', roomPath(roomId, 'kick'), { body: { user_id: alice.userId } }));
    o.response('kick a ghost', await by(s, alice, 'POST', roomPath(roomId, 'kick'), { body: { user_id: ghost.userId, reason: 'conformance' } }));
    o.response('join after a kick, not invited', await by(s, ghost, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} }));
    o.response('ban a ghost', await by(s, alice, 'POST', roomPath(roomId, 'ban'), { body: { user_id: ghost.userId } }));
    o.response('invite a banned ghost', await by(s, alice, 'POST', roomPath(roomId, 'invite'), { body: { user_id: ghost.userId } }));
    o.response('unban', await by(s, alice, 'POST', roomPath(roomId, 'unban'), { body: { user_id: ghost.userId } }));
    o.response('kick someone not in the room', await by(s, alice, 'POST', roomPath(roomId, 'kick'), { body: { user_id: bob.userId } }));
    o.response('member event after unban', await by(s, alice, 'GET', roomPath(roomId, `state/m.room.member/${enc(ghost.userId)}`)));
    o.response('leave a room never joined', await by(s, bob, 'POST', roomPath(roomId, 'leave'), { body: {} }));
    await inviteAndJoin(s, alice, roomId, ghost);
    o.response('leave', await by(s, ghost, 'POST', roomPath(roomId, 'leave'), { body: {} }));
    o.response('joined_rooms after leaving', await by(s, ghost, 'GET', `${CS}/joined_rooms`));
    o.response('/state after leaving', await by(s, ghost, 'GET', roomPath(roomId, 'state')));
    o.response('send after leaving', await by(s, ghost, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body: 'x' } }));
  },
};

/** Sending with txnIds (and their idempotence), state, and reading a room back. */
export const events: Scenario = {
  name: 'events',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const ghost = await registerGhost(s, o, 'ghost');
    const bot = { token: s.registration.as_token };
    const roomId = await createRoom(s, o, alice, 'room', { name: 'Events', topic: 'conformance' });
    await inviteAndJoin(s, alice, roomId, ghost);

    const sendPath = roomPath(roomId, `send/m.room.message/${txnId()}`);
    const first = await by(s, ghost, 'PUT', sendPath, { body: { msgtype: 'm.text', body: 'once' } });
    o.response('send', first);
    const firstId = (first.body as { event_id: string }).event_id;
    o.name(firstId, 'message');
    o.response('send again with the same txnId', await by(s, ghost, 'PUT', sendPath, { body: { msgtype: 'm.text', body: 'once' } }));
    o.response('same txnId, other content', await by(s, ghost, 'PUT', sendPath, { body: { msgtype: 'm.text', body: 'twice' } }));
    const other = await by(s, alice, 'PUT', sendPath, { body: { msgtype: 'm.text', body: 'once' } });
    o.exact('same txnId by another user is another event', other.status === 200 && (other.body as { event_id?: string }).event_id !== firstId);
    o.response('send with a bad body', await by(s, ghost, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: [1, 2] }));
    o.response('send with ?ts= as the appservice', await by(s, ghost, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body: 'ts' }, query: { ts: '1700000000000' } }));

    const statePath = roomPath(roomId, `state/${CUSTOM}/key`);
    o.response('put state by a user without the power', await by(s, ghost, 'PUT', statePath, { body: { n: 1 } }));
    o.response('put state', await by(s, alice, 'PUT', statePath, { body: { n: 1 } }));
    o.response('put the same state again', await by(s, alice, 'PUT', statePath, { body: { n: 1 } }));
    o.response('get state', await by(s, ghost, 'GET', statePath));
    o.response('get missing state', await by(s, ghost, 'GET', roomPath(roomId, `state/${CUSTOM}/missing`)));
    o.response('get state with an empty key', await by(s, ghost, 'GET', roomPath(roomId, 'state/m.room.name/')));
    o.response('get state without the key', await by(s, ghost, 'GET', roomPath(roomId, 'state/m.room.name')));
    const state = await by(s, ghost, 'GET', roomPath(roomId, 'state'));
    o.response('/state', state);
    o.exactSet('/state types', (state.body as Array<{ type: string; state_key: string }>).map((e) => [e.type, e.state_key]));
    o.response('/members', await by(s, ghost, 'GET', roomPath(roomId, 'members')));
    o.response('/joined_members', await by(s, ghost, 'GET', roomPath(roomId, 'joined_members')));
    o.response('/joined_members as the bot, not in the room', await by(s, bot, 'GET', roomPath(roomId, 'joined_members')));
    o.response('/event', await by(s, ghost, 'GET', roomPath(roomId, `event/${enc(firstId)}`)));
    o.response('/event unknown', await by(s, ghost, 'GET', roomPath(roomId, `event/${enc('$unknown' + txnId())}`)));

    const redactPath = roomPath(roomId, `redact/${enc(firstId)}/${txnId()}`);
    const redaction = await by(s, ghost, 'PUT', redactPath, { body: { reason: 'conformance' } });
    o.response('redact', redaction);
    o.name((redaction.body as { event_id: string }).event_id, 'redaction');
    o.response('redact again with the same txnId', await by(s, ghost, 'PUT', redactPath, { body: { reason: 'conformance' } }));
    o.response('/event after redaction', await by(s, ghost, 'GET', roomPath(roomId, `event/${enc(firstId)}`)));
    o.response('redact an unknown event', await by(s, ghost, 'PUT', roomPath(roomId, `redact/${enc('$unknown' + txnId())}/${txnId()}`), { body: {} }));
    const aliceMessage = await say(s, alice, roomId, 'mine');
    o.response("redact another user's event without the power", await by(s, ghost, 'PUT', roomPath(roomId, `redact/${enc(aliceMessage)}/${txnId()}`), { body: {} }));
    await must(s, alice, 'POST', roomPath(roomId, 'leave'), { body: {} });
  },
};
