// The etcd-watch pub/sub driver: subscribers watch the etcd store; a store write is the publication.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { openPubSub, openStore } from '../../store/registry.js'
import type { PubSub } from '../../store/types.js'
import { startEtcd } from '../helpers/servers.js'
import { pubSubConformance } from './pubsub-conformance.js'

const etcd = await startEtcd()
t.teardown(() => etcd.dispose())

pubSubConformance(t, async () => {
  const prefix = `test-${randomBytes(4).toString('hex')}/`
  const store = await openStore({ driver: 'etcd', endpoints: [etcd.endpoint], prefix })
  const clients: PubSub[] = []
  return {
    async client() {
      const ps = await openPubSub({ driver: 'etcd-watch', endpoints: [etcd.endpoint], prefix })
      clients.push(ps)
      return ps
    },
    emit: async (table, id, topics) => {
      await store.create(table, id, {}, topics)
    },
    restartServer: () => etcd.restart(),
    async dispose() {
      await Promise.all(clients.map(c => c.close()))
      await store.close()
    },
  }
})
