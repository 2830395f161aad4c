// The packet-in host without a switch (a scripted connection and a scripted datapath): replies and forwarded
// frames leave with PACKET_OUT, back out of the ingress port through OFPP_IN_PORT; packet-ins it cannot handle
// (no in_port, a datapath that throws, a channel that refuses to send) are counted per cause, logged once each,
// and never take the host down.
import { EventEmitter } from 'node:events'
import t from 'tap'
import { PacketInHost } from '../../agent/controller/packet-in-host.js'
import { OFPP_IN_PORT, oxm, type OfConnection, type OfMessage, type PacketIn, type PacketOut } from '../../agent/openflow/index.js'
import type { DatapathApi, PacketInResult } from '../../datapath/host/index.js'
import { lineLogger } from '../../log/logger.js'

class FakeConn extends EventEmitter {
  sent: OfMessage[] = []
  refuse = false
  send(m: OfMessage): number {
    if (this.refuse) throw new Error('channel closed')
    this.sent.push(m)
    return 1
  }
}

const packetIn = (inPort?: number): PacketIn => ({
  type: 'OFPT_PACKET_IN',
  bufferId: 0xffffffff,
  totalLen: 4,
  reason: 1,
  tableId: 13,
  cookie: 0n,
  match: inPort === undefined ? [] : [oxm('OXM_OF_IN_PORT', inPort)],
  data: Buffer.from([1, 2, 3, 4]),
})

t.test('replies and verdicts become PACKET_OUTs; failures are counted once', async t => {
  let next: () => PacketInResult = () => ({
    verdict: { action: 'drop', reason: 'punt_dhcp', packet: new Uint8Array() },
    replies: [{ ofport: 3, packet: new Uint8Array([9]) }],
  })
  const datapath = { packetIn: () => next() } as unknown as DatapathApi // only packetIn is used by the host
  const logs: string[] = []
  const host = new PacketInHost({ datapath, log: lineLogger('test', l => logs.push(l), { level: 'warn' }), floodPorts: () => [3, 4, 5] })
  const conn = new FakeConn()
  host.attach(conn as unknown as OfConnection) // the host only uses on() and send()

  conn.emit('packet-in', packetIn(3))
  const out = conn.sent[0] as PacketOut
  t.equal(out.type, 'OFPT_PACKET_OUT')
  t.same(out.actions, [{ type: 'OFPAT_OUTPUT', port: OFPP_IN_PORT }], 'a reply to the ingress port goes through OFPP_IN_PORT')
  t.equal(out.inPort, 3)

  next = () => ({ verdict: { action: 'flood', reason: 'none', network: 1, packet: new Uint8Array([7]) }, replies: [] })
  conn.sent = []
  conn.emit('packet-in', packetIn(4))
  t.same(
    conn.sent.map(m => (m as PacketOut).actions),
    [[{ type: 'OFPAT_OUTPUT', port: 3 }], [{ type: 'OFPAT_OUTPUT', port: 5 }]],
    'a flood verdict goes to every local port of the network but the ingress one',
  )

  conn.emit('packet-in', packetIn())
  conn.emit('packet-in', packetIn())
  next = () => {
    throw new Error('boom')
  }
  conn.emit('packet-in', packetIn(1))
  next = () => ({ verdict: { action: 'output', reason: 'none', ofport: 2, packet: new Uint8Array([1]) }, replies: [] })
  conn.refuse = true
  conn.emit('packet-in', packetIn(1))
  t.same(Object.fromEntries(host.stats.bad), { no_in_port: 2, datapath_error: 1, send_failed: 1 }, 'each cause counted')
  t.equal(logs.length, 3, 'each cause logged once')
  t.equal(host.stats.received, 6)
  t.equal(host.stats.answered, 2)
})
