import { z } from 'zod';
import { isValidChannel, isValidNick } from './nicks.js';

const count = (fallback: number) => z.number({ error: 'must be a number' }).int('must be an integer').positive('must be positive').default(fallback);
const nick = z.string({ error: 'must be a string' }).refine((n) => isValidNick(n), 'must be a valid IRC nick');

/** `bridge.config` of the IRC bridge. Only `server.host` is required. */
export const ircConfigSchema = z.object({
  server: z.object({
    host: z.string({ error: 'must be a host name' }).min(1, 'must not be empty'),
    port: z.number({ error: 'must be a number' }).int().min(1).max(65535, 'must be a port number').default(6667),
    tls: z.boolean({ error: 'must be true or false' }).default(false),
    password: z.string().optional(),
    /** Longest nick the server allows (ngircd and RFC 2812 default to 9; most networks allow 30). */
    maxNickLength: count(30),
  }, { error: 'must be a mapping' }),
  /** The bridge bot's IRC nick: it sits in every bridged channel and reads it. */
  botNick: nick.default('matrixbridge'),
  username: z.string().regex(/^[A-Za-z0-9_.-]{1,10}$/, 'must be 1-10 letters, digits, _ . -').default('bridgekit'),
  /**
   * `puppet`: every Matrix user in a portal gets their own IRC connection. `relay`: everything
   * goes through the bot as `<name> text`, for networks that limit connections per host.
   * `login`: only users who logged in (`login`, their own nick) get a connection; the others
   * are carried only where a moderator turned relay on (`relay on`). In every mode a user
   * who logged in speaks with their own nick.
   */
  mode: z.enum(['puppet', 'relay', 'login'], { error: 'must be puppet, relay or login' }).default('puppet'),
  /** How a login's password is given to the server: SASL PLAIN, or `IDENTIFY` to NickServ after connecting. */
  loginAuth: z.enum(['sasl', 'nickserv'], { error: 'must be sasl or nickserv' }).default('sasl'),
  /** A Matrix user's IRC nick: `{name}` is their display name (or localpart), made IRC-safe. */
  nickTemplate: z.string().refine((t) => t.includes('{name}'), 'must contain {name}').default('{name}'),
  /** Channels that may be bridged; empty: any. */
  channels: z.array(z.string().refine((c) => isValidChannel(c), 'must be a channel name like #room'), { error: 'must be a list of channels' }).default([]),
  flood: z.object({
    /** Lines sent at once before throttling starts. */
    burst: count(5),
    /** Then one line per this many ms. */
    intervalMs: count(500),
  }, { error: 'must be a mapping' }).prefault({}),
  reconnect: z.object({
    baseMs: count(1_000),
    maxMs: count(60_000),
  }, { error: 'must be a mapping' }).prefault({}),
  /** How long one attempt at delivering a Matrix message may wait for IRC (e.g. while reconnecting). */
  sendTimeoutMs: count(30_000),
  /** Messages that may wait per IRC connection while it is down. */
  queueLimit: count(200),
  /** IRC lines per Matrix message at most; the rest is not sent, and the sender is told. */
  maxLines: count(20),
  /** How often channel members are checked for AWAY (servers without away-notify). */
  awayPollMs: count(60_000),
  /**
   * Ghosts joined to a portal from a channel's member list (operators first); the rest
   * join when they first speak, so a channel of thousands does not flood the room.
   */
  membersSyncLimit: count(500),
  /** Base URL media links point at (the homeserver's public URL); default `https://<domain>`. */
  mediaBaseUrl: z.url({ error: 'must be a URL' }).optional(),
}, { error: 'must be a mapping' });

export type IrcConfig = z.output<typeof ircConfigSchema>;
