export { DoublePuppets, DOUBLE_PUPPET_MARKER, type DoublePuppetsOptions } from './double-puppets.js';
export { DoublePuppet } from './double-puppet.js';
export { DoublePuppetSessions, type DoublePuppetSession } from './sessions.js';
