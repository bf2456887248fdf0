import { MatrixError } from './errors.js';
import { newDeviceId, newToken } from './ids.js';

export type PresenceValue = 'online' | 'offline' | 'unavailable';

export interface PresenceState {
  presence: PresenceValue;
  statusMsg: string | undefined;
  lastActiveTs: number;
}

export interface UserRecord {
  readonly userId: string;
  displayname: string | undefined;
  avatarUrl: string | undefined;
  presence: PresenceState;
  /** Registered through the appservice's `/register` rather than by a test. */
  readonly byAppservice: boolean;
}

export interface Session {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
}

/** Local accounts, their profiles, presence and access tokens. */
export class UserDirectory {
  private readonly users = new Map<string, UserRecord>();
  private readonly sessions = new Map<string, Session>();

  constructor(readonly serverName: string) {}

  userIdFor(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /** Creates the account; like Synapse, the display name starts as the localpart. */
  register(localpart: string, byAppservice: boolean): UserRecord {
    const userId = this.userIdFor(localpart);
    if (this.users.has(userId)) throw new MatrixError(400, 'M_USER_IN_USE', 'User ID already taken.');
    const record: UserRecord = {
      userId,
      displayname: localpart,
      avatarUrl: undefined,
      presence: { presence: 'offline', statusMsg: undefined, lastActiveTs: Date.now() },
      byAppservice,
    };
    this.users.set(userId, record);
    return record;
  }

  get(userId: string): UserRecord | undefined {
    return this.users.get(userId);
  }

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  isLocal(userId: string): boolean {
    return userId.endsWith(`:${this.serverName}`);
  }

  all(): UserRecord[] {
    return [...this.users.values()];
  }

  login(userId: string): Session {
    const session: Session = { userId, deviceId: newDeviceId(), accessToken: newToken('syt') };
    this.sessions.set(session.accessToken, session);
    return session;
  }

  sessionsOf(userId: string): string[] {
    return [...this.sessions.values()].filter((s) => s.userId === userId).map((s) => s.accessToken);
  }

  /** Ends the session of `token` (`POST /logout`); false when there was none. */
  logout(token: string): boolean {
    return this.sessions.delete(token);
  }

  sessionForToken(token: string): Session | undefined {
    return this.sessions.get(token);
  }
}
