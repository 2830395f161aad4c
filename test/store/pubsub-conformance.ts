// The pub/sub driver conformance suite. A driver's test file calls `pubSubConformance(t, makeHarness)`; each
// subtest gets a fresh harness. `emit` makes a change happen the driver's way: publish() for a message bus, a
// store write for etcd-watch (where the store's commit is the publication).
import type { Test } from 'tap'
import type { Change, PubSub } from '../../store/types.js'
import { sleep, until } from './wait.js'

export interface PubSubHarness {
  /** A new pub/sub client (its own connection where the driver has one). */
  client(): Promise<PubSub>
  /** Makes an object `id` of `table` with `topics` be created and published. */
  emit(table: string, id: string, topics: string[]): Promise<void>
  restartServer?(): Promise<void>
  dispose(): Promise<void>
}

type Log = Change[]

async function collect(ps: PubSub, topic: string): Promise<Log> {
  const log: Log = []
  await ps.subscribe(topic, c => log.push(c))
  return log
}

const ids = (log: Log): string[] => log.map(c => c.id)

export function pubSubConformance(t: Test, makeHarness: () => Promise<PubSubHarness>): void {
  const withHarness = (name: string, body: (t: Test, h: PubSubHarness) => Promise<void>): void => {
    t.test(name, async t => {
      const h = await makeHarness()
      t.teardown(() => h.dispose())
      await body(t, h)
    })
  }

  withHarness('a subscriber hears its topic; "*" hears every change once', async (t, h) => {
    const sub = await h.client()
    const net = await collect(sub, 'network:n1')
    const project = await collect(sub, 'project:p1')
    const all = await collect(sub, '*')
    await h.emit('port', 'x1', ['project:p1', 'network:n1'])
    await h.emit('port', 'x2', ['project:p1'])
    await h.emit('port', 'x3', ['project:p2', 'network:n2'])
    await h.emit('port', 'x4', [])
    await until('"*" to hear 4 changes', () => all.length >= 4)
    await sleep(200) // time for a wrongly routed message to arrive
    t.same(ids(all), ['x1', 'x2', 'x3', 'x4'], '"*": each change once, including one with no topics')
    t.same(ids(net), ['x1'], 'network:n1')
    t.same(ids(project).sort(), ['x1', 'x2'], 'project:p1')
    t.match(
      all[0],
      { table: 'port', id: 'x1', version: 1, action: 'create', topics: ['project:p1', 'network:n1'] },
      'a change carries table, id, version, action and topics',
    )
  })

  withHarness('changes on a topic arrive in publish order', async (t, h) => {
    const sub = await h.client()
    const topic = await collect(sub, 'network:n1')
    const all = await collect(sub, '*')
    const sent = Array.from({ length: 200 }, (_, i) => `m${i}`)
    for (const id of sent) await h.emit('port', id, ['network:n1'])
    await until('200 changes on the topic', () => topic.length >= 200 && all.length >= 200)
    t.same(ids(topic), sent, 'topic subscriber: in order, none lost or repeated')
    t.same(ids(all), sent, '"*" subscriber: in order, none lost or repeated')
  })

  withHarness('several clients and handlers; unsubscribe stops only that handler', async (t, h) => {
    const a = await h.client()
    const b = await h.client()
    const first: Log = []
    const second: Log = []
    const other: Log = []
    const stopFirst = await a.subscribe('project:p1', c => first.push(c))
    await a.subscribe('project:p1', c => second.push(c))
    await b.subscribe('project:p1', c => other.push(c))
    await h.emit('network', 'n1', ['project:p1'])
    await until('all three handlers', () => first.length === 1 && second.length === 1 && other.length === 1)
    await stopFirst()
    await h.emit('network', 'n2', ['project:p1'])
    await until('the remaining handlers', () => second.length === 2 && other.length === 2)
    await sleep(100)
    t.same(ids(first), ['n1'], 'the unsubscribed handler heard nothing more')
    t.same(ids(second), ['n1', 'n2'], 'the other handler on the same client still hears')
    t.same(ids(other), ['n1', 'n2'], 'another client hears everything')
  })

  withHarness('a throwing handler does not stop delivery', async (t, h) => {
    const sub = await h.client()
    await sub.subscribe('*', () => {
      throw new Error('handler bug')
    })
    const log = await collect(sub, '*')
    await h.emit('network', 'a', [])
    await h.emit('network', 'b', [])
    await until('two changes', () => log.length >= 2)
    t.same(ids(log), ['a', 'b'])
  })

  withHarness('subscribers hear changes again after a server restart', async (t, h) => {
    if (!h.restartServer) {
      t.pass('this driver has no server')
      return
    }
    const sub = await h.client()
    const log = await collect(sub, 'project:p1')
    await h.emit('network', 'before', ['project:p1'])
    await until('the change before the restart', () => log.length >= 1)
    await h.restartServer()
    // Probe until a change goes all the way through: the client has reconnected and re-subscribed.
    const deadline = Date.now() + 30_000
    for (let i = 0; !log.some(c => c.id.startsWith('probe')); i++) {
      if (Date.now() > deadline) throw new Error('no change delivered within 30 s of the restart')
      h.emit('network', `probe${i}`, ['project:p1']).catch(() => undefined) // may fail while reconnecting
      await sleep(500)
    }
    await h.emit('network', 'after', ['project:p1'])
    await until('the change after the restart', () => log.some(c => c.id === 'after'))
    t.equal(log[0]?.id, 'before')
    t.ok(
      log.some(c => c.id === 'after'),
      'delivery resumed after the restart',
    )
  })
}
