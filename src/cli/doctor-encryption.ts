import type { BridgeConfig } from '../config/index.js';
import { MatrixError, type HomeserverApi } from '../homeserver/index.js';
import { route } from '../homeserver/route.js';
import type { Registration } from '../registration/index.js';
import { fail, pass, skip, type CheckResult } from './doctor-checks.js';

const NAME = 'encryption supported';
const HOMESERVER_SETTINGS = 'Synapse: experimental_features: {msc2409_to_device_messages_enabled: true, msc3202_transaction_extensions: true, msc3202_device_masquerading: true}';

/**
 * With `encryption.enabled`: the registration opts in to to-device messages and device
 * data, and the homeserver lets the appservice act as one of its users' devices (MSC3202
 * masquerading): asked with a device id that cannot exist, a homeserver that knows the
 * parameter refuses, one that does not ignores it and answers. Whether the homeserver puts
 * to-device messages and device data in transactions cannot be seen from outside.
 */
export async function checkEncryption(config: BridgeConfig, registration: Registration | undefined, api: HomeserverApi | undefined): Promise<CheckResult> {
  if (!config.encryption.enabled) return skip(NAME, 'encryption.enabled is false');
  if (!registration) return skip(NAME, 'needs a readable registration');
  const missing = [
    registration['de.sorunome.msc2409.push_ephemeral'] === true ? undefined : 'de.sorunome.msc2409.push_ephemeral: true',
    registration['org.matrix.msc3202'] === true ? undefined : 'org.matrix.msc3202: true',
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) {
    return fail(NAME, `the registration lacks ${missing.join(' and ')}`, 'add them to the registration (generate-registration writes them when encryption is enabled) and reload it in the homeserver');
  }
  if (!api) return skip(NAME, 'needs a reachable homeserver');
  try {
    const answer = await api.client.request('GET', route('/_matrix/client/v3/account/whoami'), {
      query: { 'org.matrix.msc3202.device_id': 'BRIDGEKIT_DOCTOR_NO_SUCH_DEVICE' },
      asUser: api.client.botUserId,
    });
    return fail(NAME, `the homeserver ignored org.matrix.msc3202.device_id (answered ${JSON.stringify(answer)}): device masquerading is off`, `turn it on: ${HOMESERVER_SETTINGS}`);
  } catch (e) {
    if (e instanceof MatrixError && e.status === 400) {
      return pass(NAME, 'the registration opts in; the homeserver checks masquerading device ids (MSC3202)', [
        `to-device messages and device data in transactions cannot be checked from here: ${HOMESERVER_SETTINGS}`,
      ]);
    }
    return fail(NAME, `probing device masquerading failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, `check the homeserver: ${HOMESERVER_SETTINGS}`);
  }
}
