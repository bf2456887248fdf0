import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Tests run from the repository root (npm test); fixtures live in test/fixtures/. */
export const fixturesDir = resolve(process.cwd(), 'test/fixtures');
export const synapseDir = resolve(fixturesDir, 'synapse-1.94');

export function readFixtureJson<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(resolve(fixturesDir, relativePath), 'utf8')) as T;
}

/** A captured Synapse 1.94 request body, by file name (e.g. `txn-01-invite-virtual-user.json`). */
export function synapseBody<T = unknown>(file: string): T {
  return readFixtureJson<T>(`synapse-1.94/${file}`);
}

export interface CapturedRequest {
  file: string;
  method: string;
  path: string;
  query: Record<string, string>;
  txnId?: string;
  attempt?: number;
  listener_status: number;
  headers: Record<string, string>;
  note?: string;
}

export function synapseIndex(legacy = false): CapturedRequest[] {
  const file = legacy ? 'synapse-1.94/legacy-synapse-1.67.0/index.json' : 'synapse-1.94/index.json';
  return readFixtureJson<{ requests: CapturedRequest[] }>(file).requests;
}
