// The store driver conformance suite: every Store driver must pass it unchanged. A driver's test file calls
// `storeConformance(t, makeHarness)`; each subtest gets a fresh, empty store from the harness.
import type { Test } from 'tap'
import { type Change, type Store, StoreError } from '../../store/types.js'
import { eventually, until } from './wait.js'

export interface StoreHarness {
  /**
   * A client of this harness's store. Drivers with a server return a new connection each call; the embedded
   * driver (one writer per data directory) returns its one store, so "several clients" are concurrent callers.
   */
  client(): Promise<Store>
  /** Restarts the server behind the store (etcd), when there is one. */
  restartServer?(): Promise<void>
  /** Closes every client and frees the harness. */
  dispose(): Promise<void>
}

const P = ['project:p1']

function codeOf(err: unknown): string {
  return err instanceof StoreError ? err.code : `not a StoreError: ${String(err)}`
}

async function failsWith(t: Test, promise: Promise<unknown>, expect: { code: string; what: string }): Promise<void> {
  const { code, what } = expect
  try {
    await promise
    t.fail(`${what}: succeeded, expected StoreError '${code}'`)
  } catch (err) {
    t.equal(codeOf(err), code, `${what}: StoreError '${code}'`)
  }
}

export function storeConformance(t: Test, makeHarness: () => Promise<StoreHarness>): void {
  const withStore = (name: string, body: (t: Test, store: Store, h: StoreHarness) => Promise<void>): void => {
    t.test(name, async t => {
      const h = await makeHarness()
      t.teardown(() => h.dispose())
      await body(t, await h.client(), h)
    })
  }

  withStore('create, get, update, delete with versions', async (t, s) => {
    t.equal(await s.get('network', 'n1'), undefined, 'a missing object reads as undefined')
    const created = await s.create('network', 'n1', { name: 'a', mtu: 1450 }, P)
    t.match(created, { table: 'network', id: 'n1', version: 1, topics: P, value: { name: 'a', mtu: 1450 } })
    t.same(await s.get('network', 'n1'), created, 'get returns what create returned')
    const updated = await s.update('network', 'n1', { name: 'b' }, 1, ['project:p1', 'network:n1'])
    t.equal(updated.version, 2, 'update increments the version')
    t.same((await s.get('network', 'n1'))?.topics, ['project:p1', 'network:n1'], 'update replaces topics')
    t.same((await s.get('network', 'n1'))?.value, { name: 'b' }, 'update replaces the value')
    await s.delete('network', 'n1', 2)
    t.equal(await s.get('network', 'n1'), undefined, 'deleted')
    const again = await s.create('network', 'n1', { name: 'c' }, P)
    t.equal(again.version, 1, 're-created objects start again at version 1')
    await s.delete('network', 'n1')
    t.equal(await s.get('network', 'n1'), undefined, 'delete without a version deletes unconditionally')
  })

  withStore('ids and values survive as given', async (t, s) => {
    const id = 'a/b c:ü'
    const value = { nested: { list: [1, 'two', null, true] }, text: 'line\nbreak "quoted"' }
    await s.create('port', id, value, P)
    t.same((await s.get('port', id))?.value, value, 'an id with a slash, space and non-ASCII round-trips')
    t.same(
      (await s.list('port')).map(o => o.id),
      [id],
    )
    const read = await s.get('port', id)
    if (read) (read.value as { text: string }).text = 'changed by the caller'
    t.equal(((await s.get('port', id))?.value as { text: string }).text, value.text, 'editing a read object does not change the store')
  })

  withStore('values are JSON: what a write returns is what a read (or a restart) gives back', async (t, s) => {
    const created = await s.create('port', 'j', { when: new Date(0), gone: undefined, n: 1 }, P)
    const json = { when: '1970-01-01T00:00:00.000Z', n: 1 }
    t.same(created.value, json, 'create returns the JSON form')
    t.same((await s.get('port', 'j'))?.value, json, 'get returns the same')
    await failsWith(t, s.create('port', 'big', { n: 1n }, P), { code: 'invalid', what: 'a value JSON cannot hold' })
  })

  withStore('not found', async (t, s) => {
    await failsWith(t, s.update('network', 'nope', {}, 1, P), { code: 'not_found', what: 'update of a missing object' })
    await failsWith(t, s.delete('network', 'nope'), { code: 'not_found', what: 'delete of a missing object' })
    await failsWith(t, s.delete('network', 'nope', 1), { code: 'not_found', what: 'versioned delete of a missing object' })
  })

  withStore('already exists', async (t, s) => {
    await s.create('network', 'n1', { a: 1 }, P)
    await failsWith(t, s.create('network', 'n1', { a: 2 }, P), { code: 'already_exists', what: 'second create' })
    t.same((await s.get('network', 'n1'))?.value, { a: 1 }, 'the first create stands')
    await s.create('subnet', 'n1', { a: 3 }, P)
    t.pass('the same id in another table is another object')
  })

  withStore('compare-and-swap conflicts', async (t, s, h) => {
    await s.create('network', 'n1', { v: 0 }, P)
    await s.update('network', 'n1', { v: 1 }, 1, P)
    await failsWith(t, s.update('network', 'n1', { v: 'stale' }, 1, P), { code: 'version_conflict', what: 'update with a stale version' })
    await failsWith(t, s.update('network', 'n1', { v: 'future' }, 7, P), { code: 'version_conflict', what: 'update with a future version' })
    await failsWith(t, s.delete('network', 'n1', 1), { code: 'version_conflict', what: 'delete with a stale version' })
    t.same((await s.get('network', 'n1'))?.value, { v: 1 }, 'no failed write changed anything')
    // Ten writers race from the same version: exactly one wins.
    const clients = await Promise.all([1, 2, 3, 4].map(() => h.client()))
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (clients[i % clients.length] as Store).update('network', 'n1', { v: `w${i}` }, 2, P)),
    )
    const won = results.filter(r => r.status === 'fulfilled')
    t.equal(won.length, 1, 'one of ten concurrent CAS updates wins')
    t.ok(
      results.every(r => r.status === 'fulfilled' || codeOf(r.reason) === 'version_conflict'),
      'the others get version_conflict',
    )
    t.equal((await s.get('network', 'n1'))?.version, 3)
  })

  withStore('transactions are all-or-nothing', async (t, s) => {
    await s.create('router', 'r1', { n: 1 }, P)
    await failsWith(
      t,
      s.transact([
        { op: 'create', table: 'port', id: 'p1', topics: P, value: {} },
        { op: 'update', table: 'router', id: 'r1', version: 5, topics: P, value: { n: 2 } },
      ]),
      { code: 'version_conflict', what: 'a transaction with one stale op' },
    )
    t.equal(await s.get('port', 'p1'), undefined, 'its create did not happen')
    await failsWith(
      t,
      s.transact([
        { op: 'delete', table: 'router', id: 'r1' },
        { op: 'create', table: 'router', id: 'r0', topics: P, value: {} },
        { op: 'delete', table: 'port', id: 'missing' },
      ]),
      { code: 'not_found', what: 'a transaction deleting a missing object' },
    )
    t.ok(await s.get('router', 'r1'), 'its delete did not happen')
    t.equal(await s.get('router', 'r0'), undefined, 'nor its create')
    await failsWith(
      t,
      s.transact([
        { op: 'create', table: 'port', id: 'p1', topics: P, value: {} },
        { op: 'delete', table: 'port', id: 'p1' },
      ]),
      { code: 'invalid', what: 'one object twice in a transaction' },
    )
    const written = await s.transact([
      { op: 'create', table: 'port', id: 'p1', topics: P, value: { x: 1 } },
      { op: 'update', table: 'router', id: 'r1', version: 1, topics: P, value: { n: 2 } },
      { op: 'create', table: 'port', id: 'p2', topics: P, value: { x: 2 } },
    ])
    t.same(
      written.map(o => [o.table, o.id, o.version]),
      [
        ['port', 'p1', 1],
        ['router', 'r1', 2],
        ['port', 'p2', 1],
      ],
      'a good transaction returns every written object in op order',
    )
    const deleted = await s.transact([
      { op: 'delete', table: 'port', id: 'p1', version: 1 },
      { op: 'delete', table: 'port', id: 'p2' },
    ])
    t.same(deleted, [], 'deletes are omitted from the result')
    t.same(await s.list('port'), [], 'both deleted')
    await failsWith(t, s.transact([]), { code: 'invalid', what: 'an empty transaction' })
  })

  withStore('list by table and topic', async (t, s) => {
    await s.create('port', 'a', {}, ['project:p1', 'network:n1'])
    await s.create('port', 'b', {}, ['project:p1', 'network:n2'])
    await s.create('port', 'c', {}, ['project:p2', 'network:n2'])
    await s.create('network', 'n2', {}, ['project:p2', 'network:n2'])
    const ids = async (topic?: string): Promise<string[]> =>
      (await s.list('port', topic === undefined ? undefined : { topic })).map(o => o.id).sort()
    t.same(await ids(), ['a', 'b', 'c'], 'a table lists only its own objects')
    t.same(await ids('project:p1'), ['a', 'b'])
    t.same(await ids('network:n2'), ['b', 'c'])
    t.same(await ids('network:none'), [])
    t.same(await s.list('empty'), [], 'an unknown table is empty')
  })

  withStore('list follows topics that change and objects that go; by id prefix; ids alone', async (t, s) => {
    await s.create('port', 'sub1_10.0.0.2', {}, ['network:n1'])
    await s.create('port', 'sub1_10.0.0.3', {}, ['network:n1'])
    await s.create('port', 'sub10_10.0.0.2', {}, ['network:n1'])
    await s.create('port', 'sub2_10.0.0.2', {}, ['network:n2'])
    const ids = async (opts?: { topic?: string; prefix?: string }): Promise<string[]> => (await s.list('port', opts)).map(o => o.id).sort()
    t.same(
      await ids({ prefix: 'sub1_' }),
      ['sub1_10.0.0.2', 'sub1_10.0.0.3'],
      'an id prefix is a prefix, not a pattern (sub10_ is not sub1_)',
    )
    t.same(
      await ids({ prefix: 'sub1', topic: 'network:n1' }),
      ['sub10_10.0.0.2', 'sub1_10.0.0.2', 'sub1_10.0.0.3'],
      'prefix and topic together',
    )
    await s.update('port', 'sub1_10.0.0.3', {}, 1, ['network:n2'])
    t.same(await ids({ topic: 'network:n1' }), ['sub10_10.0.0.2', 'sub1_10.0.0.2'], 'an object leaves the topics it no longer has')
    t.same(await ids({ topic: 'network:n2' }), ['sub1_10.0.0.3', 'sub2_10.0.0.2'], 'and joins its new ones')
    await s.delete('port', 'sub2_10.0.0.2')
    t.same(await ids({ topic: 'network:n2' }), ['sub1_10.0.0.3'], 'a deleted object is gone from its topics')
    if (s.ids) {
      t.same((await s.ids('port', { topic: 'network:n1' })).sort(), ['sub10_10.0.0.2', 'sub1_10.0.0.2'], 'ids() gives the ids list() would')
      t.same((await s.ids('port', { prefix: 'sub1_' })).sort(), ['sub1_10.0.0.2', 'sub1_10.0.0.3'])
      t.same(await s.ids('empty'), [])
    }
  })

  withStore('a list bigger than one read (etcd pages: 1000 keys) is complete', async (t, s) => {
    const n = 2_345
    for (let i = 0; i < n; i += 100) {
      await s.transact(
        Array.from({ length: Math.min(100, n - i) }, (_, j) => ({
          op: 'create' as const,
          table: 'ip_allocations',
          id: `s_${String(i + j).padStart(5, '0')}`,
          topics: ['network:n1'],
          value: { n: i + j, pad: 'x'.repeat(200) },
        })),
      )
    }
    const all = await s.list('ip_allocations', { topic: 'network:n1' })
    t.equal(all.length, n, `all ${n} objects`)
    t.equal(new Set(all.map(o => o.id)).size, n, 'none twice (pages do not overlap)')
    t.equal((await s.list('ip_allocations', { prefix: 's_01' })).length, 1000, 'a prefix over page boundaries')
  })

  withStore('concurrent key allocation never hands out a key twice', async (t, s, h) => {
    const clients = [s, ...(await Promise.all([1, 2, 3].map(() => h.client())))]
    const keys = await Promise.all(Array.from({ length: 200 }, (_, i) => (clients[i % 4] as Store).allocateKey('port')))
    t.equal(new Set(keys).size, 200, '200 concurrent allocations from 4 clients: 200 distinct keys')
    t.ok(
      keys.every(k => Number.isInteger(k) && k > 0),
      'keys are positive integers',
    )
    t.equal(Math.max(...keys), 200, 'and small: no gaps when nobody crashed')
    t.equal(await s.allocateKey('network'), 1, 'key spaces are independent')
    t.equal(await s.allocateKey('port'), 201, 'allocation continues after the block')
    await failsWith(t, s.allocateKey('a/b'), { code: 'invalid', what: 'a key space name with a slash' })
  })

  withStore('watch delivers every change once, in commit order', async (t, s, h) => {
    const all: Change[] = []
    const ports: Change[] = []
    const stopAll = await s.watch(c => all.push(c))
    const stopPorts = await s.watch(c => ports.push(c), { table: 'port' })
    const writer = await h.client()
    await writer.create('network', 'n1', { i: 0 }, P)
    for (let i = 1; i <= 20; i++) await writer.update('network', 'n1', { i }, i, P)
    await writer.transact([
      { op: 'create', table: 'port', id: 'p1', topics: ['project:p1', 'network:n1'], value: {} },
      { op: 'update', table: 'network', id: 'n1', version: 21, topics: P, value: { i: 21 } },
    ])
    await writer.delete('port', 'p1')
    await until('24 changes', () => all.length >= 24)
    await until('2 port changes', () => ports.length >= 2)
    const networkVersions = all.filter(c => c.table === 'network').map(c => c.version)
    t.same(
      networkVersions,
      Array.from({ length: 22 }, (_, i) => i + 1),
      'versions arrive in order, none missing or repeated',
    )
    t.same(all.map(c => c.action).slice(0, 2), ['create', 'update'])
    t.same(
      ports.map(c => c.action),
      ['create', 'delete'],
      'a table filter sees only its table',
    )
    const del = ports[1]
    t.same(del?.topics, ['project:p1', 'network:n1'], 'a delete carries the topics the object had')
    t.equal(del?.value, undefined, 'and no value')
    t.same(all.find(c => c.action === 'create' && c.table === 'port')?.value, {}, 'a create carries the value')
    const revs = all.map(c => c.revision ?? 0)
    t.ok(
      revs.every((r, i) => i === 0 || r >= (revs[i - 1] as number)),
      'revisions never go back',
    )
    await stopAll()
    await stopPorts()
    await writer.create('network', 'n2', {}, P)
    await writer.get('network', 'n2')
    t.equal(all.length, 24, 'nothing after unsubscribing')
  })

  withStore('a throwing watch handler does not stop the others', async (t, s) => {
    const seen: string[] = []
    await s.watch(() => {
      throw new Error('handler bug')
    })
    const stop = await s.watch(c => seen.push(c.id))
    await s.create('network', 'a', {}, P)
    await s.create('network', 'b', {}, P)
    await until('two changes', () => seen.length >= 2)
    t.same(seen, ['a', 'b'])
    await stop()
  })

  withStore('clients keep working across a server restart', async (t, s, h) => {
    if (!h.restartServer) {
      t.pass('this driver has no server')
      return
    }
    const seen: Change[] = []
    await s.watch(c => seen.push(c))
    await s.create('network', 'before', {}, P)
    await until('the change before the restart', () => seen.length >= 1)
    await h.restartServer()
    const after = await eventually('create after restart', () =>
      s.create('network', 'after', {}, P).catch(async err => {
        // A create retried after an unacknowledged success finds its own object.
        const own = codeOf(err) === 'already_exists' ? await s.get('network', 'after') : undefined
        if (own) return own
        throw err
      }),
    )
    t.equal(after.version, 1, 'writes succeed again')
    t.ok(await s.get('network', 'before'), 'data from before the restart is there')
    await until('the watch to deliver a change made after the restart', () => seen.some(c => c.id === 'after'), { ms: 30_000 })
    t.same(
      seen.map(c => c.id),
      ['before', 'after'],
      'the watch resumed without loss or duplicates',
    )
    const key = await eventually('allocate after restart', () => s.allocateKey('port'))
    t.ok(key >= 1)
  })
}
