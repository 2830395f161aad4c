// The MQTT pub/sub driver against a private mosquitto 2.0: the conformance suite, mosquitto restart included.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mqttTopic } from '../../store/pubsub/mqtt/mqtt-topics.js'
import { openPubSub } from '../../store/registry.js'
import type { PubSub } from '../../store/types.js'
import { startMosquitto } from '../helpers/servers.js'
import { pubSubConformance } from './pubsub-conformance.js'

const broker = await startMosquitto()
t.teardown(() => broker.dispose())

pubSubConformance(t, async () => {
  const root = `test-${randomBytes(4).toString('hex')}` // a topic tree per subtest
  const clients: PubSub[] = []
  const client = async (): Promise<PubSub> => {
    const ps = await openPubSub({ driver: 'mqtt', url: broker.url, root })
    clients.push(ps)
    return ps
  }
  const publisher = await client()
  return {
    client,
    emit: (table, id, topics) => publisher.publish({ table, id, version: 1, action: 'create', topics, value: {} }),
    restartServer: () => broker.restart(),
    async dispose() { await Promise.all(clients.map(c => c.close())) },
  }
})

t.test('store topics cannot become MQTT wildcards or levels', async t => {
  t.equal(mqttTopic('dragonflow', 'network:n1'), 'dragonflow/network:n1')
  t.equal(mqttTopic('dragonflow', 'a/b+#*%'), 'dragonflow/a%2Fb%2B%23%2A%25')
  t.equal(mqttTopic('dragonflow', '*'), 'dragonflow/*')
})

t.test('an unreachable broker is reported as unavailable', async t => {
  await t.rejects(openPubSub({ driver: 'mqtt', url: 'mqtt://127.0.0.1:1' }), { code: 'unavailable' })
})
