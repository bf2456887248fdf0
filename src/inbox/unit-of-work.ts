import { del, put, type Section, type WriteOp } from '../store/index.js';

/**
 * The writes a handler makes while handling one item. They are committed in the same
 * atomic batch that marks the item handled, so a crash either keeps both or neither:
 * a redelivered item never finds half of its own effects.
 */
export class UnitOfWork {
  private readonly written: WriteOp[] = [];

  put<V>(section: Section<V>, key: string, value: V): void {
    this.written.push(put(section, key, value));
  }

  del<V>(section: Section<V>, key: string): void {
    this.written.push(del(section, key));
  }

  get ops(): readonly WriteOp[] {
    return this.written;
  }
}
