// The agent's reactive L3 cache without a switch (a scripted connection, scripted slow-path results): a routed
// reactive miss becomes one FLOW_MOD ADD with the idle timeout and a reactive cookie; anything the slow path did
// not forward, or no known route covers, is not cached; the cap and the per-port install budget refuse and count;
// a flush is one FLOW_MOD DELETE under the reactive cookie mask.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Context } from '../../offload/openflow/stages/context.js'
import { PROACTIVE_GENERATION } from '../../offload/openflow/layout.js'
import { DEFAULT_CAP, ReactiveL3, decideL3, routedFields } from '../../agent/controller/reactive-l3.js'
import { OFPFC_ADD, OFPFC_DELETE, type FlowMod, type OfConnection, type OfMessage, type PacketIn } from '../../agent/openflow/index.js'
import type { PacketInResult, Topology } from '../../datapath/host/index.js'
import { OF_TABLE_BASE, STAGE_L3_ROUTE } from '../../datapath/spec/stages.js'
import { REASON_PUNT_ICMP_ERROR } from '../../datapath/spec/verdicts.js'
import { makeCookie, parseCookie, reactiveSelector } from '../../offload/openflow/layout.js'
import { planOffload } from '../../offload/planner.js'
import { loadProfile, type Profile } from '../../offload/profile.js'
import { lineLogger, silentLogger } from '../../log/logger.js'

const topology = JSON.parse(readFileSync(join(process.cwd(), 'test', 'offload', 'topologies', 'two-networks.json'), 'utf8')) as Topology
const ROUTER_MAC = [0xfa, 0x16, 0x3e, 0x00, 0x00, 0x10]

class FakeConn {
  sent: OfMessage[] = []
  send(m: OfMessage): number {
    this.sent.push(m)
    return 1
  }
  async request(): Promise<OfMessage> {
    return await new Promise(() => undefined)
  } // the read-back is not under test here
}

function ipv4Frame(dst: number[], vlan = false): Buffer {
  const eth = [...ROUTER_MAC, 0xfa, 0x16, 0x3e, 0, 0, 1, ...(vlan ? [0x81, 0x00, 0, 5] : []), 0x08, 0x00]
  const ip = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 5, ...dst, 8, 0, 0, 0, 0, 0, 0, 0]
  return Buffer.from([...eth, ...ip])
}

const punt = (data: Buffer, subject: Parameters<typeof makeCookie>[0]['subject'] = { reactiveMiss: 1 }): PacketIn => ({
  type: 'OFPT_PACKET_IN',
  bufferId: 0xffffffff,
  totalLen: data.length,
  reason: 1,
  tableId: OF_TABLE_BASE + STAGE_L3_ROUTE,
  cookie: makeCookie({ generation: 4, stage: STAGE_L3_ROUTE, subject }),
  match: [],
  data,
})
const forwarded: PacketInResult = { verdict: { action: 'output', reason: 'none', ofport: 2, packet: new Uint8Array() }, replies: [] }
const dropped: PacketInResult = { verdict: { action: 'drop', reason: 'no_route', packet: new Uint8Array() }, replies: [] }
const ctx = { context: Context.of(topology.entries, { generation: PROACTIVE_GENERATION }), generation: 4 }

t.test('a routed reactive miss is cached once, with its idle timeout and a reactive cookie', async t => {
  const r = new ReactiveL3({ idleTimeout: 5, log: silentLogger })
  r.enabled = true
  const conn = new FakeConn()
  const c = conn as unknown as OfConnection // ReactiveL3 uses send() and request() only
  r.onPacketIn(c, punt(ipv4Frame([10, 1, 0, 5]), { reason: REASON_PUNT_ICMP_ERROR }), 1, forwarded, ctx)
  t.equal(conn.sent.length, 0, 'a punt that is not the reactive miss is not its business')
  r.onPacketIn(c, punt(ipv4Frame([10, 1, 0, 5])), 1, forwarded, ctx)
  t.equal(conn.sent.length, 1)
  const fm = conn.sent[0] as FlowMod
  t.equal(fm.command, OFPFC_ADD)
  t.equal(fm.idleTimeout, 5, 'idle timeout')
  t.equal(fm.hardTimeout, 0)
  t.equal(fm.tableId, OF_TABLE_BASE + STAGE_L3_ROUTE)
  t.same(
    parseCookie(fm.cookie),
    { generation: 4, stage: STAGE_L3_ROUTE, subject: { reactive: 1 } },
    'the current generation, reactive, the router',
  )
  t.ok(
    fm.match.some(o => o.name === 'OXM_OF_IPV4_DST' && o.mask === undefined && o.value.equals(Buffer.from([10, 1, 0, 5]))),
    'exact destination',
  )
  r.onPacketIn(c, punt(ipv4Frame([10, 1, 0, 5])), 1, forwarded, ctx)
  t.equal(conn.sent.length, 2, 'a miss for a flow believed live is added again (it expired, or raced its install)')
  t.match(r.stats(), { misses: 2, installs: 1, reinstalls: 1, live: 1, notRouted: 0 })

  r.onPacketIn(c, punt(ipv4Frame([10, 0, 0, 6])), 1, dropped, ctx)
  t.equal(conn.sent.length, 2, 'the slow path did not forward it: nothing cached')
  r.onPacketIn(c, punt(ipv4Frame([10, 0, 0, 6], true)), 1, forwarded, ctx)
  t.equal(conn.sent.length, 3, 'a frame with a VLAN tag is parsed past the tag')
  t.equal(r.stats().notRouted, 1)
  r.stop()
})

t.test('cap and per-port budget refuse and count; routing disabled caches nothing', async t => {
  const logs: string[] = []
  const r = new ReactiveL3({ idleTimeout: 5, log: lineLogger('test', l => logs.push(l)), installRate: 0.001, installBurst: 2 })
  const conn = new FakeConn()
  const c = conn as unknown as OfConnection
  r.onPacketIn(c, punt(ipv4Frame([10, 1, 0, 5])), 1, forwarded, ctx)
  t.equal(conn.sent.length, 0, 'disabled (proactive): nothing cached')
  r.enabled = true
  r.cap = 3
  for (const last of [1, 2, 3]) r.onPacketIn(c, punt(ipv4Frame([10, 1, 0, last])), 1, forwarded, ctx)
  t.equal(conn.sent.length, 2, 'port 1 spent its burst of 2')
  t.equal(r.stats().refusedRate, 1)
  r.onPacketIn(c, punt(ipv4Frame([10, 1, 0, 3])), 2, forwarded, ctx)
  t.equal(conn.sent.length, 3, 'another port has its own budget')
  r.onPacketIn(c, punt(ipv4Frame([10, 1, 0, 4])), 3, forwarded, ctx)
  t.equal(conn.sent.length, 3, 'the cap of 3 live flows is reached')
  t.match(r.stats(), { refusedFull: 1, live: 3, installs: 3 })
  t.equal(logs.length, 2, 'each refusal kind logged once')

  r.flush(c)
  const del = conn.sent[3] as FlowMod
  t.equal(conn.sent.length, 4, 'one message')
  t.equal(del.command, OFPFC_DELETE)
  const sel = reactiveSelector(STAGE_L3_ROUTE)
  t.same([del.cookie, del.cookieMask, del.tableId], [sel.cookie, sel.mask, OF_TABLE_BASE + STAGE_L3_ROUTE], 'by cookie mask, in l3_route')
  t.match(r.stats(), { flushes: 1, live: 0 })
  t.match(logs[2], /routing changed, 3 reactive flow\(s\) deleted/)
  r.stop()
})

t.test('routed fields of a frame', async t => {
  t.same(routedFields(ipv4Frame([192, 0, 2, 1])), { ethDst: 'fa:16:3e:00:00:10', dst: '192.0.2.1' })
  const v6 = Buffer.alloc(54)
  Buffer.from(ROUTER_MAC).copy(v6, 0)
  v6.writeUInt16BE(0x86dd, 12)
  Buffer.from('20010db8000000000000000000000001', 'hex').copy(v6, 14 + 24)
  t.same(routedFields(v6), { ethDst: 'fa:16:3e:00:00:10', dst: '2001:db8::1' }, 'IPv6 destination in RFC 5952 text')
  t.equal(routedFields(Buffer.alloc(10)), undefined, 'a runt is nothing')
  t.equal(routedFields(ipv4Frame([1, 2, 3, 4]).subarray(0, 20)), undefined, 'a truncated IPv4 header is nothing')
})

t.test("the routing mode follows the operator, or the plan's reactive-cache placement of l3_route", async t => {
  const ovs = loadProfile('ovs-userspace')
  const roomy = planOffload(topology.entries, ovs)
  t.same(decideL3(roomy, undefined), { mode: 'proactive', cap: DEFAULT_CAP, why: 'default' }, 'an unbounded OVS table: proactive')
  t.match(decideL3(roomy, 'reactive'), { mode: 'reactive', cap: DEFAULT_CAP }, 'reactive when asked')
  // the same profile with 4-rule tables: l3_route (5 rules on this topology) no longer fits whole
  const small = structuredClone<Profile>(ovs)
  for (const c of small.tables.classes) c.capacity = { value: 4, unit: 'rules', source: 'test: a small table' }
  const plan = planOffload(topology.entries, small)
  t.equal(plan.stages.find(s => s.id === STAGE_L3_ROUTE)?.placement, 'reactive-cache', 'the planner caches l3_route')
  const d = decideL3(plan, undefined)
  t.equal(d.mode, 'reactive', 'the agent routes reactively without being asked')
  t.equal(d.cap, plan.stages.find(s => s.id === STAGE_L3_ROUTE)?.rulesOnTarget, 'capped at what the plan says the table holds')
  t.match(d.why, /reactive cache/)
})
