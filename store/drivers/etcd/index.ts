// Registration of the etcd store driver; etcd3 is loaded only when the driver is opened.
import Type from 'typebox'
import type { Driver } from '../../driver.js'
import type { Store } from '../../types.js'

export const EtcdConfigSchema = Type.Object(
  {
    endpoints: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "client URLs, e.g. ['http://127.0.0.1:2379']" }),
    prefix: Type.Optional(Type.String({ minLength: 1, description: "key prefix (default 'dragonflow/')" })),
    dialTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'connect timeout in ms (default 5000)' })),
  },
  { additionalProperties: false },
)

export const etcdDriver: Driver<Store, typeof EtcdConfigSchema> = {
  name: 'etcd',
  description: 'etcd v3 cluster: one JSON key per object, CAS by txn compare on the key version, etcd watch',
  schema: EtcdConfigSchema,
  open: async config => {
    const { openEtcdStore } = await import('./etcd-store.js')
    return openEtcdStore({
      endpoints: config.endpoints,
      ...(config.prefix !== undefined ? { prefix: config.prefix } : {}),
      ...(config.dialTimeoutMs !== undefined ? { dialTimeoutMs: config.dialTimeoutMs } : {}),
    })
  },
}
