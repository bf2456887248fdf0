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
    o.value('presence of a user sharing a room', await s.listener.waitForEphemeral(EPHEMERAL, (e) => e['type'] === 'm.presence' && e['sender'] === alice.userId, 'the presence'));
  },
};
