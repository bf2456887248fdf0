/**
 * The login service: what bot commands and the provisioning API call. One per bridge,
 * made by `startBridge` when the plugin declares `logins`.
 *
 * Every call names the Matrix user it acts for; the caller has authenticated them (the
 * bot by the event's sender, provisioning by its token). Failures are `LoginError`s.
 */
import type { LoginFlow, LoginStep, UserLogin } from './contract.js';

/** A login process under way, as handed to a caller. */
export interface LoginProcessView {
  /** Pass it to `submit`, `wait` and `cancel`. Unguessable; valid for this user only. */
  readonly processId: string;
  readonly flowId: string;
  /** The current step. After `complete` the process is gone. */
  readonly step: LoginStepView;
}

/** A step as shown to a caller: a completed step carries the stored login (never its credentials). */
export type LoginStepView =
  | Exclude<LoginStep, { kind: 'complete' }>
  | { readonly kind: 'complete'; readonly instructions?: string; readonly login: UserLogin };

export interface LoginService {
  /** The plugin's flows. */
  flows(): readonly LoginFlow[];
  /** Starts a flow for a user (who needs the `user` permission). M_NOT_FOUND for an unknown flow. */
  start(userId: string, flowId: string): Promise<LoginProcessView>;
  /** Answers the current `input` step. M_INVALID_PARAM when a field is missing or wrong (the step stays). */
  submit(userId: string, processId: string, input: Readonly<Record<string, string>>): Promise<LoginProcessView>;
  /** Waits for the current `display` step to move on. */
  wait(userId: string, processId: string): Promise<LoginProcessView>;
  /** Gives up a process (no error when it is already gone). */
  cancel(userId: string, processId: string): Promise<void>;
  /** A user's logins with their states. */
  list(userId: string): readonly UserLogin[];
  /** Every login (admins, metrics, inspect). */
  all(): readonly UserLogin[];
  /** Logs a login out (the plugin disconnects it) and deletes it. M_NOT_FOUND unless it is the user's. */
  logout(userId: string, loginId: string): Promise<void>;
}
