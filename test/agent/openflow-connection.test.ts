// The OpenFlow channel against a scripted switch (no root): handshake, echo both ways, replies by xid,
// multipart replies joined, bad messages counted without closing, a silent switch dropped, pending requests
// rejected on close, a switch without 1.3 refused.
import t from 'tap'
import { createConnection, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OfController } from '../../agent/openflow/controller.js'
import type { OfConnection } from '../../agent/openflow/connection.js'
import { decodeMessage, encodeMessage } from '../../agent/openflow/codec.js'
import { OfFramer } from '../../agent/openflow/framer.js'
import { OFPMPF_REPLY_MORE, OFPP_ANY, OFPG_ANY, OFPTT_ALL } from '../../agent/openflow/constants.js'
import type { MultipartReply, OfMessage } from '../../agent/openflow/messages.js'
import { OfpErrorReply } from '../../agent/openflow/error-reply.js'
import { OfError } from '../../agent/openflow/errors.js'
import { lineLogger } from '../../log/logger.js'

/** A fake switch: connects to the controller, answers HELLO and FEATURES, records the rest. */
class FakeSwitch {
  readonly got: OfMessage[] = []
  readonly socket: Socket
  private readonly framer = new OfFramer()
  onMessage: (m: OfMessage) => void = () => {}

  constructor(path: string, versions = [4]) {
    this.socket = createConnection(path)
    this.socket.on('connect', () => {
      this.send({ type: 'OFPT_HELLO', versions }, 1)
    })
    this.socket.on('error', () => {})
    this.socket.on('data', (c: Buffer) => {
      for (const f of this.framer.push(c)) {
        const m = decodeMessage(f)
        this.got.push(m)
        if (m.type === 'OFPT_FEATURES_REQUEST') {
          this.send(
            { type: 'OFPT_FEATURES_REPLY', datapathId: 0xabcn, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: 0 },
            m.xid ?? 0,
          )
        } else {
          this.onMessage(m)
        }
      }
    })
  }

  send(m: OfMessage, xid: number): void {
    this.socket.write(encodeMessage(m, xid))
  }
  raw(b: Buffer): void {
    this.socket.write(b)
  }
}

const flowStatsRequest: OfMessage = {
  type: 'OFPT_MULTIPART_REQUEST',
  flags: 0,
  body: { mpType: 'OFPMP_FLOW', tableId: OFPTT_ALL, outPort: OFPP_ANY, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match: [] },
}
const stats = (cookie: bigint): MultipartReply['body'] => ({
  mpType: 'OFPMP_FLOW',
  flows: [
    {
      tableId: 0,
      durationSec: 0,
      durationNsec: 0,
      priority: 1,
      idleTimeout: 0,
      hardTimeout: 0,
      flags: 0,
      cookie,
      packetCount: 0n,
      byteCount: 0n,
      match: [],
      instructions: [],
    },
  ],
})

async function setup(
  t: { teardown: (fn: () => Promise<void>) => void },
  opts: { echoIntervalMs?: number; versions?: number[] } = {},
): Promise<{ sw: FakeSwitch; conn: OfConnection | undefined; ctl: OfController; logs: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-of-'))
  const logs: string[] = []
  const ctl = new OfController({
    echoIntervalMs: opts.echoIntervalMs ?? 5000,
    requestTimeoutMs: 1000,
    log: lineLogger('test', l => logs.push(l)),
  })
  await ctl.listen({ path: join(dir, 'of.sock') })
  t.teardown(async () => {
    sw.socket.destroy()
    await ctl.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const next = ctl.nextSwitch(2000).catch(() => undefined)
  const sw = new FakeSwitch(join(dir, 'of.sock'), opts.versions)
  return { sw, conn: await next, ctl, logs }
}

t.test('handshake, echo, replies by xid and joined multipart replies', async t => {
  const { sw, conn } = await setup(t)
  if (conn === undefined) throw new Error('no switch')
  t.equal(conn.datapathId, 0xabcn)
  t.same(
    sw.got.map(m => m.type),
    ['OFPT_HELLO', 'OFPT_FEATURES_REQUEST'],
  )

  // the switch's echo is answered with its data
  const echoed = new Promise<OfMessage>(resolve => {
    sw.onMessage = resolve
  })
  sw.send({ type: 'OFPT_ECHO_REQUEST', data: Buffer.from('hi') }, 77)
  const reply = await echoed
  t.same(reply.type === 'OFPT_ECHO_REPLY' && [reply.xid, reply.data.toString()], [77, 'hi'])

  // a flow stats reply in two parts comes back as one
  sw.onMessage = m => {
    if (m.type === 'OFPT_MULTIPART_REQUEST') {
      sw.send({ type: 'OFPT_MULTIPART_REPLY', flags: OFPMPF_REPLY_MORE, body: stats(1n) }, m.xid ?? 0)
      sw.send({ type: 'OFPT_MULTIPART_REPLY', flags: 0, body: stats(2n) }, m.xid ?? 0)
    }
  }
  const joined = (await conn.request(flowStatsRequest)) as MultipartReply
  t.same(joined.body.mpType === 'OFPMP_FLOW' && joined.body.flows.map(f => f.cookie), [1n, 2n])

  // errors reach the request they answer; unsolicited ones are events
  sw.onMessage = m => {
    if (m.type === 'OFPT_BARRIER_REQUEST') {
      sw.send({ type: 'OFPT_ERROR', errType: 1, code: 1, data: encodeMessage(m, m.xid ?? 0) }, m.xid ?? 0)
    }
  }
  const err = await conn.barrier().catch((e: unknown) => e)
  t.ok(err instanceof OfpErrorReply && err.message.startsWith('OFPET_BAD_REQUEST/OFPBRC_BAD_TYPE for OFPT_BARRIER_REQUEST'), String(err))
  const unsolicited = new Promise<OfpErrorReply>(resolve => conn.once('error-reply', resolve))
  sw.send({ type: 'OFPT_ERROR', errType: 5, code: 0, data: Buffer.alloc(0) }, 4242)
  t.equal((await unsolicited).codeName, 'OFPFMFC_UNKNOWN')
  t.equal(conn.stats.unsolicitedErrors, 1)
})

t.test('bad messages are counted and logged once; the channel goes on', async t => {
  const { sw, conn, logs } = await setup(t)
  if (conn === undefined) throw new Error('no switch')
  const bad: OfError[] = []
  conn.on('bad-message', (e: OfError) => bad.push(e))
  sw.raw(Buffer.from('04ee000800000009', 'hex')) // unknown type
  sw.raw(Buffer.from('04ee000800000009', 'hex'))
  sw.raw(Buffer.from('040a000800000009', 'hex')) // a PACKET_IN with no body
  // a reply that does not decode rejects its request instead of leaving it hanging
  sw.onMessage = m => {
    if (m.type === 'OFPT_GET_CONFIG_REQUEST') sw.raw(Buffer.from(`0408000a${(m.xid ?? 0).toString(16).padStart(8, '0')}0000`, 'hex'))
  }
  const cfg = await conn.request({ type: 'OFPT_GET_CONFIG_REQUEST' }).catch((e: unknown) => e)
  t.ok(cfg instanceof OfError && cfg.code === 'OF_TRUNCATED', `a broken reply rejects: ${String(cfg)}`)
  t.same(
    bad.map(e => e.code),
    ['OF_UNKNOWN_TYPE', 'OF_UNKNOWN_TYPE', 'OF_TRUNCATED', 'OF_TRUNCATED'],
  )
  t.equal(conn.stats.badMessages, 4)
  t.equal(logs.filter(l => l.includes('OF_UNKNOWN_TYPE')).length, 1, 'each code is logged once')
  sw.onMessage = m => {
    if (m.type === 'OFPT_BARRIER_REQUEST') sw.send({ type: 'OFPT_BARRIER_REPLY' }, m.xid ?? 0)
  }
  await conn.barrier()
  t.notOk(conn.closed, 'still open')
  // a length below the header cannot be framed past: that closes the channel
  const closed = new Promise<string>(resolve => conn.once('close', resolve))
  sw.raw(Buffer.from('0400000400000000', 'hex'))
  t.equal(await closed, 'unframeable stream')
})

t.test('a silent switch is probed with echo, then dropped; pending requests reject', async t => {
  const { sw, conn } = await setup(t, { echoIntervalMs: 200 })
  if (conn === undefined) throw new Error('no switch')
  const pending = conn.request({ type: 'OFPT_BARRIER_REQUEST' }, 5000)
  const reason = await new Promise<string>(resolve => conn.once('close', resolve))
  t.match(reason, /no message from the switch/)
  t.ok(
    sw.got.some(m => m.type === 'OFPT_ECHO_REQUEST'),
    'an echo was sent first',
  )
  await t.rejects(pending, { code: 'OF_CLOSED' })
  t.throws(() => conn.send({ type: 'OFPT_BARRIER_REQUEST' }), { code: 'OF_CLOSED' })
})

t.test('a request without a reply times out', async t => {
  const { conn } = await setup(t)
  if (conn === undefined) throw new Error('no switch')
  await t.rejects(conn.request({ type: 'OFPT_BARRIER_REQUEST' }, 100), { code: 'OF_TIMEOUT' })
})

t.test('a switch without OpenFlow 1.3 is refused', async t => {
  const { sw, conn, logs } = await setup(t, { versions: [1] })
  t.equal(conn, undefined, 'no switch is announced')
  t.match(logs.join('\n'), /OF_HELLO_FAILED/)
  if (!sw.socket.destroyed) await new Promise(resolve => sw.socket.once('close', resolve))
  t.pass('the controller closed the channel')
})
