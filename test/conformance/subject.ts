import { requestJson, type HttpJsonResponse } from '../../src/testing/http-json.js';
import type { Registration } from '../../src/registration/index.js';
import type { AppserviceListener } from './listener.js';

/** A user of the homeserver under test, with their own access token. */
export interface SubjectUser {
  readonly userId: string;
  readonly accessToken: string;
}

/**
 * A homeserver under test, as the conformance scenarios see it: the test homeserver
 * (test/conformance/test-homeserver-subject.ts) or a real Synapse
 * (test/e2e/conformance/synapse-subject.ts). Scenarios use only this, so the same code
 * runs on both.
 */
export interface ConformanceSubject {
  readonly kind: 'test-homeserver' | 'synapse';
  readonly url: string;
  readonly serverName: string;
  /** The appservice registered on it (bot `sender_localpart`, users `@<prefix>*`). */
  readonly registration: Registration;
  /** The localpart prefix of the appservice's exclusive user namespace. */
  readonly prefix: string;
  /** Where the homeserver pushes the appservice's transactions. */
  readonly listener: AppserviceListener;
  /** A fresh normal user, logged in. `name` only helps reading logs. */
  createUser(name: string): Promise<SubjectUser>;
  /** Makes `user`'s next message send in `roomId` refused with 429 M_LIMIT_EXCEEDED. */
  limitSends(user: SubjectUser, roomId: string): Promise<void>;
  /** Undoes `limitSends`. */
  unlimitSends(user: SubjectUser): Promise<void>;
}

export interface CallOptions {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: Buffer;
  readonly contentType?: string;
}

/** One client-server call with `token`, answered whatever the status (never throws on non-2xx). */
export function call(subject: ConformanceSubject, token: string | undefined, method: string, path: string, options: CallOptions = {}): Promise<HttpJsonResponse> {
  const url = new URL(path, subject.url);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (options.contentType) headers['content-type'] = options.contentType;
  return requestJson({ method, url: url.toString(), headers, body: options.body, rawBody: options.rawBody, timeoutMs: 30_000 });
}

/** `encodeURIComponent`, short. */
export const enc = encodeURIComponent;
