// The driver registry: every driver is listed with a description and schema; a bad config names the bad key.
import t from 'tap'
import { listDrivers, openPubSub, openStore, registerPubSubDriver, registerStoreDriver } from '../../store/registry.js'
import { StoreError } from '../../store/types.js'

async function configError(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof StoreError)) throw new Error(`expected a StoreError, got ${String(err)}`)
  return err
}

t.test('drivers are registered by name with a description and a schema', async t => {
  const { stores, pubsubs } = listDrivers()
  t.same(stores.map(d => d.name).sort(), ['embedded', 'etcd'])
  t.same(pubsubs.map(d => d.name).sort(), ['etcd-watch', 'inprocess', 'mqtt'])
  for (const d of [...stores, ...pubsubs]) {
    t.ok(d.description.length > 10 && !d.description.includes('\n'), `${d.name}: one line of description`)
    t.ok(
      Object.values(d.schema.properties).every(k => {
        const text = (k as { description?: unknown }).description
        return typeof text === 'string' && text !== ''
      }),
      `${d.name}: every config key is described`,
    )
  }
})

t.test('a bad config is rejected before any connection, naming the key', async t => {
  const cases: [Promise<unknown>, RegExp][] = [
    [openStore({ driver: 'etcd' }), /store driver 'etcd': \/endpoints: required key 'endpoints' is missing/],
    [openStore({ driver: 'etcd', endpoints: 'http://x:2379' }), /\/endpoints: 'endpoints' must be an array, got string "http:\/\/x:2379"/],
    [
      openStore({ driver: 'etcd', endpoints: ['http://x:2379'], prefx: 'a/' }),
      /\/prefx: unknown key 'prefx' \(known: endpoints, prefix, dialTimeoutMs\)/,
    ],
    [openStore({ driver: 'embedded', dir: '' }), /\/dir: 'dir' must not be empty/],
    [
      openStore({ driver: 'embedded', dir: '/tmp/x', compactEvery: '10' }),
      /\/compactEvery: 'compactEvery' must be an integer, got string "10"/,
    ],
    [openStore({ driver: 'redis' }), /unknown store driver "redis" \(known: embedded, etcd\)/],
    [openPubSub({ driver: 'mqtt' }), /pub\/sub driver 'mqtt': \/url: required key 'url' is missing/],
    [openPubSub({ driver: 'inprocess', bus: 3 }), /\/bus: 'bus' must be a string, got integer 3/],
  ]
  for (const [p, message] of cases) {
    const err = await configError(p)
    t.equal(err.code, 'bad_config')
    t.match(err.message, message)
  }
})

t.test('a second driver under a taken name is refused and the first stays', async t => {
  const { stores, pubsubs } = listDrivers()
  const embedded = stores.find(d => d.name === 'embedded')!
  const mqtt = pubsubs.find(d => d.name === 'mqtt')!
  t.throws(() => registerStoreDriver({ ...embedded, description: 'an impostor' }), /store driver 'embedded' is already registered/)
  t.throws(() => registerPubSubDriver({ ...mqtt, description: 'an impostor' }), /pub\/sub driver 'mqtt' is already registered/)
  t.equal(listDrivers().stores.find(d => d.name === 'embedded')?.description, embedded.description, 'the first driver is kept')
  t.equal(listDrivers().pubsubs.find(d => d.name === 'mqtt')?.description, mqtt.description)
})
