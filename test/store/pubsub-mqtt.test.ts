// The MQTT pub/sub driver against a private mosquitto 2.0: the conformance suite, mosquitto restart included.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { openMqttPubSub } from '../../store/pubsub/mqtt/mqtt-pubsub.js'
import { mqttTopic } from '../../store/pubsub/mqtt/mqtt-topics.js'
import { openPubSub } from '../../store/registry.js'
import type { PubSub } from '../../store/types.js'
import { startMosquitto } from '../helpers/servers.js'
import { pubSubConformance } from './pubsub-conformance.js'
import { until } from './wait.js'

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
    async dispose() {
      await Promise.all(clients.map(c => c.close()))
    },
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

t.test('changes published while the broker is down reach the subscriber after it restarts', async t => {
  const root = `down-${randomBytes(4).toString('hex')}`
  // The subscriber comes back well after the publisher has delivered everything to the broker: only its
  // persistent session can hold the messages meanwhile.
  const pub = await openMqttPubSub({ url: broker.url, root, reconnectPeriodMs: 100 })
  const sub = await openMqttPubSub({ url: broker.url, root, reconnectPeriodMs: 3_000 })
  t.teardown(async () => {
    await pub.close()
    await sub.close()
  })
  const heard: string[] = []
  await sub.subscribe('project:p1', c => heard.push(c.id))
  await broker.stop()
  // Held by the publisher's client until it reconnects; resolved by the PUBACK then.
  const sent = Array.from({ length: 20 }, (_, i) =>
    pub.publish({ table: 'port', id: `d${i}`, version: 1, action: 'create', topics: ['project:p1'] }),
  )
  await broker.restart()
  await Promise.all(sent)
  await until('all 20 changes', () => heard.length >= 20, { ms: 30_000 })
  t.same(
    heard,
    Array.from({ length: 20 }, (_, i) => `d${i}`),
    'none lost, none repeated, in order',
  )
})
