import type { HttpJsonResponse } from '../../../src/testing/http-json.js';
import type { Observer } from '../observe.js';
import { call, enc, type CallOptions, type ConformanceSubject, type SubjectUser } from '../subject.js';

/** A scenario: calls made on one homeserver under test, recorded by the observer. Written once for both. */
export interface Scenario {
  readonly name: string;
  run(subject: ConformanceSubject, observer: Observer): Promise<void>;
}

let counter = 0;
const RUN = Date.now().toString(36);

/** A name no earlier run on the same homeserver used. */
export function unique(label: string): string {
  counter += 1;
  return `${label}_${RUN}_${counter}`;
}

export const CS = '/_matrix/client/v3';

/** Where Synapse 1.94 puts EDUs in a transaction (MSC2409's unstable key). */
export const EPHEMERAL = 'de.sorunome.msc2409.ephemeral';

/** Who calls: a user's own token, or the appservice's token acting as `actAs` (`?user_id=`). */
export interface Caller {
  readonly token: string;
  readonly actAs?: string;
}

export function asUser(user: SubjectUser): Caller {
  return { token: user.accessToken };
}

export function asAppservice(subject: ConformanceSubject, actAs?: string): Caller {
  return actAs === undefined ? { token: subject.registration.as_token } : { token: subject.registration.as_token, actAs };
}

/** A call by `caller`, never throwing on a refusal. */
export function by(subject: ConformanceSubject, caller: Caller, method: string, path: string, options: CallOptions = {}): Promise<HttpJsonResponse> {
  const query = caller.actAs === undefined ? options.query : { ...options.query, user_id: caller.actAs };
  return call(subject, caller.token, method, path, { ...options, query });
}

/** Like `by`, but a non-2xx answer is a failure of the scenario itself (setup, not observation). */
export async function must(subject: ConformanceSubject, caller: Caller, method: string, path: string, options: CallOptions = {}): Promise<Record<string, unknown>> {
  const response = await by(subject, caller, method, path, options);
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${method} ${path} answered ${response.status} ${JSON.stringify(response.body)} on ${subject.kind}`);
  }
  return (response.body ?? {}) as Record<string, unknown>;
}

/** Registers a user in the appservice's namespace (as a bridge does for a ghost) and names it. */
export async function registerGhost(subject: ConformanceSubject, observer: Observer, label: string): Promise<Caller & { userId: string }> {
  const localpart = `${subject.prefix}${unique(label)}`;
  const body = await must(subject, asAppservice(subject), 'POST', `${CS}/register`, {
    body: { type: 'm.login.application_service', username: localpart, inhibit_login: true },
  });
  const userId = String(body['user_id']);
  observer.name(userId, label);
  return { ...asAppservice(subject, userId), userId };
}

/** A normal user, named. */
export async function person(subject: ConformanceSubject, observer: Observer, label: string): Promise<SubjectUser & Caller> {
  const user = await subject.createUser(label);
  observer.name(user.userId, label);
  return { ...user, token: user.accessToken };
}

/** A room created by `caller`, named. */
export async function createRoom(subject: ConformanceSubject, observer: Observer, caller: Caller, label: string, content: Record<string, unknown> = {}): Promise<string> {
  const body = await must(subject, caller, 'POST', `${CS}/createRoom`, { body: { preset: 'private_chat', ...content } });
  return observer.name(String(body['room_id']), label);
}

export function roomPath(roomId: string, rest: string): string {
  return `${CS}/rooms/${enc(roomId)}/${rest}`;
}

let txn = 0;
export function txnId(): string {
  txn += 1;
  return `conf-${RUN}-${txn}`;
}

/** Sends a text message; returns the event id. */
export async function say(subject: ConformanceSubject, caller: Caller, roomId: string, body: string): Promise<string> {
  const answer = await must(subject, caller, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body } });
  return String(answer['event_id']);
}

/** Invites `userId` and has them join (through the appservice for a ghost). */
export async function inviteAndJoin(subject: ConformanceSubject, inviter: Caller, roomId: string, joiner: Caller & { userId: string }): Promise<void> {
  await must(subject, inviter, 'POST', roomPath(roomId, 'invite'), { body: { user_id: joiner.userId } });
  await must(subject, joiner, 'POST', `${CS}/join/${enc(roomId)}`, { body: {} });
}
