import type { JsonObject } from './types.js';

/** Thrown when JSON has the wrong shape; `path` names the offending field. */
export class ShapeError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ShapeError';
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new ShapeError(path, 'must be an object');
  return value;
}

export function requireString(obj: JsonObject, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== 'string') throw new ShapeError(`${path}.${key}`, 'must be a string');
  return value;
}

export function optionalString(obj: JsonObject, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ShapeError(`${path}.${key}`, 'must be a string');
  return value;
}

/** Requires a string that starts with a Matrix sigil (`@`, `!`, `$`, `#`). */
export function requireId(obj: JsonObject, key: string, sigil: string, path: string): string {
  const value = requireString(obj, key, path);
  if (!value.startsWith(sigil) || value.length < 2) {
    throw new ShapeError(`${path}.${key}`, `must be an identifier starting with '${sigil}'`);
  }
  return value;
}

export function optionalArray(obj: JsonObject, key: string, path: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ShapeError(`${path}.${key}`, 'must be an array');
  return value;
}
