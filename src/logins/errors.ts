/**
 * A login operation refused, with a Matrix-style error code and the HTTP status the
 * provisioning API answers with. `error` is meant for the user (no secrets).
 */
export type LoginErrorCode =
  | 'M_NOT_FOUND' // no such flow, process or login (or not the user's)
  | 'M_FORBIDDEN' // the user may not log in (permissions), or the plugin refused
  | 'M_INVALID_PARAM' // an input field missing or not matching its pattern; a step of the wrong kind
  | 'M_UNSUPPORTED' // the bridge has no logins
  | 'M_LIMIT_EXCEEDED' // too many processes under way
  | 'M_UNKNOWN'; // the plugin failed

const STATUS: Record<LoginErrorCode, number> = {
  M_NOT_FOUND: 404, M_FORBIDDEN: 403, M_INVALID_PARAM: 400, M_UNSUPPORTED: 501, M_LIMIT_EXCEEDED: 429, M_UNKNOWN: 500,
};

export class LoginError extends Error {
  readonly status: number;

  constructor(readonly errcode: LoginErrorCode, message: string) {
    super(message);
    this.name = 'LoginError';
    this.status = STATUS[errcode];
  }

  /** The spec-shaped body: `{errcode, error}`. */
  toJSON(): { errcode: LoginErrorCode; error: string } {
    return { errcode: this.errcode, error: this.message };
  }
}
