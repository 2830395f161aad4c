// Registration of the embedded store driver.
import Type from 'typebox'
import type { Driver } from '../../driver.js'
import type { Store } from '../../types.js'
import { openEmbeddedStore } from './embedded-store.js'

export const EmbeddedConfigSchema = Type.Object(
  {
    dir: Type.String({ minLength: 1, description: 'data directory (created if missing)' }),
    compactEvery: Type.Optional(Type.Integer({ minimum: 1, description: 'log records between snapshots (default 10000)' })),
    readOnly: Type.Optional(Type.Boolean({ description: 'no lock, no writes: inspect a directory another process owns' })),
  },
  { additionalProperties: false },
)

export const embeddedDriver: Driver<Store, typeof EmbeddedConfigSchema> = {
  name: 'embedded',
  description: 'in-process store: checksummed append-only log + snapshots in a data directory, one writer process',
  schema: EmbeddedConfigSchema,
  open: config =>
    openEmbeddedStore({
      dir: config.dir,
      ...(config.compactEvery !== undefined ? { compactEvery: config.compactEvery } : {}),
      ...(config.readOnly !== undefined ? { readOnly: config.readOnly } : {}),
    }),
}
