import { enc } from '../subject.js';
import { by, createRoom, CS, must, person, registerGhost, roomPath, txnId, unique, type Scenario } from './common.js';

interface StateEvent { type: string; state_key: string; sender: string; event_id: string; content: Record<string, unknown> }

/** What a room's state says, comparably: member events by their membership only (profiles differ by server). */
function comparable(events: readonly StateEvent[]): unknown[] {
  return events.map((e) => ({
    type: e.type, state_key: e.state_key, sender: e.sender,
    content: e.type === 'm.room.member' ? { membership: e.content['membership'] } : e.content,
  }));
}

/** `POST /rooms/{roomId}/upgrade`: its refusals, the new room's state, and what happens to the old room. */
export const upgrades: Scenario = {
  name: 'upgrades',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const bob = await person(s, o, 'bob');
    const ghost = await registerGhost(s, o, 'ghost');
    const alias = o.name(`#${unique('upgraded')}:${s.serverName}`, 'alias');
    const roomId = await createRoom(s, o, alice, 'old room', {
      preset: 'public_chat', name: 'Before', topic: 'upgrade me', room_alias_name: alias.slice(1, alias.indexOf(':')),
    });
    await must(s, bob, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} });
    await must(s, ghost, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} });
    const upgrade = (body: Record<string, unknown>, room = roomId, caller: { token: string } = alice) =>
      by(s, caller, 'POST', roomPath(room, 'upgrade'), { body });

    o.response('upgrade without new_version', await upgrade({}));
    o.response('upgrade to an unknown version', await upgrade({ new_version: '99' }));
    o.response('upgrade by a member without the power', await upgrade({ new_version: '11' }, roomId, bob));
    o.response('upgrade an unknown room', await upgrade({ new_version: '11' }, `!unknown${txnId()}:${s.serverName}`));
    await must(s, alice, 'POST', roomPath(roomId, 'ban'), { body: { user_id: bob.userId } });

    const answer = await upgrade({ new_version: '11' });
    const newRoom = o.name(String((answer.body as { replacement_room: string }).replacement_room), 'new room');
    o.response('upgrade', answer);
    const oldState = await must(s, alice, 'GET', roomPath(roomId, 'state')) as unknown as StateEvent[];
    const tombstone = oldState.find((e) => e.type === 'm.room.tombstone');
    if (tombstone) o.name(tombstone.event_id, 'tombstone');
    o.exactSet('the new room\'s state', comparable(await must(s, alice, 'GET', roomPath(newRoom, 'state')) as unknown as StateEvent[]));
    o.exactSet('the old room\'s state afterwards', comparable(oldState.filter((e) => ['m.room.tombstone', 'm.room.power_levels', 'm.room.canonical_alias'].includes(e.type))));
    o.exact('the alias resolves to', (await must(s, alice, 'GET', `${CS}/directory/room/${enc(alias)}`))['room_id']);
    o.response('a ghost sends in the old room', await by(s, ghost, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body: 'x' } }));
    o.response('a ghost joins the new room', await by(s, ghost, 'POST', `${CS}/join/${enc(newRoom)}`, { body: {} }));
  },
};
