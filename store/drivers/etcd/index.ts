// Registration of the etcd store driver; etcd3 is loaded only when the driver is opened.
import type { Driver } from '../../driver.js'
import type { Store } from '../../types.js'

export const etcdDriver: Driver<Store> = {
  name: 'etcd',
  description: 'etcd v3 cluster: one JSON key per object, CAS by txn compare on the key version, etcd watch',
  schema: {
    endpoints: { type: 'string[]', required: true, description: "client URLs, e.g. ['http://127.0.0.1:2379']" },
    prefix: { type: 'string', description: "key prefix (default 'dragonflow/')" },
    dialTimeoutMs: { type: 'number', description: 'connect timeout in ms (default 5000)' },
  },
  open: async config => {
    const { openEtcdStore } = await import('./etcd-store.js')
    return openEtcdStore({
      endpoints: config.endpoints as string[],
      ...(config.prefix !== undefined ? { prefix: config.prefix as string } : {}),
      ...(config.dialTimeoutMs !== undefined ? { dialTimeoutMs: config.dialTimeoutMs as number } : {}),
    })
  },
}
