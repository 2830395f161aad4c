// The driver registry: every driver is listed with a description and schema; a bad config names the bad key.
import t from 'tap'
import { listDrivers, openPubSub, openStore } from '../../store/registry.js'
import { StoreError } from '../../store/types.js'

async function configError(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof StoreError)) throw new Error(`expected a StoreError, got ${String(err)}`)
  return err
}

t.test('drivers are registered by name with a description and a schema', async t => {
  const { stores, pubsubs } = listDrivers()
  t.same(stores.map(d => d.name).sort(), ['embedded', 'etcd'])
  t.same(pubsubs.map(d => d.name).sort(), ['etcd-watch', 'inprocess', 'mqtt'])
  for (const d of [...stores, ...pubsubs]) {
    t.ok(d.description.length > 10 && !d.description.includes('\n'), `${d.name}: one line of description`)
    t.ok(Object.values(d.schema).every(k => k.description !== ''), `${d.name}: every config key is described`)
  }
})

t.test('a bad config is rejected before any connection, naming the key', async t => {
  const cases: [Promise<unknown>, RegExp][] = [
    [openStore({ driver: 'etcd' }), /store driver 'etcd': config key 'endpoints' is required/],
    [openStore({ driver: 'etcd', endpoints: 'http://x:2379' }), /config key 'endpoints' must be a non-empty list of strings/],
    [openStore({ driver: 'etcd', endpoints: ['http://x:2379'], prefx: 'a/' }), /unknown config key 'prefx' \(known: endpoints, prefix, dialTimeoutMs\)/],
    [openStore({ driver: 'embedded', dir: '' }), /config key 'dir' must be a non-empty string/],
    [openStore({ driver: 'embedded', dir: '/tmp/x', compactEvery: '10' }), /config key 'compactEvery' must be a number/],
    [openStore({ driver: 'redis' }), /unknown store driver 'redis' \(known: embedded, etcd\)/],
    [openPubSub({ driver: 'mqtt' }), /pub\/sub driver 'mqtt': config key 'url' is required/],
    [openPubSub({ driver: 'inprocess', bus: 3 }), /config key 'bus' must be a non-empty string/],
  ]
  for (const [p, message] of cases) {
    const err = await configError(p)
    t.equal(err.code, 'bad_config')
    t.match(err.message, message)
  }
})
