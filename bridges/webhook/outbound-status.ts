import type { PluginStatus } from 'matrix-bridgekit';
import type { Attempt } from './outbound-http.js';

/** A room's outbound target, as `ctx.status` and `/status` name it. */
export function outboundConnectionId(roomId: string): string {
  return `outbound:${roomId}`;
}

/** Any URL in a reason shown as its origin only: no path secrets, no query strings. */
function withoutUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, (url) => {
    try {
      return new URL(url).origin;
    } catch {
      return '(URL)';
    }
  });
}

/**
 * The target's state after one delivery attempt: connected after a success, retrying after a
 * failure worth retrying, bad_credentials when it says 401/403, unknown_error when a message
 * was refused for good (or given up on after the last attempt).
 */
export function reportAttempt(status: PluginStatus, roomId: string, attempt: Attempt, gaveUp: boolean): void {
  const id = outboundConnectionId(roomId);
  if (attempt.kind === 'delivered') {
    status.report(id, { state: 'connected' });
  } else if (attempt.kind === 'rejected') {
    if (attempt.status === 401 || attempt.status === 403) {
      status.report(id, { state: 'bad_credentials', message: `the target answered HTTP ${attempt.status}` });
    } else {
      const why = attempt.status !== 0 ? `HTTP ${attempt.status}` : withoutUrls(attempt.reason ?? 'not reachable');
      status.report(id, { state: 'unknown_error', message: `the target refused a message (${why})` });
    }
  } else if (gaveUp) {
    status.report(id, { state: 'unknown_error', message: `gave up on a message after the last attempt (${withoutUrls(attempt.reason)})` });
  } else {
    status.report(id, { state: 'transient_disconnect', message: `${withoutUrls(attempt.reason)}; retrying` });
  }
}
