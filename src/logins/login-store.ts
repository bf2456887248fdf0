/**
 * Logins in the store (`Sections.logins`), all held in memory too: every Matrix event asks
 * for its sender's logins, which may not cost a read. Credentials are sealed with the
 * config's key and opened only to hand them to the plugin's `connect`.
 */
import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../events/types.js';
import type { Section } from '../store/index.js';
import type { CompletedLogin, LoginStatus, LoginWithCredentials, UserLogin } from './contract.js';
import { CredentialsKey, type Sealed } from './credentials-key.js';

/** A login as stored. */
export interface StoredLogin extends UserLogin {
  readonly credentials: Sealed;
}

const LOGIN_PREFIX = 'login!';
const KEY_CHECK = 'key-check';
const KEY_CHECK_TEXT = 'bridgekit logins key check';
/**
 * Changed with every write of a login, in the same batch: another process sharing the
 * store (cluster mode) reads it to know when to read the logins again.
 */
const VERSION = 'version';

/** What `refresh` found another process changed. */
export interface LoginChanges {
  readonly added: readonly UserLogin[];
  readonly removed: readonly UserLogin[];
  /** Logins whose record changed (a state reported where the connection runs). */
  readonly changed: readonly UserLogin[];
}

/** The bridge may not start: logins are stored and their key is missing or wrong. */
export class LoginKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginKeyError';
  }
}

export class LoginStore {
  private readonly byId = new Map<string, StoredLogin>();
  /** User → their login ids: asked for every Matrix event's sender, so not a scan of all logins. */
  private readonly byUser = new Map<string, Set<string>>();
  /** The version this process last read or wrote. */
  private version: unknown;

  private constructor(private readonly section: Section<unknown>, private readonly key: CredentialsKey | undefined) {}

  /**
   * Loads every login. Refuses (LoginKeyError) when logins or a key check are stored and
   * the key is missing or is not the one they were sealed with: starting anyway would
   * lose every login at its first use.
   */
  static async open(section: Section<unknown>, key: CredentialsKey | undefined): Promise<LoginStore> {
    const store = new LoginStore(section, key);
    store.version = await section.get(VERSION);
    for (const record of await readStored(section)) store.remember(record);
    const check = await section.get(KEY_CHECK) as Sealed | undefined;
    if (!key) {
      if (store.byId.size > 0 || check) {
        throw new LoginKeyError(`${store.byId.size} login(s) are stored but no key to their credentials is configured: set logins.encryptionKey or logins.encryptionKeyFile to the key they were stored with`);
      }
      return store;
    }
    if (check) {
      let text: string | undefined;
      try {
        text = key.open(check, KEY_CHECK);
      } catch {
        text = undefined;
      }
      if (text !== KEY_CHECK_TEXT) {
        throw new LoginKeyError('the configured logins encryption key is not the one the stored logins were encrypted with (logins.encryptionKey / encryptionKeyFile): set the old key back');
      }
    } else {
      await section.put(KEY_CHECK, key.seal(KEY_CHECK_TEXT, KEY_CHECK));
    }
    return store;
  }

  /** False without a key: logins cannot be stored. */
  get writable(): boolean {
    return this.key !== undefined;
  }

  all(): UserLogin[] {
    return [...this.byId.values()].map(withoutCredentials);
  }

  forUser(userId: string): UserLogin[] {
    const ids = this.byUser.get(userId);
    if (!ids) return [];
    return [...ids].flatMap((id) => {
      const stored = this.byId.get(id);
      return stored ? [withoutCredentials(stored)] : [];
    });
  }

  get(loginId: string): UserLogin | undefined {
    const stored = this.byId.get(loginId);
    return stored ? withoutCredentials(stored) : undefined;
  }

  /** The login with its credentials opened, for the plugin's `connect`. */
  withCredentials(loginId: string): LoginWithCredentials | undefined {
    const stored = this.byId.get(loginId);
    if (!stored || !this.key) return undefined;
    let text: string;
    try {
      text = this.key.open(stored.credentials, bindingOf(stored));
    } catch {
      // The key is right (checked at open): the record was changed (moved to another user or account).
      throw new LoginKeyError(`the stored credentials of login ${loginId} do not belong to its user and remote account: not used`);
    }
    return { ...withoutCredentials(stored), credentials: JSON.parse(text) as JsonObject };
  }

  /** Stores a completed login; the same user's login to the same remote account is replaced (its id kept). */
  async save(userId: string, flowId: string, completed: CompletedLogin, now = Date.now()): Promise<UserLogin> {
    if (!this.key) throw new LoginKeyError('logins cannot be stored: no logins.encryptionKey is configured');
    const previous = [...this.byUser.get(userId) ?? []].map((id) => this.byId.get(id)).find((l) => l?.remoteId === completed.remoteId);
    const id = previous?.id ?? randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').toLowerCase();
    const record: StoredLogin = {
      id, userId, flowId, remoteId: completed.remoteId, remoteName: completed.remoteName,
      metadata: completed.metadata ?? {}, createdAt: previous?.createdAt ?? now,
      status: { state: 'connecting', since: now },
      credentials: this.key.seal(JSON.stringify(completed.credentials), bindingOf({ id, userId, remoteId: completed.remoteId })),
    };
    await this.write([{ type: 'put', key: LOGIN_PREFIX + id, value: record }]);
    this.remember(record);
    return withoutCredentials(record);
  }

  /** Records a state; returns the previous one (undefined for an unknown login). */
  async setStatus(loginId: string, status: LoginStatus): Promise<LoginStatus | undefined> {
    const stored = this.byId.get(loginId);
    if (!stored) return undefined;
    const updated: StoredLogin = { ...stored, status };
    await this.write([{ type: 'put', key: LOGIN_PREFIX + loginId, value: updated }]);
    this.byId.set(loginId, updated);
    return stored.status;
  }

  async delete(loginId: string): Promise<void> {
    await this.write([{ type: 'del', key: LOGIN_PREFIX + loginId }]);
    this.forget(loginId);
  }

  /**
   * Reads the logins again when another process changed them (cluster mode: its version
   * moved), and says what changed. One read when nothing did.
   */
  async refresh(): Promise<LoginChanges> {
    const version = await this.section.get(VERSION);
    if (version === this.version) return { added: [], removed: [], changed: [] };
    this.version = version;
    const stored = await readStored(this.section);
    const seen = new Set<string>();
    const added: UserLogin[] = [];
    const changed: UserLogin[] = [];
    for (const record of stored) {
      seen.add(record.id);
      const before = this.byId.get(record.id);
      if (!before) added.push(withoutCredentials(record));
      else if (JSON.stringify(before) !== JSON.stringify(record)) changed.push(withoutCredentials(record));
      if (before && before.userId !== record.userId) this.forget(record.id);
      this.remember(record);
    }
    const removed = [...this.byId.values()].filter((login) => !seen.has(login.id)).map(withoutCredentials);
    for (const login of removed) this.forget(login.id);
    return { added, removed, changed };
  }

  /** A login's write and a new version, in one batch. */
  private async write(ops: Array<{ type: 'put'; key: string; value: unknown } | { type: 'del'; key: string }>): Promise<void> {
    const version = randomBytes(9).toString('base64url');
    await this.section.batch([...ops, { type: 'put', key: VERSION, value: version }]);
    this.version = version;
  }

  private forget(loginId: string): void {
    const stored = this.byId.get(loginId);
    this.byId.delete(loginId);
    if (!stored) return;
    const ids = this.byUser.get(stored.userId);
    ids?.delete(loginId);
    if (ids?.size === 0) this.byUser.delete(stored.userId);
  }

  private remember(record: StoredLogin): void {
    this.byId.set(record.id, record);
    let ids = this.byUser.get(record.userId);
    if (!ids) this.byUser.set(record.userId, (ids = new Set()));
    ids.add(record.id);
  }
}

/**
 * What a record's credentials are sealed to (AES-GCM additional data): its id, its Matrix
 * user and its remote account. Whoever can write the store but has no key cannot hand
 * a login's credentials to another user or account by editing the record.
 */
function bindingOf(login: Pick<UserLogin, 'id' | 'userId' | 'remoteId'>): string {
  return JSON.stringify([login.id, login.userId, login.remoteId]);
}

function withoutCredentials(stored: StoredLogin): UserLogin {
  const { credentials: _sealed, ...login } = stored;
  return login;
}

/** Reads the stored logins without a key (for `bridgekit inspect`): never their credentials. */
export async function readLogins(section: Section<unknown>): Promise<UserLogin[]> {
  return (await readStored(section)).map(withoutCredentials);
}

async function readStored(section: Section<unknown>): Promise<StoredLogin[]> {
  const stored: StoredLogin[] = [];
  for await (const [, value] of section.iterator({ gte: LOGIN_PREFIX, lt: `${LOGIN_PREFIX}\uffff` })) stored.push(value as StoredLogin);
  return stored;
}
