import { createHash, randomBytes } from 'node:crypto';
import type { KeyValue } from 'matrix-bridgekit';

/** An inbound hook as stored: everything but its secret. */
export interface HookRecord {
  /** Random, public: scopes the hook's ghosts and message ids. Never derived from the secret. */
  readonly hookId: string;
  readonly roomId: string;
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: number;
  /** The command that made it: a retried command replaces its own earlier hook. */
  readonly createdByEvent: string;
}

/** 32 random bytes, base64url: the secret part of a hook's URL. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const SECRET = /^[A-Za-z0-9_-]{43}$/;
export const HOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/*
 * Keys in the plugin's own store section. Hooks are found by the hash of their secret (a
 * lookup, so nothing compares the secret itself byte by byte), and listed per room by name.
 */
const byHash = (hash: string) => `hook:${hash}`;
const namePrefix = (roomId: string) => `hookname:${roomId}\u0000`;
const byName = (roomId: string, name: string) => `${namePrefix(roomId)}${name.toLowerCase()}`;

/**
 * Inbound hooks. Written straight to the store (not with the command's unit of work): a
 * hook must work the moment its URL is shown, and be gone the moment "revoked" is.
 */
export class Hooks {
  constructor(private readonly kv: KeyValue) {}

  /** The hook a secret opens; undefined for anything else, malformed or revoked. */
  async find(secret: string): Promise<HookRecord | undefined> {
    if (!SECRET.test(secret)) return undefined;
    return this.kv.get<HookRecord>(byHash(hashSecret(secret)));
  }

  async named(roomId: string, name: string): Promise<{ hash: string; hook: HookRecord } | undefined> {
    const hash = await this.kv.get<string>(byName(roomId, name));
    const hook = hash === undefined ? undefined : await this.kv.get<HookRecord>(byHash(hash));
    return hash !== undefined && hook !== undefined ? { hash, hook } : undefined;
  }

  async list(roomId: string): Promise<HookRecord[]> {
    const out: HookRecord[] = [];
    for await (const [, hash] of this.kv.entries<string>(namePrefix(roomId))) {
      const hook = await this.kv.get<HookRecord>(byHash(hash));
      if (hook) out.push(hook);
    }
    return out;
  }

  /** Stores a new hook; returns its secret, which is not kept anywhere. */
  async create(hook: Omit<HookRecord, 'hookId'>): Promise<{ secret: string; hook: HookRecord }> {
    const secret = newSecret();
    const record: HookRecord = { ...hook, hookId: randomBytes(6).toString('hex') };
    const hash = hashSecret(secret);
    await this.kv.put(byHash(hash), record);
    await this.kv.put(byName(hook.roomId, hook.name), hash);
    return { secret, hook: record };
  }

  async revoke(roomId: string, name: string): Promise<boolean> {
    const found = await this.named(roomId, name);
    await this.kv.del(byName(roomId, name));
    if (!found) return false;
    await this.kv.del(byHash(found.hash));
    return true;
  }
}
