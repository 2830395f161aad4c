// The OpenFlow layer against a real Open vSwitch (private, userspace datapath; needs root): handshake,
// flows installed and read back, bundles, PACKET_OUT to a workload, PACKET_IN from a workload, errors,
// and every message OVS sent us decoded and re-encoded to the same bytes.
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { startOvs, type Ovs, type Workload } from '../helpers/ovs.js'
import { OfController } from '../../agent/openflow/controller.js'
import type { OfConnection } from '../../agent/openflow/connection.js'
import { encodeMessage, decodeMessage } from '../../agent/openflow/codec.js'
import {
  OFP_TYPES,
  OFPMPF_REPLY_MORE,
  OFPGC_ADD,
  OFPGC_DELETE,
  OFPGT_ALL,
  OFPP_ANY,
  OFPP_CONTROLLER,
  OFPG_ANY,
  OFPTT_ALL,
  OFPCML_NO_BUFFER,
  OFPPR_ADD,
  OFPR_NO_MATCH,
  OFP_NO_BUFFER,
} from '../../agent/openflow/constants.js'
import { flowAdd, flowDeleteByCookie, flowDeleteStrict, flowModify } from '../../agent/openflow/messages/flow-mod.js'
import { packetOut } from '../../agent/openflow/messages/packet-out.js'
import { matchGet, oxm } from '../../agent/openflow/oxm.js'
import { OfpErrorReply } from '../../agent/openflow/error-reply.js'
import type { FlowStats, MultipartReply, PacketIn, PortStatus } from '../../agent/openflow/messages.js'
import type { Instruction } from '../../agent/openflow/instructions.js'
import { describeDiff } from './golden.js'

const toController: Instruction = {
  type: 'OFPIT_APPLY_ACTIONS',
  actions: [{ type: 'OFPAT_OUTPUT', port: OFPP_CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
}
const output = (port: number): Instruction => ({ type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_OUTPUT', port }] })

let ovs: Ovs
let ctl: OfController
let sw: OfConnection
let a: Workload
let b: Workload
const frames: Buffer[] = []

t.before(async () => {
  ovs = await startOvs()
  ctl = new OfController({ echoIntervalMs: 2000 })
  const path = join(ovs.dir, 'of.sock')
  await ctl.listen({ path })
  const next = ctl.nextSwitch()
  await ovs.addBridge('br-int', { controller: path })
  sw = await next
  sw.on('frame', (f: Buffer) => frames.push(Buffer.from(f)))
  a = await ovs.addWorkload('a', 'br-int', 'port-a', { ip: '10.0.0.1/24', mac: '02:00:00:00:0a:01' })
  b = await ovs.addWorkload('b', 'br-int', 'port-b', { ip: '10.0.0.2/24', mac: '02:00:00:00:0a:02' })
})

t.teardown(async () => {
  await ctl?.close()
  await ovs?.stop()
})

async function flowStats(tableId = OFPTT_ALL): Promise<FlowStats[]> {
  const reply = (await sw.request({
    type: 'OFPT_MULTIPART_REQUEST',
    flags: 0,
    body: { mpType: 'OFPMP_FLOW', tableId, outPort: OFPP_ANY, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match: [] },
  })) as MultipartReply
  return reply.body.mpType === 'OFPMP_FLOW' ? reply.body.flows : []
}

async function dumpFlows(): Promise<string[]> {
  return (await ovs.ofctl('--no-stats', 'dump-flows', 'br-int'))
    .split('\n')
    .map(l => l.trim())
    .filter(l => l !== '' && !l.startsWith('OFPST_FLOW'))
}

t.test("HELLO and FEATURES: the datapath id is the bridge's", async t => {
  const dpid = (await ovs.vsctl('get', 'Bridge', 'br-int', 'datapath_id')).trim().replace(/"/g, '')
  t.equal(sw.datapathId, BigInt(`0x${dpid}`))
  t.ok((sw.features?.nTables ?? 0) >= 100, 'OVS offers 254 tables')
  await sw.sendWithBarrier([{ type: 'OFPT_SET_CONFIG', flags: 0, missSendLen: OFPCML_NO_BUFFER }])
  const cfg = await sw.request({ type: 'OFPT_GET_CONFIG_REQUEST' })
  t.same(cfg.type === 'OFPT_GET_CONFIG_REPLY' && cfg.missSendLen, OFPCML_NO_BUFFER)
})

t.test("port descriptions and PORT_STATUS name the workloads' ports", async t => {
  const reply = (await sw.request({ type: 'OFPT_MULTIPART_REQUEST', flags: 0, body: { mpType: 'OFPMP_PORT_DESC' } })) as MultipartReply
  const ports = reply.body.mpType === 'OFPMP_PORT_DESC' ? reply.body.ports : []
  t.same(ports.find(p => p.name === a.port)?.portNo, a.ofport)
  t.same(ports.find(p => p.name === b.port)?.portNo, b.ofport)
  // other ports may report state changes meanwhile: wait for the ADD of the new one
  const statuses: PortStatus[] = []
  const onStatus = (m: PortStatus): void => {
    statuses.push(m)
  }
  sw.on('port-status', onStatus)
  const c = await ovs.addWorkload('c', 'br-int', 'port-c')
  const end = Date.now() + 10_000
  while (!statuses.some(m => m.port.name === c.port && m.reason === OFPPR_ADD) && Date.now() < end)
    await new Promise(resolve => setTimeout(resolve, 20))
  sw.off('port-status', onStatus)
  const s = statuses.find(m => m.port.name === c.port) ?? { reason: -1, port: { name: '', portNo: -1 } }
  t.equal(s.reason, OFPPR_ADD)
  t.equal(s.port.name, c.port)
  t.equal(s.port.portNo, c.ofport)
  await ovs.removeWorkload(c)
})

t.test('FLOW_MOD installs flows that ovs-ofctl and flow stats both read back', async t => {
  const errors = await sw.sendWithBarrier([
    flowAdd({
      tableId: 0,
      priority: 100,
      cookie: 0x101n,
      match: [oxm('OXM_OF_IN_PORT', a.ofport)],
      instructions: [
        { type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_REG0', 7) }] },
        { type: 'OFPIT_GOTO_TABLE', table: 10 },
      ],
    }),
    flowAdd({
      tableId: 10,
      priority: 50,
      cookie: 0x102n,
      match: [oxm('NXM_NX_REG0', 7), oxm('OXM_OF_ETH_DST', b.mac)],
      instructions: [output(b.ofport)],
    }),
    flowAdd({
      tableId: 10,
      priority: 40,
      cookie: 0x203n,
      match: [oxm('OXM_OF_ETH_TYPE', 0x0800), oxm('OXM_OF_IPV4_DST', '10.0.0.0', '255.255.255.0')],
      instructions: [{ type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_DEC_NW_TTL' }, { type: 'NXAST_RESUBMIT_TABLE', table: 11 }] }],
    }),
  ])
  t.same(errors, [])
  const text = await dumpFlows()
  t.same(text, [
    `cookie=0x101, priority=100,in_port=${a.ofport} actions=set_field:0x7->reg0,goto_table:10`,
    `cookie=0x102, table=10, priority=50,reg0=0x7,dl_dst=${b.mac} actions=output:${b.ofport}`,
    'cookie=0x203, table=10, priority=40,ip,nw_dst=10.0.0.0/24 actions=dec_ttl,resubmit(,11)',
  ])
  const stats = await flowStats()
  t.same(
    stats.map(f => [f.tableId, f.priority, f.cookie]),
    [
      [0, 100, 0x101n],
      [10, 50, 0x102n],
      [10, 40, 0x203n],
    ],
  )
  const first = stats[0]
  t.equal(first !== undefined && matchGet(first.match, 'OXM_OF_IN_PORT'), a.ofport)
  t.same(
    first?.instructions.map(i => i.type),
    ['OFPIT_APPLY_ACTIONS', 'OFPIT_GOTO_TABLE'],
  )

  // modify strict changes only the actions of the flow with this match and priority
  t.same(
    await sw.sendWithBarrier([
      flowModify({
        tableId: 10,
        priority: 50,
        match: [oxm('NXM_NX_REG0', 7), oxm('OXM_OF_ETH_DST', b.mac)],
        instructions: [output(a.ofport)],
      }),
    ]),
    [],
  )
  t.ok(
    (await dumpFlows()).includes(`cookie=0x102, table=10, priority=50,reg0=0x7,dl_dst=${b.mac} actions=output:${a.ofport}`),
    'modified in place, cookie kept',
  )

  // delete strict, then by cookie mask: only the flows named go
  t.same(
    await sw.sendWithBarrier([
      flowDeleteStrict({
        tableId: 10,
        priority: 40,
        match: [oxm('OXM_OF_ETH_TYPE', 0x0800), oxm('OXM_OF_IPV4_DST', '10.0.0.0', '255.255.255.0')],
      }),
    ]),
    [],
  )
  t.equal((await flowStats()).length, 2)
  t.same(await sw.sendWithBarrier([flowDeleteByCookie(0x100n, 0xf00n)]), [])
  t.same(await flowStats(), [])
})

t.test('thousands of flows: sent with flow control, read back from a multipart reply OVS splits', async t => {
  const n = 5000
  const flows = Array.from({ length: n }, (_, i) =>
    flowAdd({ tableId: 40, priority: 10, cookie: 0x600n, match: [oxm('NXM_NX_REG2', i)], instructions: [output(a.ofport)] }),
  )
  t.same(await sw.sendWithBarrier(flows), [])
  const stats = await flowStats(40)
  t.equal(stats.length, n, 'all flows in one joined reply')
  const parts = frames.filter(f => f[1] === OFP_TYPES.OFPT_MULTIPART_REPLY && (f.readUInt16BE(10) & OFPMPF_REPLY_MORE) !== 0).length
  t.ok(parts > 1, `OVS split the reply (${parts} parts flagged OFPMPF_REPLY_MORE)`)
  t.equal(new Set(stats.map(f => matchGet(f.match, 'NXM_NX_REG2'))).size, n)
  t.same(await sw.sendWithBarrier([flowDeleteByCookie(0x600n, 0xf00n)]), [])
  t.equal((await flowStats(40)).length, 0)
})

t.test('a bundle applies several flows atomically, and a failing bundle applies none', async t => {
  await sw.bundle([
    flowAdd({ tableId: 20, priority: 1, cookie: 0x301n, match: [oxm('NXM_NX_REG1', 1)], instructions: [output(a.ofport)] }),
    flowAdd({ tableId: 20, priority: 1, cookie: 0x302n, match: [oxm('NXM_NX_REG1', 2)], instructions: [output(b.ofport)] }),
    flowAdd({
      tableId: 21,
      priority: 1,
      cookie: 0x303n,
      match: [oxm('OXM_OF_TUNNEL_ID', 5n)],
      instructions: [{ type: 'OFPIT_GOTO_TABLE', table: 22 }],
    }),
  ])
  t.same((await flowStats()).map(f => f.cookie).sort(), [0x301n, 0x302n, 0x303n])
  const failed = sw.bundle([
    flowAdd({ tableId: 20, priority: 2, cookie: 0x304n, match: [oxm('NXM_NX_REG1', 3)], instructions: [output(a.ofport)] }),
    // ipv4_dst without eth_type=0x0800: OVS refuses it (a missing prerequisite)
    flowAdd({ tableId: 20, priority: 2, cookie: 0x305n, match: [oxm('OXM_OF_IPV4_DST', '10.0.0.9')], instructions: [output(a.ofport)] }),
  ])
  await t.rejects(failed, OfpErrorReply)
  const err = await failed.catch((e: unknown) => e)
  t.match(String(err), /OFPBMC_BAD_PREREQ|ONFBFC_MSG_FAILED/, `the failure is named: ${String(err)}`)
  t.same((await flowStats()).map(f => f.cookie).sort(), [0x301n, 0x302n, 0x303n], 'nothing of the failed bundle is installed')
  await sw.sendWithBarrier([flowDeleteByCookie(0x300n, 0xf00n)])
})

t.test('GROUP_MOD installs a group that flows can use', async t => {
  const bucket = (
    port: number,
  ): { weight: number; watchPort: number; watchGroup: number; actions: Array<{ type: 'OFPAT_OUTPUT'; port: number }> } => ({
    weight: 0,
    watchPort: OFPP_ANY,
    watchGroup: OFPG_ANY,
    actions: [{ type: 'OFPAT_OUTPUT', port }],
  })
  t.same(
    await sw.sendWithBarrier([
      { type: 'OFPT_GROUP_MOD', command: OFPGC_ADD, groupType: OFPGT_ALL, groupId: 7, buckets: [bucket(a.ofport), bucket(b.ofport)] },
      flowAdd({
        tableId: 30,
        priority: 1,
        cookie: 0x501n,
        instructions: [{ type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_GROUP', groupId: 7 }] }],
      }),
    ]),
    [],
  )
  t.match(
    await ovs.ofctl('dump-groups', 'br-int'),
    new RegExp(`group_id=7,type=all,bucket=actions=output:${a.ofport},bucket=actions=output:${b.ofport}`),
  )
  t.ok((await dumpFlows()).includes('cookie=0x501, table=30, priority=1 actions=group:7'))
  const dup = await sw.sendWithBarrier([{ type: 'OFPT_GROUP_MOD', command: OFPGC_ADD, groupType: OFPGT_ALL, groupId: 7, buckets: [] }])
  t.equal(dup[0]?.codeName, 'OFPGMFC_GROUP_EXISTS')
  await sw.sendWithBarrier([
    flowDeleteByCookie(0x500n, 0xf00n),
    { type: 'OFPT_GROUP_MOD', command: OFPGC_DELETE, groupType: OFPGT_ALL, groupId: 7, buckets: [] },
  ])
  t.notMatch(await ovs.ofctl('dump-groups', 'br-int'), /group_id=7/)
})

t.test("an ERROR from OVS is decoded into the spec's names with the failed request", async t => {
  const errors = await sw.sendWithBarrier([
    flowAdd({ priority: 1, match: [oxm('OXM_OF_IPV4_DST', '10.0.0.9')], instructions: [output(1)] }),
    flowAdd({ tableId: 255, priority: 1, instructions: [] }),
  ])
  t.equal(errors.length, 2)
  t.equal(errors[0]?.typeName, 'OFPET_BAD_MATCH')
  t.equal(errors[0]?.codeName, 'OFPBMC_BAD_PREREQ')
  t.equal(errors[0]?.requestType, 'OFPT_FLOW_MOD')
  t.equal(errors[1]?.typeName, 'OFPET_FLOW_MOD_FAILED')
  t.equal(errors[1]?.codeName, 'OFPFMFC_BAD_TABLE_ID')
  const bad = await sw
    .request({ type: 'OFPT_MULTIPART_REQUEST', flags: 0, body: { mpType: 'unknown', code: 0x7777, body: Buffer.alloc(0) } })
    .catch((e: unknown) => e)
  t.ok(bad instanceof OfpErrorReply, 'a request answered by an ERROR rejects')
  t.equal(bad instanceof OfpErrorReply && `${bad.typeName}/${bad.codeName}`, 'OFPET_BAD_REQUEST/OFPBRC_BAD_MULTIPART')
})

async function capture(w: Workload, filter: string[], send: () => Promise<void>): Promise<string> {
  const p = spawn('ip', ['netns', 'exec', w.ns, 'tcpdump', '-i', w.ifname, '-c', '1', '-n', '-e', '-l', ...filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<void>(resolve =>
    p.once('exit', () => {
      resolve()
    }),
  )
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('tcpdump did not start'))
    }, 10_000)
    p.stderr.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  const kill = setTimeout(() => p.kill(), 10_000)
  try {
    await send()
    await exited
  } finally {
    clearTimeout(kill)
  }
  return out
}

t.test('a PACKET_OUT reaches the workload behind the port', async t => {
  // ARP request from a made-up host 02:00:00:00:0b:0b asking for b's address
  const frame = Buffer.from(
    `ffffffffffff02000000 0b0b08060001080006040001 02000000 0b0b0a00 00630000 000000000a000002`.replace(/ /g, ''),
    'hex',
  )
  const seen = await capture(b, ['ether', 'src', '02:00:00:00:0b:0b'], async () => {
    sw.send(packetOut(frame, [{ type: 'OFPAT_OUTPUT', port: b.ofport }]))
  })
  t.match(seen, /02:00:00:00:0b:0b > ff:ff:ff:ff:ff:ff.*Request who-has 10\.0\.0\.2 tell 10\.0\.0\.99/)
})

t.test("a workload's ARP comes to the controller as a PACKET_IN with its pipeline fields", async t => {
  t.same(
    await sw.sendWithBarrier([
      flowAdd({ tableId: 0, priority: 0, cookie: 0x400n, instructions: [toController] }),
      flowAdd({ tableId: 1, priority: 0, cookie: 0x402n, instructions: [toController] }),
      flowAdd({
        tableId: 0,
        priority: 10,
        cookie: 0x401n,
        match: [oxm('OXM_OF_IN_PORT', a.ofport)],
        instructions: [
          { type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_REG3', 0x99) }] },
          { type: 'OFPIT_WRITE_METADATA', metadata: 0x77n, mask: 0xffn },
          { type: 'OFPIT_GOTO_TABLE', table: 1 },
        ],
      }),
    ]),
    [],
  )
  const pin = new Promise<PacketIn>((resolve, reject) => {
    const timer = setTimeout(() => {
      sw.off('packet-in', on)
      reject(new Error('no PACKET_IN with the ARP in 10 s'))
    }, 10_000)
    const on = (m: PacketIn): void => {
      if (m.data.readUInt16BE(12) === 0x0806 && m.data.subarray(6, 12).equals(Buffer.from('02000000 0a01'.replace(/ /g, ''), 'hex'))) {
        clearTimeout(timer)
        sw.off('packet-in', on)
        resolve(m)
      }
    }
    sw.on('packet-in', on)
  })
  const ping = ovs.exec(a.ns, 'ping', '-c', '1', '-W', '1', '10.0.0.2').catch(() => undefined)
  const m = await pin
  await ping
  t.equal(m.bufferId, OFP_NO_BUFFER, 'OVS 3.1 never buffers')
  t.equal(m.reason, OFPR_NO_MATCH)
  t.equal(m.tableId, 1)
  t.equal(matchGet(m.match, 'OXM_OF_IN_PORT'), a.ofport)
  t.equal(matchGet(m.match, 'NXM_NX_REG3'), 0x99)
  t.equal(matchGet(m.match, 'OXM_OF_METADATA'), 0x77n)
  t.equal(m.totalLen, m.data.length)
  await sw.sendWithBarrier([flowDeleteByCookie(0x400n, 0xf00n)])
})

t.test('every message OVS sent decodes and re-encodes to the same bytes', async t => {
  t.ok(frames.length > 10, `${frames.length} messages captured`)
  const types = new Set<string>()
  for (const f of frames) {
    const m = decodeMessage(f)
    types.add(m.type)
    const diff = describeDiff(encodeMessage(m), f)
    if (diff !== '') t.fail(`${m.type}: ${diff}`)
  }
  for (const ty of [
    'OFPT_GET_CONFIG_REPLY',
    'OFPT_MULTIPART_REPLY',
    'OFPT_BARRIER_REPLY',
    'OFPT_PACKET_IN',
    'OFPT_PORT_STATUS',
    'OFPT_ERROR',
    'ONF_ET_BUNDLE_CONTROL',
  ]) {
    t.ok(types.has(ty), `captured a ${ty}`)
  }
  t.equal(sw.stats.badMessages, 0, 'OVS sent nothing we could not decode')
})

// The agent's stale-flow rule rests on this (offload/openflow/layout.ts): a process that dies mid-bundle leaves
// nothing of it on the switch, so a dump after a restart holds only committed state.
t.test('a bundle still open when the controller connection drops is discarded: none of its flows appear', async t => {
  const bundleId = 77
  const ctrl = (ctrlType: 'ONF_BCT_OPEN_REQUEST'): Promise<unknown> =>
    sw.request({ type: 'ONF_ET_BUNDLE_CONTROL', bundleId, ctrlType, flags: 1 })
  await ctrl('ONF_BCT_OPEN_REQUEST')
  const errors = await sw.sendWithBarrier(
    [flowAdd({ tableId: 30, priority: 1, cookie: 0x701n, match: [oxm('NXM_NX_REG1', 7)], instructions: [output(a.ofport)] })].map(
      message => ({ type: 'ONF_ET_BUNDLE_ADD_MESSAGE' as const, bundleId, flags: 1, message }),
    ),
  )
  t.same(errors, [], 'the add was accepted into the open bundle')
  const next = ctl.nextSwitch(30_000)
  sw.close('the test drops the controller mid-bundle')
  sw = await next
  t.same(
    (await flowStats()).filter(f => f.cookie === 0x701n),
    [],
    'the uncommitted flow is not on the switch',
  )
  t.notOk(
    (await dumpFlows()).some(l => l.includes('0x701')),
    'ovs-ofctl agrees',
  )
})

t.test('after ovs-vswitchd restarts, the switch connects again with the same datapath id', async t => {
  const before = sw.datapathId
  const closed = new Promise<string>(resolve => sw.once('close', resolve))
  const next = ctl.nextSwitch(30_000)
  await ovs.restartVswitchd()
  t.ok(await closed, 'the old channel closed')
  const again = await next
  t.equal(again.datapathId, before)
  t.same(
    ((await again.request({ type: 'OFPT_MULTIPART_REQUEST', flags: 0, body: { mpType: 'OFPMP_PORT_DESC' } })) as MultipartReply).body
      .mpType,
    'OFPMP_PORT_DESC',
  )
})
