/**
 * irc: bridges IRC channels to Matrix portal rooms (issue #6).
 *
 *   - Join `#_irc_<channel>:<domain>` (the alias query creates the portal) or ask the bot
 *     `!irc join #channel`. IRC users are ghosts `@_irc_<nick>:<domain>`.
 *   - Puppet mode (default): each Matrix user talks through their own IRC connection.
 *     Relay mode: one bot connection, `<name> text`.
 *
 * See plugin.ts for the wiring and each file's header for its part.
 */
import { createIrcPlugin } from './plugin.js';

export { createIrcPlugin } from './plugin.js';
export { ircConfigSchema, type IrcConfig } from './config.js';

export default createIrcPlugin();
