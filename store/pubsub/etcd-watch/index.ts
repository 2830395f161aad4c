// Registration of the etcd-watch pub/sub driver: subscribers watch the etcd store's keys directly, so the store
// commit is the publication (no second system to run, at the cost of every subscriber watching etcd).
import type { Driver } from '../../driver.js'
import type { PubSub } from '../../types.js'
import { StoreWatchPubSub } from '../store-watch-pubsub.js'

export const etcdWatchPubSubDriver: Driver<PubSub> = {
  name: 'etcd-watch',
  description: "the etcd store's own change feed filtered by topic; publish() is a no-op (the write published it)",
  schema: {
    endpoints: { type: 'string[]', required: true, description: 'etcd client URLs of the store' },
    prefix: { type: 'string', description: "the store's key prefix (default 'dragonflow/')" },
  },
  open: async config => {
    const { openEtcdStore } = await import('../../drivers/etcd/etcd-store.js')
    const store = await openEtcdStore({
      endpoints: config.endpoints as string[],
      ...(config.prefix !== undefined ? { prefix: config.prefix as string } : {}),
    })
    return new StoreWatchPubSub(store, true)
  },
}
