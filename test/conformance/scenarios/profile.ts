import { enc } from '../subject.js';
import { by, createRoom, CS, inviteAndJoin, person, registerGhost, roomPath, unique, type Scenario } from './common.js';

/** Profiles and presence of ghosts, set through the appservice, and a display name reaching a room. */
export const profile: Scenario = {
  name: 'profile',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const ghost = await registerGhost(s, o, 'ghost');
    const roomId = await createRoom(s, o, alice, 'room');
    await inviteAndJoin(s, alice, roomId, ghost);
    const profilePath = `${CS}/profile/${enc(ghost.userId)}`;

    o.response('profile of a new ghost', await by(s, alice, 'GET', profilePath));
    o.response('displayname of a new ghost', await by(s, alice, 'GET', `${profilePath}/displayname`));
    o.response('set displayname', await by(s, ghost, 'PUT', `${profilePath}/displayname`, { body: { displayname: 'Ghost One' } }));
    o.response('set avatar_url', await by(s, ghost, 'PUT', `${profilePath}/avatar_url`, { body: { avatar_url: `mxc://${s.serverName}/conformanceavatar` } }));
    o.response('set displayname without a body field', await by(s, ghost, 'PUT', `${profilePath}/displayname`, { body: {} }));
    o.response('profile', await by(s, alice, 'GET', profilePath));
    o.response('displayname', await by(s, alice, 'GET', `${profilePath}/displayname`));
    o.response('avatar_url', await by(s, alice, 'GET', `${profilePath}/avatar_url`));
    const member = await by(s, alice, 'GET', roomPath(roomId, `state/m.room.member/${enc(ghost.userId)}`));
    o.response('member event after the profile change', member);
    o.exact('the room shows the new name', (member.body as { displayname?: unknown }).displayname === 'Ghost One');
    o.response("set another user's displayname", await by(s, alice, 'PUT', `${profilePath}/displayname`, { body: { displayname: 'Hijack' } }));
    o.response('profile of an unknown user', await by(s, alice, 'GET', `${CS}/profile/${enc(`@${unique('nobody')}:${s.serverName}`)}`));
    o.response('profile of an unknown ghost', await by(s, alice, 'GET', `${CS}/profile/${enc(`@${s.prefix}${unique('nobody')}:${s.serverName}`)}`));

    const presencePath = `${CS}/presence/${enc(ghost.userId)}/status`;
    o.response('set presence', await by(s, ghost, 'PUT', presencePath, { body: { presence: 'online', status_msg: 'bridged' } }));
    o.response('get presence', await by(s, alice, 'GET', presencePath));
    o.response('set an invalid presence', await by(s, ghost, 'PUT', presencePath, { body: { presence: 'asleep' } }));
    o.response("set another user's presence", await by(s, alice, 'PUT', presencePath, { body: { presence: 'offline' } }));
    o.response('set presence offline', await by(s, ghost, 'PUT', presencePath, { body: { presence: 'offline' } }));
    o.response('get presence offline', await by(s, alice, 'GET', presencePath));
  },
};
