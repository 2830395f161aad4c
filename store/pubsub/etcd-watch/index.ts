// Registration of the etcd-watch pub/sub driver: subscribers watch the etcd store's keys directly, so the store
// commit is the publication (no second system to run, at the cost of every subscriber watching etcd).
import Type from 'typebox'
import type { Driver } from '../../driver.js'
import type { PubSub } from '../../types.js'
import { StoreWatchPubSub } from '../store-watch-pubsub.js'

export const EtcdWatchConfigSchema = Type.Object(
  {
    endpoints: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'etcd client URLs of the store' }),
    prefix: Type.Optional(Type.String({ minLength: 1, description: "the store's key prefix (default 'dragonflow/')" })),
  },
  { additionalProperties: false },
)

export const etcdWatchPubSubDriver: Driver<PubSub, typeof EtcdWatchConfigSchema> = {
  name: 'etcd-watch',
  description: "the etcd store's own change feed filtered by topic; publish() is a no-op (the write published it)",
  schema: EtcdWatchConfigSchema,
  open: async config => {
    const { openEtcdStore } = await import('../../drivers/etcd/etcd-store.js')
    const store = await openEtcdStore({
      endpoints: config.endpoints,
      ...(config.prefix !== undefined ? { prefix: config.prefix } : {}),
    })
    return new StoreWatchPubSub(store, true)
  },
}
