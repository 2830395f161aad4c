// Needs root. Equivalence of the OpenFlow emitter with the WASM pipeline's specification: every batch-mode
// conformance vector (test/conformance/vectors/) is traced through a private OVS loaded with the emitted flows
// of its topology (`ofproto/trace <bridge> in_port=N <frame hex>`), and the verdict OVS reaches is compared
// with the vector's: action, reason (from the cookie of the flow that decided), ofport, network, remote, and the
// header fields of the packet that leaves (MACs, TTL / hop limit, addresses, ARP fields, VLAN tag).
// Disagreements that the emitter documents as OpenFlow gaps (offload/openflow/emitter.ts) are excused in
// EXCUSES, each vector by name with its reason; any other disagreement fails with the vector's intent and the trace.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Topology } from '../../datapath/host/entries.js'
import { OF_TABLE_BASE, STAGE_L2_LOOKUP } from '../../datapath/spec/stages.js'
import { REASON_NAMES } from '../../datapath/spec/verdicts.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { priorityOf } from '../../offload/openflow/priorities.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { type FieldValue, decodeFrame } from '../../datapath/host/packet-decoder.js'
import { Ipv6Address } from '../../datapath/host/addresses.js'
import type { FrameExpectation, PacketVector, VectorFile } from '../conformance/vector-format.js'
import { packetVectors } from '../conformance/run-vectors.js'
import { type Ovs, startOvs } from '../helpers/ovs.js'
import { type Excuse, ExcuseBook, MALFORMED_FRAMES, REASONS, SLOW_PATH_EXCUSES } from './openflow-excuses.js'

const root = process.cwd()
const TUNNEL_OFPORT = 1000 // the tunnel port of the conformance topologies

/**
 * Vectors on which OpenFlow cannot do what the WASM pipeline does, each by name, and why (openflow-excuses.ts:
 * an excuse for a vector not traced here, or for one that agrees now, fails the test).
 * Not excused because not traced (the vector carries `entries`): port_sec/na-own-target-from-other-global,
 * REASONS.ndTargetMask; openflow-sequences.root.test.ts replays it and excuses it there.
 */
const EXCUSES: Excuse[] = [
  ...SLOW_PATH_EXCUSES,
  { reason: REASONS.hairpinSource, vectors: ['hairpin/vm1-to-vm2-floating-ip', 'hairpin/vm2-to-vm1-floating-ip'] },
  {
    reason: REASONS.malformed,
    vectors: [
      ...MALFORMED_FRAMES,
      // disagree only when traced (openflow-sequences does not list them)
      'parse/empty-frame',
      'parse/ethernet-13-bytes/batch',
      'parse/truncated-before-classify',
    ],
  },
]

interface Seen {
  action: string
  reason: string
  ofport?: number
  network?: number
  port?: number
  remote?: string
  /** the packet's fields after the pipeline, from the trace's final flow */
  fields?: Map<string, string>
}

/** decodeFrame names (datapath/host/packet-decoder.ts) -> the ovs-fields names a trace prints. */
const TRACE_NAMES: Record<string, string[]> = {
  eth_src: ['dl_src'],
  eth_dst: ['dl_dst'],
  ttl: ['nw_ttl'],
  hop_limit: ['nw_ttl'],
  ip_src: ['nw_src', 'ipv6_src'],
  ip_dst: ['nw_dst', 'ipv6_dst'],
  arp_op: ['arp_op'],
  arp_sha: ['arp_sha'],
  arp_spa: ['arp_spa'],
  arp_tha: ['arp_tha'],
  arp_tpa: ['arp_tpa'],
  vlan_vid: ['dl_vlan'],
}

/** The single-packet vectors (sequences need real packets through conntrack: openflow-sequences.root.test.ts). */
function loadVectors(): { vectors: PacketVector[]; skippedSequences: number } {
  const dir = join(root, 'test', 'conformance', 'vectors')
  return packetVectors(
    readdirSync(dir)
      .filter(f => f.endsWith('.json'))
      .map(f => JSON.parse(readFileSync(join(dir, f), 'utf8')) as VectorFile),
  )
}

/** Vectors OVS can be asked about: batch mode, the topology as shipped, frames not still encapsulated. */
function traceable(v: PacketVector): boolean {
  // ofproto/trace cannot run conntrack (every ct() looks new to it): the security-group topology's vectors go
  // through real packets and OVS's conntrack in openflow-sequences.root.test.ts
  return (
    v.topology !== 'security-groups' &&
    v.mode === 'batch' &&
    v.entries === undefined &&
    v.remove === undefined &&
    v.before === undefined &&
    !(v.input.in_port === TUNNEL_OFPORT && v.input.tunnel_key === undefined)
  )
}

if (needRoot('private OVS in a network namespace', { wholeFile: true }) === false) {
  t.test('conformance vectors through OVS with the emitted flows', async t => {
    const ovs = await startOvs()
    t.teardown(() => ovs.stop())
    const loaded = loadVectors()
    t.comment(`${loaded.skippedSequences} sequence vectors skipped here (replayed by openflow-sequences.root.test.ts)`)
    const vectors = loaded.vectors.filter(traceable)
    t.comment(
      `${loaded.vectors.filter(v => v.topology === 'security-groups').length} security-group vectors left to openflow-sequences.root.test.ts (conntrack needs real packets)`,
    )
    const bridges = new Map<string, string>()
    for (const topo of new Set(vectors.map(v => v.topology))) {
      bridges.set(
        topo,
        await loadTopology(
          ovs,
          topo,
          vectors.filter(v => v.topology === topo).map(v => v.input.in_port),
        ),
      )
    }
    let agree = 0
    const gaps: string[] = []
    const excuses = new ExcuseBook(EXCUSES)
    for (const v of vectors) {
      const br = bridges.get(v.topology) as string
      // tunnel metadata only counts with an outer destination set (OVS flow_tnl), hence tun_src/tun_dst
      const flow =
        v.input.tunnel_key !== undefined
          ? `in_port=${v.input.in_port},tun_id=${v.input.tunnel_key},tun_src=192.168.100.2,tun_dst=192.168.100.1`
          : `in_port=${v.input.in_port}`
      let text: string
      try {
        text = await ovs.appctl('ofproto/trace', br, flow, v.input.hex)
      } catch (err) {
        // OVS parses frames itself and refuses some malformed ones before any flow sees them
        text = `OVS refused the frame: ${(err as Error).message.split('\n').find(l => l.trim() !== '' && !l.includes('failed')) ?? ''}`
      }
      const seen = verdictOf(text, v.input.in_port)
      const diff = compare(v, seen)
      if (diff === '') {
        agree++
        excuses.agreed(v.name)
        continue
      }
      const excuse = excuses.disagreed(v.name)
      if (excuse !== undefined) {
        gaps.push(`${v.name}: ${excuse.reason}`)
        continue
      }
      t.fail(
        `${v.name}: ${v.intent}\n  expected ${JSON.stringify({ ...v.expect, packet: undefined })}\n  OVS: ${JSON.stringify(seen)}\n  ${diff}\n${process.env['TRACE'] === '1' ? text : ''}`,
      )
    }
    t.comment(`${agree}/${vectors.length} vectors agree (${fieldsChecked} packet fields compared); ${gaps.length} documented OpenFlow gaps`)
    t.ok(fieldsChecked > 100, 'packets were compared, not only verdicts')
    for (const g of gaps) t.comment(`gap: ${g}`)
    t.ok(agree > 0)
    excuses.check(t)
  })
}

async function loadTopology(ovs: Ovs, name: string, inPorts: number[]): Promise<string> {
  const topo = JSON.parse(readFileSync(join(root, 'test', 'conformance', 'topologies', `${name}.json`), 'utf8')) as Topology
  const br = ovs.name('br')
  await ovs.addBridge(br)
  const ofports = new Set<number>(inPorts.filter(p => p !== TUNNEL_OFPORT))
  for (const e of topo.entries) {
    if (e.stage === 'classify' && 'in_port' in e) ofports.add(e.in_port)
    if (e.stage === 'egress' && e.local !== undefined) ofports.add(e.local)
    if (e.stage === 'uplink') ofports.add(e.ofport) // a provider network's patch port
  }
  for (const n of [...ofports].sort((a, b) => a - b)) {
    const p = ovs.name('p')
    await ovs.vsctl('add-port', br, p, '--', 'set', 'Interface', p, 'type=internal', `ofport_request=${n}`)
  }
  const tun = ovs.name('vx')
  await ovs.vsctl(
    'add-port',
    br,
    tun,
    '--',
    'set',
    'Interface',
    tun,
    'type=vxlan',
    'options:remote_ip=flow',
    'options:key=flow',
    `ofport_request=${TUNNEL_OFPORT}`,
  )
  const file = join(ovs.dir, `${name}.flows`)
  writeFileSync(file, renderFlows(emitOpenFlow(topo.entries, { tunnelOfport: TUNNEL_OFPORT })))
  await ovs.ofctl('add-flows', br, file)
  return br
}

/** Reads the verdict out of an ofproto/trace: which flow decided, and what its actions did. */
function verdictOf(text: string, inPort: number): Seen {
  const lines = text.split('\n')
  let last: { table: number; priority: number; cookie: bigint } | undefined
  const outputs: number[] = []
  let inPortOut = false
  let punt = false
  let tunDst: string | undefined
  for (const line of lines) {
    const hit = /^\s*(\d+)\. .*priority (\d+), cookie (0x[0-9a-f]+)/.exec(line)
    if (hit) {
      last = { table: Number(hit[1]), priority: Number(hit[2]), cookie: BigInt(hit[3] as string) }
      continue
    }
    const a = line.trim()
    if (/^output:\d+$/.test(a)) outputs.push(Number(a.slice(7)))
    else if (a.includes('skipping output to input port')) outputs.pop()
    else if (a === 'IN_PORT') inPortOut = true
    else if (a.startsWith('CONTROLLER')) punt = true
    else if (a.startsWith('set_field:') && a.endsWith('->tun_dst')) tunDst = a.slice(10, -9)
  }
  const final = /^Final flow: (.*)$/m.exec(text)?.[1] ?? ''
  const after = final === 'unchanged' || final === '' ? (/^Flow: (.*)$/m.exec(text)?.[1] ?? '') : final
  const fields = new Map(
    after
      .split(',')
      .map(kv => kv.split('=') as [string, string])
      .filter(kv => kv[1] !== undefined),
  )
  const reg = (name: string): number | undefined => {
    const m = new RegExp(`(?:^|,)${name}=(0x[0-9a-f]+|\\d+)`).exec(final === 'unchanged' ? '' : final)
    return m ? Number(m[1]) : undefined
  }
  const cookie = last !== undefined ? parseCookie(last.cookie) : undefined
  const reason = cookie !== undefined && 'reason' in cookie.subject ? (REASON_NAMES[cookie.subject.reason] ?? '?') : 'none'
  if (punt) return { action: 'punt', reason }
  if (inPortOut) return { action: 'in_port', reason: 'none', ofport: inPort, fields }
  if (
    last !== undefined &&
    last.table === OF_TABLE_BASE + STAGE_L2_LOOKUP &&
    // the flood flow resubmits to its chunks (l2-flows.ts): the last lookup is a chunk's when the network has ports
    [priorityOf('FLOOD'), priorityOf('FLOOD_FROM_TUNNEL'), priorityOf('FLOOD_CHUNK')].includes(last.priority)
  ) {
    const net = cookie !== undefined && 'key' in cookie.subject ? cookie.subject.key : undefined
    return net === undefined ? { action: 'flood', reason: 'none' } : { action: 'flood', reason: 'none', network: net }
  }
  if (outputs.includes(TUNNEL_OFPORT)) {
    const s: Seen = { action: 'tunnel', reason: 'none', fields }
    const net = reg('tun_id') ?? reg('reg0')
    const port = reg('reg2')
    if (net !== undefined) s.network = net
    if (port !== undefined) s.port = port
    if (tunDst !== undefined) s.remote = tunDst
    return s
  }
  if (outputs.length === 1) return { action: 'output', reason: 'none', ofport: outputs[0] as number, fields }
  if (outputs.length > 1) return { action: 'flood', reason: 'none' }
  return { action: 'drop', reason }
}

/** '' when OVS agrees with the vector; else what differs, in words. */
function compare(v: PacketVector, s: Seen): string {
  const e = v.expect
  const out: string[] = []
  if (e.action !== s.action) out.push(`action ${s.action} instead of ${e.action}`)
  else {
    if ((e.action === 'drop' || e.action === 'punt') && e.reason !== s.reason) out.push(`reason ${s.reason} instead of ${e.reason}`)
    for (const k of ['ofport', 'network', 'port', 'remote'] as const) {
      if (e[k] !== undefined && s[k] !== undefined && e[k] !== s[k]) out.push(`${k} ${s[k]} instead of ${e[k]}`)
    }
    if (e.packet !== undefined && s.fields !== undefined) out.push(...comparePacket(e.packet, s.fields))
  }
  return out.join('; ')
}

let fieldsChecked = 0

/** The header fields a trace shows, checked against the vector's expected frame (hex decoded, or field checks). */
function comparePacket(want: FrameExpectation, got: Map<string, string>): string[] {
  const expected: Record<string, FieldValue | null> = 'hex' in want ? decodeFrame(Buffer.from(want.hex, 'hex')) : want.fields
  if ('hex' in want && !('vlan_vid' in expected)) expected['vlan_vid'] = null
  const out: string[] = []
  for (const [name, value] of Object.entries(expected)) {
    const names = TRACE_NAMES[name]
    if (names === undefined) continue // bytes a trace does not show (checksums, payload)
    const seen = names.map(n => got.get(n)).find(v => v !== undefined)
    if (value === null) {
      if (seen !== undefined) out.push(`${name} present (${seen}), expected absent`)
      continue
    }
    if (seen === undefined) continue // not an IP/ARP frame in OVS's view: nothing to compare
    fieldsChecked++
    if (normal(String(value)) !== normal(seen)) out.push(`${name} ${seen} instead of ${String(value)}`)
  }
  return out
}

/** Numbers and IPv6 text compare by value, the rest as text. */
function normal(v: string): string {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) return String(Number(v))
  if (v.includes(':') && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(v)) {
    try {
      return Ipv6Address.parse(v).toString()
    } catch {
      return v
    }
  }
  return v.toLowerCase()
}
