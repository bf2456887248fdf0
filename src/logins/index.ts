/** Users' logins to the remote network: the contract, the service, the store, the bot commands. */
export * from './contract.js';
export { LoginError, type LoginErrorCode } from './errors.js';
export type { LoginService, LoginProcessView, LoginStepView } from './service.js';
