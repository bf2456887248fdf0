import { enc } from '../subject.js';
import { asAppservice, by, createRoom, CS, person, unique, type Scenario } from './common.js';

/** Aliases in and out of the appservice's namespace, and the room directory. */
export const directory: Scenario = {
  name: 'directory',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const bot = asAppservice(s);
    const roomId = await createRoom(s, o, alice, 'room');
    const ours = `#${s.prefix}${unique('alias')}:${s.serverName}`;
    const free = `#${unique('free')}:${s.serverName}`;
    o.name(ours, 'ours');
    o.name(free, 'free');
    const path = (alias: string) => `${CS}/directory/room/${enc(alias)}`;

    o.response('create an alias in the namespace', await by(s, bot, 'PUT', path(ours), { body: { room_id: roomId } }));
    o.response('create it again', await by(s, bot, 'PUT', path(ours), { body: { room_id: roomId } }));
    o.response('resolve it', await by(s, alice, 'GET', path(ours)));
    o.response('a user creates an alias in the namespace', await by(s, alice, 'PUT', path(`#${s.prefix}${unique('taken')}:${s.serverName}`), { body: { room_id: roomId } }));
    o.response('a user creates a free alias', await by(s, alice, 'PUT', path(free), { body: { room_id: roomId } }));
    o.response('an alias without room_id', await by(s, alice, 'PUT', path(`#${unique('x')}:${s.serverName}`), { body: {} }));
    o.response('an alias for an unknown room', await by(s, alice, 'PUT', path(`#${unique('x')}:${s.serverName}`), { body: { room_id: `!nope${unique('r')}:${s.serverName}` } }));
    o.response('an invalid alias', await by(s, alice, 'PUT', path('not-an-alias'), { body: { room_id: roomId } }));
    o.response('delete our alias', await by(s, bot, 'DELETE', path(ours)));
    o.response('resolve a deleted alias', await by(s, alice, 'GET', path(ours)));
    o.response('delete an unknown alias', await by(s, bot, 'DELETE', path(`#${s.prefix}${unique('gone')}:${s.serverName}`)));
    o.response("delete another user's alias as the appservice", await by(s, bot, 'DELETE', path(free)));

    const list = `${CS}/directory/list/room/${enc(roomId)}`;
    o.response('room visibility', await by(s, alice, 'GET', list));
    o.response('publish the room', await by(s, alice, 'PUT', list, { body: { visibility: 'public' } }));
    o.response('room visibility after publishing', await by(s, alice, 'GET', list));
    o.response('visibility of an unknown room', await by(s, alice, 'GET', `${CS}/directory/list/room/${enc(`!nope${unique('r')}:${s.serverName}`)}`));
    o.response('publish in the appservice room list', await by(s, bot, 'PUT', `${CS}/directory/list/appservice/conformance/${enc(roomId)}`, { body: { visibility: 'public' } }));

    const named = await by(s, alice, 'POST', `${CS}/createRoom`, { body: { preset: 'public_chat', room_alias_name: unique('named') } });
    o.response('createRoom with room_alias_name', named);
    const taken = await by(s, alice, 'POST', `${CS}/createRoom`, { body: { room_alias_name: free.slice(1, free.indexOf(':')) } });
    o.response('createRoom with a taken alias', taken);
  },
};
