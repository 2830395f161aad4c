// The in-process pub/sub driver through the conformance suite; each harness uses its own bus.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { openPubSub } from '../../store/registry.js'
import type { PubSub } from '../../store/types.js'
import { pubSubConformance } from './pubsub-conformance.js'

pubSubConformance(t, async () => {
  const bus = `test-${randomBytes(4).toString('hex')}`
  const clients: PubSub[] = []
  const client = async (): Promise<PubSub> => {
    const ps = await openPubSub({ driver: 'inprocess', bus })
    clients.push(ps)
    return ps
  }
  const publisher = await client()
  return {
    client,
    emit: (table, id, topics) => publisher.publish({ table, id, version: 1, action: 'create', topics, value: {} }),
    async dispose() {
      await Promise.all(clients.map(c => c.close()))
    },
  }
})

t.test('buses are separate', async t => {
  const a = await openPubSub({ driver: 'inprocess', bus: 'a' })
  const b = await openPubSub({ driver: 'inprocess', bus: 'b' })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  const heard: string[] = []
  await b.subscribe('*', c => heard.push(c.id))
  await a.publish({ table: 'x', id: '1', version: 1, action: 'create', topics: [] })
  await new Promise(resolve => setTimeout(resolve, 20))
  t.same(heard, [])
})
