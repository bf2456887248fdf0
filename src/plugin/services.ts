/**
 * The framework services a plugin uses, by their plugin-facing names. They are the real
 * classes: a plugin gets the same mirror view and puppets the framework uses itself.
 */
export type { RoomView as PluginRoomView } from '../mirror/index.js';
export type { Puppet as PluginPuppet, Puppets as PluginPuppets } from '../puppets/index.js';
