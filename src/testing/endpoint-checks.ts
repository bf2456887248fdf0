import type { JsonObject } from '../events/types.js';
import { checkEndpointEvent, EndpointRules } from '../mirror/index.js';
import { MatrixError, badJson, forbidden } from './errors.js';
import type { Room } from './room.js';

/**
 * What Synapse's send and state endpoints refuse before the auth rules (the mirror's
 * endpoint predictions, `checkEndpointEvent`): the test homeserver refuses the same, with
 * Synapse's status codes, so a bridge tested here meets what production answers.
 * Events a test injects or a room preset creates are not checked here, only client sends.
 */
export function checkClientSend(type: string, sender: string, content: JsonObject, stateKey?: string): void {
  const verdict = checkEndpointEvent({ type, sender, content, ...(stateKey !== undefined ? { stateKey } : {}) });
  if (verdict === undefined || verdict.allowed) return;
  if (verdict.rule === EndpointRules.eventSize) throw new MatrixError(413, 'M_TOO_LARGE', verdict.reason);
  throw badJson(verdict.reason);
}

/** Synapse refuses to redact a room's create event and its server ACL, whoever asks. */
export function checkClientRedaction(room: Room, target: string): void {
  const type = room.stored(target)?.event.type;
  if (type === 'm.room.create') throw forbidden('Redacting create events is not permitted');
  if (type === 'm.room.server_acl') throw forbidden('Redacting server ACL events is not permitted');
}
