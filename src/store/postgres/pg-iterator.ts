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
  /** The last key fetched: the next page starts past it. */
  private last: Buffer | undefined;
  /** Where `seek()` moved to: the next page starts there (inclusive). */
  private target: Buffer | undefined;
  private done = false;
  private pages = 0;
  /** Entries handed out (the base class counts only after `_nextv`/`_all` return). */
  private served = 0;
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
    this.served++;
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

  _seek(target: Buffer): void {
    this.page = [];
    this.at = 0;
    this.last = undefined;
    this.target = target;
    this.done = false;
  }

  private async fill(): Promise<void> {
    const { reverse, limit } = this.range;
    let size = this.pages === 0 ? FIRST_PAGE : PAGE;
    // The page is empty here: nothing fetched is unseen, so the limit left is what was not served.
    if (limit >= 0) size = Math.min(size, limit - this.served);
    if (size <= 0) {
      this.page = [];
      this.done = true;
      return;
    }
    const params: unknown[] = [];
    let where = rangeWhere(this.range, params);
    // Past the last key seen (keyset paging), or from where seek() moved to.
    const from = this.last ?? this.target;
    if (from !== undefined) {
      params.push(from);
      const inclusive = this.last === undefined;
      where += ` AND k ${reverse ? '<' : '>'}${inclusive ? '=' : ''} $${params.length}`;
    }
    params.push(size);
    const rows = await this.db.query<{ k: Buffer; v: Buffer | null }>(
      `SELECT k, ${this.range.values ? 'v' : 'NULL::bytea AS v'} FROM ${this.db.tables.kv} WHERE ${where} ORDER BY k ${reverse ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
    this.pages++;
    this.page = rows.map((row) => [row.k, row.v ?? Buffer.alloc(0)]);
    this.at = 0;
    if (rows.length < size) this.done = true;
    if (rows.length > 0) this.last = rows[rows.length - 1]!.k;
  }
}
