import { MatrixHttpError } from '../appservice/errors.js';

/** The provisioning API's refusals: `{errcode, error}` with the spec's status for each. */
export const missingToken = (why = 'Missing access token: send Authorization: Bearer openid:<OpenID token> (or the shared secret)') =>
  new MatrixHttpError(401, 'M_MISSING_TOKEN', why);
export const unknownToken = (why = 'Unknown or expired access token') => new MatrixHttpError(401, 'M_UNKNOWN_TOKEN', why);
export const forbidden = (why: string) => new MatrixHttpError(403, 'M_FORBIDDEN', why);
export const notFound = (why: string) => new MatrixHttpError(404, 'M_NOT_FOUND', why);
export const invalidParam = (why: string) => new MatrixHttpError(400, 'M_INVALID_PARAM', why);
export const missingParam = (why: string) => new MatrixHttpError(400, 'M_MISSING_PARAM', why);
/** The plugin has no hook for this route. */
export const notSupported = (what: string) => new MatrixHttpError(501, 'M_UNRECOGNIZED', `This bridge does not support ${what}`);
/** The homeserver that must vouch for a token could not be asked. */
export const cannotVerify = (why: string) => new MatrixHttpError(502, 'M_UNKNOWN', why);
