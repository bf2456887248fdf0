import type { HttpJsonResponse } from '../../src/testing/http-json.js';

/**
 * What one scenario saw, as comparable data: status codes, errcodes, response shapes
 * (keys and value types, never random ids), and the few values that carry meaning
 * (memberships, event types, "the retry gave the same event id").
 */
export type Observation = Record<string, unknown>;

/** String values kept as they are in a shape: enums of the spec, not ids. */
const MEANINGFUL_KEYS = new Set([
  'errcode', 'type', 'membership', 'msgtype', 'presence', 'join_rule', 'history_visibility',
  'visibility', 'content_type', 'home_server', 'room_version', 'guest_access',
]);

/**
 * Records observations under labels. Ids the scenario names (`name(id, 'alice')`) are
 * written as `<alice>` wherever they appear, as keys or values, so two homeservers'
 * answers compare equal when they have the same structure.
 */
export class Observer {
  readonly observation: Observation = {};
  private readonly names = new Map<string, string>();

  /** From now on `id` is written `<label>`. */
  name(id: string, label: string): string {
    this.names.set(id, `<${label}>`);
    return id;
  }

  /** A response: its status, its errcode and the shape of its body. */
  response(label: string, response: HttpJsonResponse, extraHeaders: readonly string[] = []): HttpJsonResponse {
    const seen: Record<string, unknown> = { status: response.status, body: this.shape(response.body) };
    for (const header of extraHeaders) seen[`header ${header}`] = response.headers[header] === undefined ? 'absent' : 'present';
    this.record(label, seen);
    return response;
  }

  /** Any value (a pushed event), made comparable the same way. */
  value(label: string, value: unknown): void {
    this.record(label, this.shape(value));
  }

  /** A value kept exactly (after naming ids): a count, a boolean, a list of event types. */
  exact(label: string, value: unknown): void {
    this.record(label, this.rename(value));
  }

  /** A list kept exactly (after naming ids), in sorted order: the order two servers list things in may differ. */
  exactSet(label: string, values: readonly unknown[]): void {
    const renamed = values.map((v) => this.rename(v));
    this.record(label, renamed.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
  }

  private record(label: string, value: unknown): void {
    if (label in this.observation) throw new Error(`observation "${label}" recorded twice`);
    this.observation[label] = value;
  }

  /** The value with every named id replaced by its label. */
  private rename(value: unknown): unknown {
    if (typeof value === 'string') return this.names.get(value) ?? value;
    if (Array.isArray(value)) return value.map((v) => this.rename(v));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.names.get(k) ?? k, this.rename(v)]));
    return value;
  }

  /**
   * Keys (sorted, named ids replaced, other ids collapsed to their sigil) and value types.
   * Strings stay only when they are named ids or under a meaningful key; arrays become the
   * sorted set of their elements' shapes.
   */
  private shape(value: unknown, key = ''): unknown {
    if (value === null) return 'null';
    if (typeof value === 'string') {
      const named = this.names.get(value);
      if (named) return named;
      return MEANINGFUL_KEYS.has(key) ? value : 'string';
    }
    if (typeof value !== 'object') return typeof value;
    if (Array.isArray(value)) {
      const shapes = value.map((v) => this.shape(v, key));
      const unique = new Map(shapes.map((s) => [JSON.stringify(s), s]));
      return [...unique.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => s);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[this.keyName(k)] = this.shape(v, k);
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  private keyName(key: string): string {
    return this.names.get(key) ?? (/^[@!$#][^:]*:/.test(key) || /^\$/.test(key) ? `<${key[0]}id>` : key);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One place where two observations differ: a path (`label/key/…`) and both values. */
export interface Difference {
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** Where `actual` differs from `expected`, path by path (objects recursed, everything else compared whole). */
export function differences(expected: unknown, actual: unknown, path = ''): Difference[] {
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((k) => differences(expected[k], actual[k], path === '' ? k : `${path}/${k}`));
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [{ path, expected, actual }];
}
