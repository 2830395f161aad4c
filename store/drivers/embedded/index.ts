// Registration of the embedded store driver.
import type { Driver } from '../../driver.js'
import type { Store } from '../../types.js'
import { openEmbeddedStore } from './embedded-store.js'

export const embeddedDriver: Driver<Store> = {
  name: 'embedded',
  description: 'in-process store: checksummed append-only log + snapshots in a data directory, one writer process',
  schema: {
    dir: { type: 'string', required: true, description: 'data directory (created if missing)' },
    compactEvery: { type: 'number', description: 'log records between snapshots (default 10000)' },
    readOnly: { type: 'boolean', description: 'no lock, no writes: inspect a directory another process owns' },
  },
  open: config => openEmbeddedStore({
    dir: config.dir as string,
    ...(config.compactEvery !== undefined ? { compactEvery: config.compactEvery as number } : {}),
    ...(config.readOnly !== undefined ? { readOnly: config.readOnly as boolean } : {}),
  }),
}
