// The OVSDB client without a real server: the JSON splitter, the value encodings, and a scripted server
// for echo, errors, bad input and reconnects.
import t from 'tap'
import { createServer, type Server, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonFramer } from '../../agent/ovsdb/framer.js'
import { OvsdbClient } from '../../agent/ovsdb/client.js'
import { OvsdbError } from '../../agent/ovsdb/errors.js'
import { map, mapRecord, namedUuid, optional, set, setItems, uuid, emptySet } from '../../agent/ovsdb/data.js'
import { insert, wait, eq } from '../../agent/ovsdb/operations.js'
import { lineLogger } from '../../log/logger.js'

t.test('the splitter cuts JSON texts back to back, whatever the chunking', async t => {
  const texts = ['{"id":1,"result":["a}b",{"x":"\\"}"}]}', '{"method":"echo","params":[],"id":"echo"}', '{"s":"é ü {[ \\\\"}']
  const stream = Buffer.from(texts.join(' \n'))
  for (const step of [1, 2, 3, 5, 17, stream.length]) {
    const f = new JsonFramer()
    const got: string[] = []
    for (let i = 0; i < stream.length; i += step) got.push(...f.push(stream.subarray(i, i + step)))
    t.same(
      got.map(s => JSON.parse(s) as unknown),
      texts.map(s => JSON.parse(s) as unknown),
      `chunks of ${step} bytes`,
    )
  }
  t.throws(() => new JsonFramer().push(Buffer.from('}')), { code: 'OVSDB_BAD_JSON' })
  t.throws(() => new JsonFramer(10).push(Buffer.from('{"aaaaaaaaaaaaaaaa')), { code: 'OVSDB_BAD_JSON' })
})

t.test('values are encoded as RFC 7047 5.1 gives them', async t => {
  t.same(set(['a']), 'a', 'a one-element set goes bare')
  t.same(set(['a', 'b']), ['set', ['a', 'b']])
  t.same(set([]), ['set', []])
  t.same(map({ 'iface-id': 'p1' }), ['map', [['iface-id', 'p1']]])
  t.same(uuid('u'), ['uuid', 'u'])
  t.same(namedUuid('n'), ['named-uuid', 'n'])
  t.same(setItems('x'), ['x'])
  t.same(setItems(['set', [1, 2]]), [1, 2])
  t.same(optional(emptySet()), undefined)
  t.same(optional(5), 5)
  t.same(
    mapRecord([
      'map',
      [
        ['a', 'b'],
        ['c', ['uuid', 'u1']],
      ],
    ]),
    { a: 'b', c: 'u1' },
  )
  t.throws(() => mapRecord('x'), { code: 'OVSDB_BAD_VALUE' })
  t.same(insert('Port', { name: 'p' }, 'port'), { op: 'insert', table: 'Port', row: { name: 'p' }, 'uuid-name': 'port' })
  t.same(wait('Bridge', [eq('name', 'b')], { columns: ['name'], until: '==', rows: [] }), {
    op: 'wait',
    table: 'Bridge',
    where: [['name', '==', 'b']],
    columns: ['name'],
    until: '==',
    rows: [],
  })
})

/** A scripted OVSDB server: answers with `reply(method, params)`. */
class FakeServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'dfe-ovsdb-'))
  readonly path = join(this.dir, 'db.sock')
  readonly sockets = new Set<Socket>()
  received: Array<{ method?: string; params?: unknown; id?: unknown; result?: unknown }> = []
  private server: Server | undefined
  constructor(private readonly reply: (method: string, params: unknown[]) => unknown) {}

  async start(): Promise<void> {
    const server = createServer(s => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
      const f = new JsonFramer()
      s.on('data', (c: Buffer) => {
        for (const text of f.push(c)) {
          const m = JSON.parse(text) as { method?: string; params?: unknown[]; id?: unknown }
          this.received.push(m)
          if (typeof m.method === 'string') {
            const result = this.reply(m.method, m.params ?? [])
            if (result instanceof Error) s.write(JSON.stringify({ result: null, error: { error: result.message }, id: m.id }))
            else if (result !== undefined) s.write(JSON.stringify({ result, error: null, id: m.id }))
          }
        }
      })
    })
    this.server = server
    await new Promise<void>(resolve => server.listen(this.path, resolve))
  }

  send(obj: unknown): void {
    for (const s of this.sockets) s.write(typeof obj === 'string' ? obj : JSON.stringify(obj))
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    const server = this.server
    this.server = undefined
    if (server !== undefined)
      await new Promise<void>(resolve =>
        server.close(() => {
          resolve()
        }),
      )
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

const until = async (what: string, check: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

t.test('echo, errors, bad input and reconnects against a scripted server', async t => {
  let monitorCalls = 0
  const srv = new FakeServer((method, params) => {
    if (method === 'list_dbs') return ['Open_vSwitch']
    if (method === 'transact') {
      return params.length > 2 ? [{}, { error: 'constraint violation', details: 'no such row' }] : [{ uuid: ['uuid', 'abc'] }]
    }
    if (method === 'get_schema') return new Error('unknown database')
    if (method === 'monitor') {
      monitorCalls++
      return { Interface: { u1: { new: { name: 'p1' } } } }
    }
    return undefined
  })
  await srv.start()
  const logs: string[] = []
  const client = new OvsdbClient({
    target: `unix:${srv.path}`,
    minBackoffMs: 20,
    maxBackoffMs: 100,
    log: lineLogger('test', l => logs.push(l)),
  })
  t.teardown(async () => {
    await client.close()
    await srv.stop()
    srv.cleanup()
  })
  await client.connect()
  t.same(await client.listDbs(), ['Open_vSwitch'])

  // the server's echo gets its params back with the same id
  srv.send({ method: 'echo', params: ['x'], id: 'echo' })
  await until('echo reply', () => srv.received.some(m => m.id === 'echo'))
  t.same(srv.received.find(m => m.id === 'echo')?.result, ['x'])

  await t.rejects(client.getSchema('nope'), { code: 'OVSDB_RPC_ERROR' })
  t.same(await client.transact('Open_vSwitch', [insert('Bridge', { name: 'b' })]), [{ uuid: ['uuid', 'abc'] }])
  const txn = await client
    .transact('Open_vSwitch', [insert('Bridge', { name: 'b' }), insert('Port', { name: 'p' })])
    .catch((e: unknown) => e)
  t.ok(txn instanceof OvsdbError && txn.code === 'OVSDB_TXN_ERROR', 'a failed operation rejects the transaction')
  t.match(String(txn), /operation 1 \(insert Port\): constraint violation: no such row/)

  // bad input is counted and logged once; the session goes on
  srv.send('{"not json": }')
  srv.send('{"not json": }')
  srv.send({ id: 999, result: [], error: null })
  await until('bad messages counted', () => client.stats.badMessages >= 3)
  t.equal(logs.filter(l => l.includes('OVSDB_BAD_JSON')).length, 1, 'logged once per code')
  t.same(await client.listDbs(), ['Open_vSwitch'], 'still talking')

  // monitors are re-issued after a reconnect and delivered as initial contents again
  const deliveries: boolean[] = []
  await client.monitor('Open_vSwitch', { Interface: { columns: ['name'] } }, (_u, initial) => deliveries.push(initial))
  srv.send({ method: 'update', params: [lastMonitorId(srv), { Interface: { u1: { new: { name: 'p2' } } } }], id: null })
  await until('update delivered', () => deliveries.length >= 2)
  const reconnected = new Promise(resolve => client.once('connect', resolve))
  for (const s of srv.sockets) s.destroy()
  await reconnected
  await until('monitor re-issued', () => deliveries.length >= 3)
  t.same(deliveries, [true, false, true])
  t.equal(monitorCalls, 2)
  t.ok(client.stats.reconnects >= 1)

  // while the server is down requests fail fast, and the client comes back when it returns
  await srv.stop()
  await until('disconnected', () => !client.isConnected)
  await t.rejects(client.listDbs(), { code: 'OVSDB_NOT_CONNECTED' })
  await srv.start()
  await until('reconnected', () => client.isConnected)
  t.same(await client.listDbs(), ['Open_vSwitch'])
})

t.test('connect keeps trying until the server is there, and can give up waiting', async t => {
  const srv = new FakeServer(method => (method === 'list_dbs' ? ['db'] : undefined))
  const client = new OvsdbClient({ target: `unix:${srv.path}`, minBackoffMs: 20, maxBackoffMs: 50 })
  t.teardown(async () => {
    await client.close()
    await srv.stop()
    srv.cleanup()
  })
  await t.rejects(client.connect({ timeoutMs: 150 }), { code: 'OVSDB_TIMEOUT' })
  const connected = new Promise(resolve => client.once('connect', resolve))
  await srv.start()
  await connected
  t.same(await client.listDbs(), ['db'])
  const bad = new OvsdbClient({ target: 'ssl:1.2.3.4:6640' })
  await t.rejects(bad.connect(), { code: 'OVSDB_BAD_VALUE' })
  await bad.close()
})

t.test('a server that stops answering is probed with echo and left for a new session', async t => {
  let answerEcho = true
  const srv = new FakeServer(method =>
    method === 'echo' ? (answerEcho ? ['probe'] : undefined) : method === 'list_dbs' ? ['db'] : undefined,
  )
  await srv.start()
  const logs: string[] = []
  const client = new OvsdbClient({
    target: `unix:${srv.path}`,
    probeIntervalMs: 100,
    minBackoffMs: 20,
    log: lineLogger('test', l => logs.push(l)),
  })
  t.teardown(async () => {
    await client.close()
    await srv.stop()
    srv.cleanup()
  })
  await client.connect()
  await until('a probe answered', () => srv.received.some(m => m.method === 'echo'))
  t.ok(client.isConnected)
  answerEcho = false
  const dropped = new Promise(resolve => client.once('disconnect', resolve))
  await dropped
  t.match(logs.join('\n'), /did not answer a probe/)
  answerEcho = true
  await until('reconnected', () => client.isConnected)
  t.same(await client.listDbs(), ['db'])
})

/** The monitor id the client sent in its last monitor request (params: [db, id, requests]). */
function lastMonitorId(srv: FakeServer): unknown {
  const m = [...srv.received].reverse().find(r => r.method === 'monitor')
  return Array.isArray(m?.params) ? (m.params as unknown[])[1] : undefined
}
