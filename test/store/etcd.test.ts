// The etcd store driver against a private etcd 3.4: the conformance suite (restart included), plus what is
// specific to etcd (the key layout, prefixes keeping deployments apart).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Etcd3 } from 'etcd3'
import { openStore } from '../../store/registry.js'
import type { Store, StoreError } from '../../store/types.js'
import { startEtcd } from '../helpers/servers.js'
import { storeConformance } from './conformance.js'
import { eventually } from './wait.js'

const etcd = await startEtcd()
t.teardown(() => etcd.dispose())

const open = (prefix: string): Promise<Store> => openStore({ driver: 'etcd', endpoints: [etcd.endpoint], prefix })

storeConformance(t, async () => {
  const prefix = `test-${randomBytes(4).toString('hex')}/` // every subtest gets its own empty keyspace
  const clients: Store[] = []
  return {
    async client() {
      const s = await open(prefix)
      clients.push(s)
      return s
    },
    restartServer: () => etcd.restart(),
    async dispose() {
      await Promise.all(clients.map(c => c.close()))
    },
  }
})

t.test("objects are JSON under the prefix; the version is etcd's key version", async t => {
  const s = await open('layout/')
  t.teardown(() => s.close())
  await s.create('network', 'n1', { name: 'x' }, ['project:p'])
  await s.update('network', 'n1', { name: 'y' }, 1, ['project:p'])
  const raw = new Etcd3({ hosts: etcd.endpoint })
  t.teardown(() => raw.close())
  const res = await raw.get('layout/o/network/n1').exec()
  const kv = res.kvs[0]
  t.match(
    JSON.parse(kv?.value.toString() ?? 'null'),
    { topics: ['project:p'], value: { name: 'y' }, tx: /^[0-9a-f]{16}$/ },
    'topics, value, and the token of the transaction that wrote it',
  )
  t.equal(kv?.version, '2', 'etcd reports the version as a string; the store maps it to 2')
})

t.test('prefixes keep deployments apart', async t => {
  const a = await open('a/')
  const b = await open('b/')
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  await a.create('network', 'n1', {}, [])
  t.equal(await b.get('network', 'n1'), undefined)
  t.equal(await a.allocateKey('port'), 1)
  t.equal(await b.allocateKey('port'), 1, 'key spaces are per prefix')
})

t.test('an unreachable etcd is reported as unavailable', async t => {
  await t.rejects(openStore({ driver: 'etcd', endpoints: ['http://127.0.0.1:1'], dialTimeoutMs: 500 }), { code: 'unavailable' })
})

t.test('while etcd is down calls fail fast with unavailable; the same client recovers', async t => {
  const own = await startEtcd()
  t.teardown(() => own.dispose())
  const s = await openStore({ driver: 'etcd', endpoints: [own.endpoint] })
  t.teardown(() => s.close())
  await s.create('network', 'n1', {}, [])
  await own.stop()
  for (const [name, call] of [
    ['get', () => s.get('network', 'n1')],
    ['create', () => s.create('network', 'n2', {}, [])],
    ['allocateKey', () => s.allocateKey('port')],
  ] as const) {
    const t0 = Date.now()
    const err = await (call() as Promise<unknown>).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.equal((err as StoreError | undefined)?.code, 'unavailable', `${name}: unavailable`)
    t.ok(Date.now() - t0 < 10_000, `${name}: failed within 10 s (${Date.now() - t0} ms), not hung`)
  }
  await own.restart()
  t.ok(await eventually('get after restart', () => s.get('network', 'n1')), 'the client reconnects by itself')
})
