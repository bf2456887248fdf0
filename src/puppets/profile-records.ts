import { Sections } from '../store/layout.js';
import { put, type Section, type Store } from '../store/store.js';

/** The global profile we last set for a puppet. */
export interface ProfileRecord {
  readonly displayName?: string;
  readonly avatarUrl?: string;
  /** sha256 of the avatar's bytes, when it was set from bytes. */
  readonly avatarHash?: string;
}

/** Store section (key: user id). */
export const PROFILES_SECTION = Sections.puppetsProfiles;

/** What each puppet's profile was last set to, so unchanged names and avatars cost no request. */
export class ProfileRecords {
  private readonly section: Section<ProfileRecord>;

  constructor(private readonly store: Store) {
    this.section = store.section<ProfileRecord>(PROFILES_SECTION);
  }

  async get(userId: string): Promise<ProfileRecord> {
    return (await this.section.get(userId)) ?? {};
  }

  async update(userId: string, change: ProfileRecord): Promise<void> {
    const current = await this.get(userId);
    await this.store.write([put(this.section, userId, { ...current, ...change })]);
  }
}
