import { parseTransaction } from '../events/index.js';
import { stringifyJson } from '../json/index.js';
import type { DeviceChanges, InboundItem, Transaction } from '../events/types.js';

/**
 * The head of a journal record; the homeserver's request body follows it as sent.
 * Short names: one of these is written per transaction.
 */
export interface RecordHeader {
  /** The homeserver's txnId. */
  readonly t: string;
  /** When the transaction was accepted (ms since the epoch). */
  readonly r: number;
  /** How many items the body holds: the record uses sequence numbers `seq .. seq + n - 1`. */
  readonly n: number;
  /** Indexes of the items that were duplicates when the transaction was accepted. */
  readonly d?: readonly number[];
}

export interface DecodedRecord {
  readonly header: RecordHeader;
  /** Every item of the body, duplicates included, so that indexes match the header's. */
  readonly items: readonly InboundItem[];
}

const NEWLINE = 0x0a;
const CLOSE = 0x5d; // ]

/**
 * The items of a transaction in their journal order: events, then ephemeral, then
 * to-device, then the transaction's device data (one item), as `parseTransaction` yields them. Re-parsing the stored body yields the
 * same list, which is what lets a record name its items by index.
 */
export function itemsOf(txn: Transaction): InboundItem[] {
  const items: InboundItem[] = [];
  for (const event of txn.events) items.push({ kind: 'event', event });
  for (const event of txn.ephemeral) items.push({ kind: 'ephemeral', event });
  for (const message of txn.toDevice) items.push({ kind: 'to_device', message });
  // Last, so that records journaled before device data was read keep their item indexes.
  if (txn.deviceChanges) items.push({ kind: 'device_changes', changes: txn.deviceChanges });
  return items;
}

/**
 * Bytes left free before a body read into `bodyBuffer`, for the record's header: a
 * transaction's header (txnId, time, count) fits unless its txnId or duplicate list is long.
 */
const HEAD_ROOM = 160;
/** Bodies made by `bodyBuffer`: their memory before and after the view is this module's. */
const roomy = new WeakSet<Uint8Array>();

/**
 * A buffer for a request body of `size` bytes with free memory around it, so that
 * `encodeRecord` can write the record's header and close in place instead of copying the
 * body (a transaction's body is about 1 KB per event, and it was copied once more per batch).
 */
export function bodyBuffer(size: number): Buffer {
  const whole = Buffer.allocUnsafeSlow(HEAD_ROOM + size + 1);
  const body = whole.subarray(HEAD_ROOM, HEAD_ROOM + size);
  roomy.add(body);
  return body;
}

/**
 * `[<header>,\n<body>]`: the body's bytes untouched, and still one JSON value like every
 * other value in the store. The header's JSON holds no raw newline, so the first one
 * ends it. A body from `bodyBuffer` gets the record written around it in its own memory.
 */
export function encodeRecord(header: RecordHeader, body: Uint8Array): Buffer {
  const head = `[${JSON.stringify(header)},\n`;
  const headBytes = Buffer.byteLength(head, 'utf8');
  // Once per body: a second record written around the same bytes would overwrite the first's header.
  if (headBytes <= HEAD_ROOM && roomy.delete(body)) {
    const record = Buffer.from(body.buffer, body.byteOffset - headBytes, headBytes + body.length + 1);
    record.write(head, 0, 'utf8');
    record[record.length - 1] = CLOSE;
    return record;
  }
  const record = Buffer.allocUnsafe(headBytes + body.length + 1);
  record.write(head, 0, 'utf8');
  record.set(body, headBytes);
  record[record.length - 1] = CLOSE;
  return record;
}

/** The header only, without parsing the body (for the next free sequence number). */
export function decodeHeader(value: Buffer): RecordHeader {
  return JSON.parse(value.toString('utf8', 1, value.indexOf(NEWLINE) - 1)) as RecordHeader;
}

/** Re-parses a stored record. Throws when the body no longer parses (e.g. stricter validation). */
export function decodeRecord(value: Buffer): DecodedRecord {
  const newline = value.indexOf(NEWLINE);
  const header = JSON.parse(value.toString('utf8', 1, newline - 1)) as RecordHeader;
  let items = itemsOf(parseTransaction(JSON.parse(value.toString('utf8', newline + 1, value.length - 1))));
  // Journaled by a version that did not read MSC3202 data: its device data was not an item then.
  if (items.length === header.n + 1 && items[header.n]!.kind === 'device_changes') items = items.slice(0, header.n);
  if (items.length !== header.n) throw new Error(`the body holds ${items.length} items, the header says ${header.n}`);
  return { header, items };
}

/** A transaction body holding just `item` (a replayed dead letter's record). */
export function singleItemBody(item: InboundItem): Buffer {
  const body = item.kind === 'event' ? { events: [item.event] }
    : item.kind === 'ephemeral' ? { events: [], ephemeral: [item.event] }
    : item.kind === 'to_device' ? { events: [], to_device: [item.message] }
    : { events: [], ...deviceChangesBody(item.changes) };
  return Buffer.from(stringifyJson(body), 'utf8');
}

/** A body for a transaction handed over without its bytes; parsed back so indexes agree. */
export function bodyOf(txn: Transaction): { txn: Transaction; raw: Buffer } {
  const raw = Buffer.from(stringifyJson({
    events: txn.events, ephemeral: txn.ephemeral, to_device: txn.toDevice, ...(txn.deviceChanges && deviceChangesBody(txn.deviceChanges)),
  }), 'utf8');
  return { txn: parseTransaction(JSON.parse(raw.toString('utf8'))), raw };
}

/** Device data written back under the MSC3202 keys `parseTransaction` reads. */
function deviceChangesBody(changes: DeviceChanges): Record<string, unknown> {
  return {
    'org.matrix.msc3202.device_lists': changes.deviceLists,
    'org.matrix.msc3202.device_one_time_keys_count': changes.oneTimeKeyCounts,
    'org.matrix.msc3202.device_unused_fallback_key_types': changes.unusedFallbackKeyTypes,
  };
}
