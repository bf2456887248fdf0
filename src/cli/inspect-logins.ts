import { readLogins } from '../logins/login-store.js';
import type { UserLogin } from '../logins/contract.js';
import { Sections, type Store } from '../store/index.js';

/**
 * `bridgekit inspect logins`: users' logins and their last reported states, read from the
 * store (never their credentials: those stay sealed, and no key is needed to list them).
 */
export async function loginsReport(store: Store, user?: string): Promise<string[]> {
  const all = await readLogins(store.section(Sections.logins));
  const logins = all.filter((l) => user === undefined || l.userId === user).sort((a, b) => a.userId.localeCompare(b.userId) || a.createdAt - b.createdAt);
  if (logins.length === 0) return [user === undefined ? 'No logins are stored.' : `${user} has no logins.`];
  const counts = new Map<string, number>();
  for (const l of logins) counts.set(l.status.state, (counts.get(l.status.state) ?? 0) + 1);
  return [
    `${logins.length} login(s): ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ')}`,
    ...logins.map(describe),
  ];
}

function describe(login: UserLogin): string {
  const { state, message, since } = login.status;
  return `${login.userId}  ${login.id}  ${login.remoteName} [${login.remoteId}] via ${login.flowId}: ${state}${message ? ` (${message})` : ''} since ${new Date(since).toISOString()}`;
}
