import { hashId } from '../inbox/id-hash.js';

/** 30 bits: small integers, which a Set holds without a heap number each. */
const HASH_RANGE = 0x40000000;

const hashOf = (type: string, stateKey: string) => hashId(`${type}\u0000${stateKey}`) % HASH_RANGE;
const eventHashOf = (eventId: string) => hashId(eventId) % HASH_RANGE;

/**
 * Which state keys a room has on disk, as hashes, for a room this process saw whole
 * (fetched, or met through its create event with nothing stored before). A state event
 * that sets a key whose hash is absent needs no read of the previous event: there is
 * none. A hash present may be a collision, so that case reads as before. Always a
 * superset of what is stored: a key is added before its write, and a failed write only
 * costs a read later. About 20 bytes a key, bounded with the room cache that holds it.
 *
 * Likewise the event IDs of the room's state events, as hashes (another 20 bytes a key):
 * the event index holds only superseded and fetched events (see `layout.ts`), so a
 * redaction whose target the index lacks asks here whether the target can be current
 * state at all; only then is the room's state read.
 */
export class StateKeys {
  private readonly hashes = new Set<number>();
  private readonly eventHashes = new Set<number>();
  /** The last key hashed: a new key is asked about, then added, so each is hashed once. */
  private lastType = '';
  private lastKey = '';
  private lastHash = -1;

  constructor(events: Iterable<{ readonly type: string; readonly state_key: string; readonly event_id: string }> = []) {
    for (const event of events) {
      this.add(event.type, event.state_key);
      this.addEvent(event.event_id);
    }
  }

  mayHave(type: string, stateKey: string): boolean {
    return this.hashes.has(this.hash(type, stateKey));
  }

  add(type: string, stateKey: string): void {
    this.hashes.add(this.hash(type, stateKey));
  }

  /** False when no state event of the room has this ID; true may be a collision. */
  mayHoldEvent(eventId: string): boolean {
    return this.eventHashes.has(eventHashOf(eventId));
  }

  addEvent(eventId: string): void {
    this.eventHashes.add(eventHashOf(eventId));
  }

  private hash(type: string, stateKey: string): number {
    if (this.lastHash < 0 || type !== this.lastType || stateKey !== this.lastKey) {
      this.lastType = type;
      this.lastKey = stateKey;
      this.lastHash = hashOf(type, stateKey);
    }
    return this.lastHash;
  }
}
