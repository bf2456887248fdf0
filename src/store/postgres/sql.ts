import { escapeIdentifier } from 'pg';

/** The table names of one store, qualified by its schema and quoted once. */
export interface StoreTables {
  readonly schema: string;
  /** The schema's name quoted for SQL. */
  readonly quotedSchema: string;
  /** Every section's keys and values: `k` is the key with its section's prefix, bytes compare as LevelDB's do. */
  readonly kv: string;
  /** The schema migrations applied, one row per version. */
  readonly migrations: string;
  /** Cluster mode: the live bridge processes, one row each, kept by its heartbeat. */
  readonly processes: string;
  /** Cluster mode: which process handles a lane (a room) or holds a connection; gone with its process. */
  readonly leases: string;
  /** Cluster mode until migration 3: the shared journal, one row per item (its items moved to `journal`, then dropped). */
  readonly inbox: string;
  /** Cluster mode: the shared journal, one row per journaled transaction (its new items), pruned once every item is handled. */
  readonly journal: string;
  /** Cluster mode: per lane, the sequence number up to which its items are handled (a watermark, not a row per item). */
  readonly laneAcks: string;
  /** Cluster mode: the dedupe window, every item id journaled recently. */
  readonly inboxIds: string;
  /** Cluster mode: the shared journal's next sequence number (one row; its lock orders the inserts). */
  readonly inboxCounter: string;
}

export const DEFAULT_SCHEMA = 'public';

export function storeTables(schema: string): StoreTables {
  const s = escapeIdentifier(schema);
  return {
    schema, quotedSchema: s, kv: `${s}.bridgekit_kv`, migrations: `${s}.bridgekit_migrations`,
    processes: `${s}.bridgekit_processes`, leases: `${s}.bridgekit_leases`, inbox: `${s}.bridgekit_inbox`, inboxIds: `${s}.bridgekit_inbox_ids`, inboxCounter: `${s}.bridgekit_inbox_counter`,
    journal: `${s}.bridgekit_journal`, laneAcks: `${s}.bridgekit_lane_acks`,
  };
}

/** A key range as abstract-level hands it over: bounds already encoded as bytes. */
export interface KeyRange {
  readonly gt?: Buffer;
  readonly gte?: Buffer;
  readonly lt?: Buffer;
  readonly lte?: Buffer;
}

/**
 * The WHERE conditions of a range, with its bounds appended to `params`. bytea compares
 * byte by byte (then by length), the order LevelDB keeps keys in, so ranges mean the same.
 */
export function rangeWhere(range: KeyRange, params: unknown[]): string {
  const parts: string[] = [];
  const bound = (op: string, value: Buffer | undefined) => {
    if (value === undefined) return;
    params.push(value);
    parts.push(`k ${op} $${params.length}`);
  };
  // As abstract-level specifies: gte and lte take precedence over gt and lt.
  if (range.gte !== undefined) bound('>=', range.gte);
  else bound('>', range.gt);
  if (range.lte !== undefined) bound('<=', range.lte);
  else bound('<', range.lt);
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

/** The store's URL for logs and messages: never its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'postgres://(unparsable url)';
  }
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
