import { Sections } from '../store/layout.js';
import type { JsonObject, RoomEvent } from '../events/types.js';
import type { RoomView } from '../mirror/index.js';
import { del, put, type Section, type Store } from '../store/store.js';

/** One state write the homeserver confirmed. */
export interface StateWrite {
  readonly content: JsonObject;
  readonly sender: string;
  /** Known for state sends; membership endpoints do not return one. */
  readonly eventId?: string;
}

/** Our writes at one key since the mirror last held `base` there. */
interface UnechoedRecord {
  /** Event id the mirror held at the key before the first of `writes`; null when it held none. */
  readonly base: string | null;
  /** Oldest first; the last is what the key holds now, as far as we know. */
  readonly writes: readonly StateWrite[];
  readonly at: number;
}

/** What the mirror held at a key just before a write: pass it to `record` after the write succeeded. */
export interface Snapshot {
  readonly roomId: string;
  readonly type: string;
  readonly stateKey: string;
  readonly base: string | null;
  readonly pending: UnechoedRecord | undefined;
}

/** Store section (key: `<roomId>\0<type>\0<stateKey>`). */
export const UNECHOED_SECTION = Sections.puppetsUnechoed;

/**
 * State changes the homeserver accepted (joins, invites, kicks, power levels …) whose echo
 * the mirror may not have applied yet. The mirror itself is only ever updated from the
 * echo; this record lets the puppets see their own confirmed writes meanwhile, so that
 * `ensureJoined` followed at once by a send is neither a second join nor a refusal.
 *
 * A record holds while the mirror's event at the key is the one it held before our
 * writes, or the echo of one of our earlier writes (it is catching up). Once the mirror
 * holds the echo of our last write, or anything else (someone acted after us), the mirror
 * is the truth again and the record is dropped. No clocks are compared.
 */
export class UnechoedWrites {
  private readonly section: Section<UnechoedRecord>;

  constructor(private readonly store: Store) {
    this.section = store.section<UnechoedRecord>(UNECHOED_SECTION);
  }

  /** Call before the request. */
  async snapshot(view: RoomView | undefined, roomId: string, type: string, stateKey: string): Promise<Snapshot> {
    const current = await currentEvent(view, type, stateKey);
    const pending = await this.valid(roomId, type, stateKey, current);
    return { roomId, type, stateKey, base: current?.event_id ?? null, pending };
  }

  /** Call once the homeserver confirmed the write. */
  async record(snapshot: Snapshot, write: StateWrite): Promise<void> {
    const { roomId, type, stateKey, pending } = snapshot;
    const record: UnechoedRecord = pending
      ? { base: pending.base, writes: [...pending.writes, write], at: Date.now() }
      : { base: snapshot.base, writes: [write], at: Date.now() };
    await this.store.write([put(this.section, key(roomId, type, stateKey), record)]);
  }

  /** The content of our last write at the key, while the mirror has not caught up with it; undefined otherwise. */
  async get(view: RoomView | undefined, roomId: string, type: string, stateKey: string): Promise<JsonObject | undefined> {
    const record = await this.valid(roomId, type, stateKey, await currentEvent(view, type, stateKey));
    return record?.writes.at(-1)?.content;
  }

  /** The record, when it still holds against the mirror's `current` event; dropped otherwise. */
  private async valid(roomId: string, type: string, stateKey: string, current: RoomEvent | undefined): Promise<UnechoedRecord | undefined> {
    const k = key(roomId, type, stateKey);
    const record = await this.section.get(k);
    if (!record) return undefined;
    if (holds(record, current)) return record;
    await this.store.write([del(this.section, k)]);
    return undefined;
  }
}

function holds(record: UnechoedRecord, current: RoomEvent | undefined): boolean {
  if ((current?.event_id ?? null) === record.base) return true;
  if (!current) return false;
  const last = record.writes.length - 1;
  const echoed = record.writes.findIndex((write) => isEchoOf(current, write));
  // Holds while the mirror shows an earlier write of ours; not once it shows the last, or something else.
  return echoed >= 0 && echoed < last && !isEchoOf(current, record.writes[last]!);
}

function isEchoOf(event: RoomEvent, write: StateWrite): boolean {
  if (write.eventId !== undefined) return event.event_id === write.eventId;
  // Membership endpoints return no event id: the same sender setting the same membership is the echo.
  return event.sender === write.sender && event.content['membership'] === write.content['membership'];
}

async function currentEvent(view: RoomView | undefined, type: string, stateKey: string): Promise<RoomEvent | undefined> {
  return view ? view.stateEvent(type, stateKey) : undefined;
}

function key(roomId: string, type: string, stateKey: string): string {
  return `${roomId}\u0000${type}\u0000${stateKey}`;
}
