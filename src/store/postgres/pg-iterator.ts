import { AbstractIterator, type AbstractIteratorOptions } from 'abstract-level';
import type { PgLevel } from './pg-level.js';
import { rangeWhere, type KeyRange } from './sql.js';

/** Rows fetched per query: small first (most reads want one or a few), larger after. */
const FIRST_PAGE = 32;
const PAGE = 512;

export interface PgIteratorOptions extends KeyRange {
  readonly reverse: boolean;
  readonly limit: number;
  readonly keys: boolean;
  readonly values: boolean;
}

/**
 * Walks a key range in pages, each page one indexed query that starts past the last key
 * seen (keyset paging): no connection is held between pages, so an iterator left open
 * costs nothing and cannot starve the pool. Unlike LevelDB's iterators it reads no
 * snapshot: a key written ahead of the position while iterating may be seen (the manifest
 * says `implicitSnapshots: false`); nothing in bridgekit relies on more.
 */
export class PgIterator extends AbstractIterator<PgLevel, Buffer, Buffer> {
  private page: Array<[Buffer, Buffer]> = [];
  private at = 0;
  private last: Buffer | undefined;
  private done = false;
  private fetched = 0;
  private readonly range: PgIteratorOptions;

  constructor(db: PgLevel, options: AbstractIteratorOptions<Buffer, Buffer> & PgIteratorOptions) {
    super(db, options);
    this.range = options;
  }

  async _next(): Promise<[Buffer, Buffer | undefined] | undefined> {
    if (this.at >= this.page.length) {
      if (this.done) return undefined;
      await this.fill();
      if (this.page.length === 0) return undefined;
    }
    const entry = this.page[this.at++]!;
    return [entry[0], this.range.values ? entry[1] : undefined];
  }

  async _nextv(size: number): Promise<Array<[Buffer, Buffer | undefined]>> {
    const out: Array<[Buffer, Buffer | undefined]> = [];
    while (out.length < size) {
      const entry = await this._next();
      if (!entry) break;
      out.push(entry);
    }
    return out;
  }

  async _all(): Promise<Array<[Buffer, Buffer | undefined]>> {
    return this._nextv(Number.MAX_SAFE_INTEGER);
  }

  private async fill(): Promise<void> {
    const { reverse, limit } = this.range;
    let size = this.fetched === 0 ? FIRST_PAGE : PAGE;
    if (limit >= 0) size = Math.min(size, limit - this.fetched);
    if (size <= 0) {
      this.page = [];
      this.done = true;
      return;
    }
    // Past the last key seen: the bound on the walking side moves, the other stays.
    const range: KeyRange = this.last === undefined ? this.range
      : reverse ? { gt: this.range.gt, gte: this.range.gte, lt: this.last } : { gt: this.last, lt: this.range.lt, lte: this.range.lte };
    const params: unknown[] = [];
    const where = rangeWhere(range, params);
    params.push(size);
    const rows = await this.db.query<{ k: Buffer; v: Buffer | null }>(
      `SELECT k, ${this.range.values ? 'v' : 'NULL::bytea AS v'} FROM ${this.db.tables.kv} WHERE ${where} ORDER BY k ${reverse ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
    this.page = rows.map((row) => [row.k, row.v ?? Buffer.alloc(0)]);
    this.at = 0;
    this.fetched += rows.length;
    if (rows.length < size) this.done = true;
    if (rows.length > 0) this.last = rows[rows.length - 1]!.k;
  }
}
