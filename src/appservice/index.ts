export { createAppserviceApp, type AppserviceOptions } from './app.js';
export { listen, type RunningServer } from './server.js';
export { MatrixHttpError } from './errors.js';
export type { QueryHandlers, ThirdPartyProtocol, ThirdPartyUser, ThirdPartyLocation } from './handlers.js';
export type { TransactionSink } from './routes/transactions.js';
export { tokensEqual } from './auth.js';
