export { registrationSchema } from './schema.js';
export type { Registration, NamespaceRule } from './schema.js';
export { Namespaces } from './namespaces.js';
export { buildRegistration, writeRegistration, escapeRegex } from './generate.js';
export { loadRegistration, validateRegistration, checkAgreesWithConfig } from './load.js';
