import type { Store, Section } from '../store/store.js';
import { put } from '../store/store.js';
import { Sections } from '../store/layout.js';

interface RegisteredUser {
  readonly registeredAt: number;
}

/**
 * Virtual users known to exist on the homeserver (section `puppets`, key: user id), so
 * that `ensureRegistered` costs a request only the first time, across restarts.
 */
export class RegisteredUsers {
  private readonly section: Section<RegisteredUser>;

  constructor(private readonly store: Store) {
    this.section = store.section<RegisteredUser>(Sections.puppets);
  }

  async has(userId: string): Promise<boolean> {
    return (await this.section.get(userId)) !== undefined;
  }

  async record(userId: string): Promise<void> {
    await this.store.write([put(this.section, userId, { registeredAt: Date.now() })]);
  }
}
