import type { Section, Store } from '../store/index.js';
import { Sections } from '../store/index.js';
import type { CrossSigningRecord } from './cross-signing.js';
import type { DeviceRecord } from './device.js';
import type { PersisterSections } from './idb/persister.js';

export interface CryptoSections extends PersisterSections {
  readonly devices: Section<DeviceRecord>;
  readonly crossSigning: Section<CrossSigningRecord>;
}

/** The crypto sections of the store (keys and values described in `store/layout.ts`). */
export function cryptoSections(store: Store): CryptoSections {
  return {
    devices: store.section(Sections.cryptoDevices),
    crossSigning: store.section(Sections.cryptoCrossSigning),
    schemas: store.section(Sections.cryptoIdbSchemas),
    records: store.db.sublevel<string, Buffer>(Sections.cryptoIdbRecords, { valueEncoding: 'buffer' }) as unknown as Section<Buffer>,
  };
}
