import { enc } from '../subject.js';
import { asAppservice, by, createRoom, CS, inviteAndJoin, person, registerGhost, roomPath, unique, type Scenario, EPHEMERAL } from './common.js';

/** What the homeserver asks of the appservice: ping, queries for unknown users and aliases, presence. */
export const appservice: Scenario = {
  name: 'appservice',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const bot = asAppservice(s);
    o.response('ping', await by(s, bot, 'POST', `/_matrix/client/v1/appservice/${enc(s.registration.id)}/ping`, { body: { transaction_id: unique('ping') } }));
    o.response('ping as a user', await by(s, alice, 'POST', `/_matrix/client/v1/appservice/${enc(s.registration.id)}/ping`, { body: {} }));
    o.response('ping of another appservice', await by(s, bot, 'POST', '/_matrix/client/v1/appservice/not-this-one/ping', { body: {} }));

    const roomId = await createRoom(s, o, alice, 'room');
    const unknownGhost = `@${s.prefix}${unique('unknown')}:${s.serverName}`;
    const queriesBefore = s.listener.queries.length;
    o.response('invite an unregistered ghost (the appservice knows none)', await by(s, alice, 'POST', roomPath(roomId, 'invite'), { body: { user_id: unknownGhost } }));
    const unknownAlias = `#${s.prefix}${unique('unknown')}:${s.serverName}`;
    o.response('join an unknown alias of the namespace', await by(s, alice, 'POST', `${CS}/join/${enc(unknownAlias)}`, { body: {} }));
    o.response('resolve an unknown alias of the namespace', await by(s, alice, 'GET', `${CS}/directory/room/${enc(unknownAlias)}`));
    o.exactSet('queries asked of the appservice', s.listener.queries.slice(queriesBefore).map((q) => q.replace(enc(unknownGhost), '<unknown ghost>').replace(enc(unknownAlias), '<unknown alias>')));

    const ghost = await registerGhost(s, o, 'ghost');
    await inviteAndJoin(s, alice, roomId, ghost);
    await by(s, alice, 'PUT', `${CS}/presence/${enc(alice.userId)}/status`, { body: { presence: 'online', status_msg: 'here' } });
    const typingPath = roomPath(roomId, `typing/${enc(ghost.userId)}`);
    o.response('typing', await by(s, ghost, 'PUT', typingPath, { body: { typing: true, timeout: 5_000 } }));
    o.response('typing stopped', await by(s, ghost, 'PUT', typingPath, { body: { typing: false } }));
    o.response('typing for another user', await by(s, alice, 'PUT', typingPath, { body: { typing: true, timeout: 5_000 } }));
    o.response('typing without the typing key', await by(s, ghost, 'PUT', typingPath, { body: {} }));
    const seen = await by(s, alice, 'PUT', roomPath(roomId, `send/m.room.message/${unique('t')}`), { body: { msgtype: 'm.text', body: 'read me' } });
    const seenId = String((seen.body as { event_id?: unknown }).event_id);
    o.response('receipt', await by(s, ghost, 'POST', roomPath(roomId, `receipt/m.read/${enc(seenId)}`), { body: {} }));
    o.response('receipt of an unknown type', await by(s, ghost, 'POST', roomPath(roomId, `receipt/m.nope/${enc(seenId)}`), { body: {} }));
    o.response('read markers', await by(s, ghost, 'POST', roomPath(roomId, 'read_markers'), { body: { 'm.fully_read': seenId, 'm.read': seenId } }));
    o.response('state as an event (format=event)', await by(s, ghost, 'GET', roomPath(roomId, 'state/m.room.create/'), { query: { format: 'event' } }));
    o.value('presence of a user sharing a room', await s.listener.waitForEphemeral(EPHEMERAL, (e) => e['type'] === 'm.presence' && e['sender'] === alice.userId, 'the presence'));
  },
};
