import type { JsonObject } from '../../events/types.js';
import { isObject } from '../../events/validate.js';
import { serverOfUser } from './creators.js';
import { LEVEL_KEYS } from './levels.js';
import { EndpointRules } from './rule-refs.js';
import { serverAllowedByAcl } from './server-acl.js';
import type { Verdict } from './types.js';
import { deny } from './verdict.js';

/** Synapse `MAX_PDU_SIZE` and the spec's "Size limits". */
export const MAX_EVENT_BYTES = 65_536;
/** The spec's limit on `type`, `state_key`, `sender` (bytes). */
export const MAX_ID_BYTES = 255;
/**
 * What the homeserver adds around the content before measuring (ids of auth and previous
 * events, hashes, signatures, depth, timestamps): an estimate, so a content within a few
 * hundred bytes of the limit may be judged either way.
 */
export const ENVELOPE_BYTES = 700;
const MAX_DISPLAYNAME = 256;
const MAX_AVATAR_URL = 1000;
const MAX_ALIAS = 255;
const MEMBERSHIPS = ['join', 'invite', 'leave', 'ban', 'knock'];

/** The event the endpoint is asked to send. */
export interface EndpointEvent {
  readonly type: string;
  readonly sender: string;
  readonly stateKey?: string;
  readonly content?: JsonObject;
}

/** What an endpoint refuses before the auth rules run: sizes and content shape; undefined when nothing. */
export function checkEndpointEvent(event: EndpointEvent): Verdict | undefined {
  return checkSizes(event) ?? (event.content ? checkContent(event, event.content) : undefined);
}

function checkSizes({ type, sender, stateKey, content }: EndpointEvent): Verdict | undefined {
  for (const [name, value] of [['type', type], ['state_key', stateKey], ['sender', sender]] as const) {
    if (value !== undefined && Buffer.byteLength(value) > MAX_ID_BYTES) {
      return deny(EndpointRules.eventSize, `the event's ${name} is ${Buffer.byteLength(value)} bytes; at most ${MAX_ID_BYTES} are allowed`);
    }
  }
  if (!content) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(content)) + Buffer.byteLength(type) + Buffer.byteLength(sender) + Buffer.byteLength(stateKey ?? '') + ENVELOPE_BYTES;
  if (bytes > MAX_EVENT_BYTES) {
    return deny(EndpointRules.eventSize, `the event would be about ${bytes} bytes; at most ${MAX_EVENT_BYTES} are allowed`);
  }
  return undefined;
}

function checkContent(event: EndpointEvent, content: JsonObject): Verdict | undefined {
  const mentions = checkMentions(content['m.mentions']);
  if (mentions) return mentions;
  switch (event.type) {
    case 'm.room.power_levels': return checkIntegerLevels(content);
    case 'm.room.message': return strings(content, ['body', 'msgtype']);
    case 'm.room.topic': return stateOnly(event) ?? strings(content, ['topic']);
    case 'm.room.name': return stateOnly(event) ?? strings(content, ['name']);
    case 'm.room.member': return stateOnly(event) ?? checkMemberContent(content);
    case 'm.room.tombstone': return stateOnly(event) ?? strings(content, ['replacement_room']);
    case 'm.room.server_acl': return checkServerAcl(content, event.sender);
    case 'm.room.retention': return checkRetention(content);
    case 'm.room.aliases': return checkAliases(content);
    default: return undefined;
  }
}

/** Integers within canonical JSON's range, for every level, in every room version. */
export function checkIntegerLevels(content: JsonObject): Verdict | undefined {
  for (const key of LEVEL_KEYS) {
    if (content[key] !== undefined && !Number.isSafeInteger(content[key])) {
      return deny(EndpointRules.integerLevels, `"${key}": ${JSON.stringify(content[key])} is not an integer`);
    }
  }
  for (const group of ['events', 'notifications', 'users']) {
    const value = content[group];
    if (value === undefined) continue;
    if (!isObject(value)) return deny(EndpointRules.integerLevels, `"${group}" must be an object of integers`);
    for (const [key, level] of Object.entries(value)) {
      if (!Number.isSafeInteger(level)) return deny(EndpointRules.integerLevels, `${group}["${key}"]: ${JSON.stringify(level)} is not an integer`);
    }
  }
  return undefined;
}

/** Limits on a membership's content that /join, /invite, /kick, /ban and the state endpoint share. */
export function checkMemberContent(content: JsonObject): Verdict | undefined {
  if (!MEMBERSHIPS.includes(content['membership'] as string)) return deny(EndpointRules.content, 'content.membership is not a known membership');
  const { displayname, avatar_url: avatarUrl } = content;
  if (typeof displayname === 'string' && [...displayname].length > MAX_DISPLAYNAME) {
    return deny(EndpointRules.memberProfile, `displayname is longer than ${MAX_DISPLAYNAME} characters`);
  }
  if (typeof avatarUrl === 'string' && [...avatarUrl].length > MAX_AVATAR_URL) {
    return deny(EndpointRules.memberProfile, `avatar_url is longer than ${MAX_AVATAR_URL} characters`);
  }
  return undefined;
}

function checkMentions(mentions: unknown): Verdict | undefined {
  if (mentions === undefined) return undefined;
  if (!isObject(mentions)) return deny(EndpointRules.mentions, 'm.mentions must be an object');
  const users = mentions['user_ids'];
  if (users !== undefined && !(Array.isArray(users) && users.every((u) => typeof u === 'string'))) {
    return deny(EndpointRules.mentions, 'm.mentions.user_ids must be an array of strings');
  }
  if (mentions['room'] !== undefined && typeof mentions['room'] !== 'boolean') return deny(EndpointRules.mentions, 'm.mentions.room must be a boolean');
  return undefined;
}

function checkServerAcl(content: JsonObject, sender: string): Verdict | undefined {
  const server = serverOfUser(sender);
  if (serverAllowedByAcl(content, server)) return undefined;
  return deny(EndpointRules.serverAcl, `this ACL would deny ${server}, the sender's own server`);
}

function checkRetention(content: JsonObject): Verdict | undefined {
  const min = content['min_lifetime'];
  const max = content['max_lifetime'];
  for (const [name, value] of [['min_lifetime', min], ['max_lifetime', max]] as const) {
    if (value !== undefined && value !== null && !Number.isSafeInteger(value)) return deny(EndpointRules.retention, `${name} must be an integer`);
  }
  if (typeof min === 'number' && typeof max === 'number' && min > max) return deny(EndpointRules.retention, 'min_lifetime is greater than max_lifetime');
  return undefined;
}

function checkAliases(content: JsonObject): Verdict | undefined {
  const aliases = content['aliases'];
  if (!Array.isArray(aliases)) return undefined;
  const long = aliases.find((a) => typeof a === 'string' && a.length > MAX_ALIAS);
  return long === undefined ? undefined : deny(EndpointRules.content, `an alias is longer than ${MAX_ALIAS} characters`);
}

function strings(content: JsonObject, keys: readonly string[]): Verdict | undefined {
  const bad = keys.find((key) => typeof content[key] !== 'string');
  return bad === undefined ? undefined : deny(EndpointRules.content, `content.${bad} must be a string`);
}

function stateOnly(event: EndpointEvent): Verdict | undefined {
  return event.stateKey === undefined ? deny(EndpointRules.content, `${event.type} must be a state event`) : undefined;
}
