// The slow path's 'tunnel' verdict (a punted frame whose pipeline ends at a port on another chassis, e.g. the
// first packet of a reactively routed flow): the frame leaves through the tunnel port with the network key as
// tunnel id and the remote chassis as tunnel destination, as ls_out_dispatch's flow would send it. Before, it
// was dropped and counted as tunnel_verdict. Without a tunnel port it is still counted, and nothing is sent.
import { EventEmitter } from 'node:events'
import t from 'tap'
import { PacketInHost } from '../../agent/controller/packet-in-host.js'
import { oxm, type OfConnection, type OfMessage, type PacketIn, type PacketOut } from '../../agent/openflow/index.js'
import type { DatapathApi, PacketInResult } from '../../datapath/host/index.js'
import { lineLogger, silentLogger } from '../../log/logger.js'

class FakeConn extends EventEmitter {
  sent: OfMessage[] = []
  send(m: OfMessage): number {
    this.sent.push(m)
    return 1
  }
}

const packetIn: PacketIn = {
  type: 'OFPT_PACKET_IN',
  bufferId: 0xffffffff,
  totalLen: 4,
  reason: 1,
  tableId: 14,
  cookie: 0n,
  match: [oxm('OXM_OF_IN_PORT', 5)],
  data: Buffer.from([1, 2, 3, 4]),
}
const tunnelled: PacketInResult = {
  verdict: { action: 'tunnel', reason: 'none', network: 0x2a, port: 9, remote: '172.31.7.2', packet: new Uint8Array([7, 7]) },
  replies: [],
}
const datapath = { packetIn: () => tunnelled } as unknown as DatapathApi // only packetIn is used by the host

t.test('a tunnel verdict leaves through the tunnel port with its metadata', async t => {
  const host = new PacketInHost({ datapath, log: silentLogger, floodPorts: () => [], tunnelOfport: () => 11 })
  const conn = new FakeConn()
  host.attach(conn as unknown as OfConnection) // the host only uses on() and send()
  conn.emit('packet-in', packetIn)
  const out = conn.sent[0] as PacketOut | undefined
  t.ok(out !== undefined, 'one PACKET_OUT')
  t.same(
    out?.actions,
    [
      { type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_TUNNEL_ID', 0x2an) },
      { type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_TUN_IPV4_DST', '172.31.7.2') },
      { type: 'OFPAT_OUTPUT', port: 11 },
    ],
    'tun_id = network key, tun_dst = the remote chassis, out of the tunnel port',
  )
  t.same([...(out?.data ?? [])], [7, 7], 'the frame as the pipeline left it')
  t.same(Object.fromEntries(host.stats.bad), {}, 'nothing counted as bad')
})

t.test('without a tunnel port the frame is counted, not sent', async t => {
  const logs: string[] = []
  const host = new PacketInHost({
    datapath,
    log: lineLogger('test', l => logs.push(l), { level: 'warn' }),
    floodPorts: () => [],
    tunnelOfport: () => undefined,
  })
  const conn = new FakeConn()
  host.attach(conn as unknown as OfConnection)
  conn.emit('packet-in', packetIn)
  conn.emit('packet-in', packetIn)
  t.equal(conn.sent.length, 0)
  t.same(Object.fromEntries(host.stats.bad), { no_tunnel_port: 2 })
  t.equal(logs.length, 1, 'logged once')
})
