// Next-hop misses the switch punted (agent/controller/neighbours.ts): the next hop comes from the packet-in's
// registers whatever the WASM's verdict (its connection table never saw what the switch forwarded), the waiting
// frame keeps the punt's table and registers for its way back into the switch; off a router's gateway chassis the
// request goes from the floating IP of the frame's source, never from the gateway port, and is not sent without
// one; gratuitous ARPs and unsolicited NAs announce an address that moved here.
import t from 'tap'
import { NeighbourResolver, askFrom, gratuitousFrame, nextHopFromPunt, type Waiting } from '../../agent/controller/neighbours.js'
import { oxm, type OfConnection, type PacketIn, type PacketOut } from '../../agent/openflow/index.js'
import { entryKey } from '../../agent/compiler/entry-key.js'
import type { DatapathApi, Entry, PacketInResult } from '../../datapath/host/index.js'
import { ARP_REPLY, arp, buildFrame, echo4, ethernet, ip4, ETH_TYPE } from '../../datapath/host/packet-builder.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../../datapath/host/addresses.js'
import { STAGE_ARP_ND_RSP, STAGE_DHCP, STAGE_NEXTHOP } from '../../datapath/spec/stages.js'
import { REASON_PUNT_NEIGHBOUR, REASON_PUNT_NEXTHOP_MISS } from '../../datapath/spec/verdicts.js'
import { makeCookie } from '../../offload/openflow/layout.js'
import { Context } from '../../offload/openflow/stages/context.js'
import { dissect } from '../../offload/targets/frame-dissector.js'
import { entryUnitFlows } from '../../offload/openflow/emit-units.js'
import { renderFlow } from '../../offload/openflow/text.js'
import type { NatEntry } from '../../datapath/host/entries.js'
import { silentLogger } from '../../log/logger.js'

const GW_MAC = 'fa:16:3e:00:00:01'
const FIP_MAC = 'fa:16:3e:00:00:99'
const EXT = 20
const ROUTER = 5
const UPSTREAM = '203.0.113.1'

function context(gatewayLocal: boolean, withNat = true): Context {
  const entries: Entry[] = [
    { stage: 'router_port', port: 51, router: ROUTER, network: EXT, mac: GW_MAC, ips: ['203.0.113.2/24'] },
    { stage: 'router_port', port: 52, router: ROUTER, network: 30, mac: 'fa:16:3e:00:00:02', ips: ['10.82.0.1/24'] },
    { stage: 'router_gateway', router: ROUTER, port: 51, snat: true, local: gatewayLocal },
  ]
  if (withNat)
    entries.push({
      stage: 'nat',
      router: ROUTER,
      network: EXT,
      gateway_port: 51,
      mac: FIP_MAC,
      external_ip: '203.0.113.50',
      internal_ip: '10.82.0.5',
    })
  return new Context(
    { generation: 1 },
    entries.map(e => [entryKey(e), e]),
  )
}

/** The echo reply a workload behind the router sends to the outside host, as the switch punts it. */
function punted(src = '10.82.0.5'): PacketIn {
  const data = buildFrame([
    ethernet({ dst: MacAddress.parse('fa:16:3e:00:00:02'), src: MacAddress.parse('fa:16:3e:aa:00:05'), type: ETH_TYPE.IPV4 }),
    ip4({ src: Ipv4Address.parse(src), dst: Ipv4Address.parse('198.51.100.7'), protocol: 1 }),
    echo4({ reply: true }),
  ])
  return {
    type: 'OFPT_PACKET_IN',
    xid: 0,
    bufferId: 0xffffffff,
    totalLen: data.length,
    reason: 1,
    tableId: 10 + STAGE_NEXTHOP,
    cookie: makeCookie({ generation: 1, stage: STAGE_NEXTHOP, subject: { reason: REASON_PUNT_NEXTHOP_MISS } }),
    match: [
      oxm('OXM_OF_IN_PORT', 7),
      oxm('NXM_NX_REG0', EXT),
      oxm('NXM_NX_REG3', ROUTER),
      oxm('NXM_NX_REG4', 0xcb007101),
      oxm('NXM_NX_REG5', 2),
    ],
    data: Buffer.from(data),
  }
}

t.test('the next hop of a switch punt comes from its registers', async t => {
  t.same(
    nextHopFromPunt(context(true), punted()),
    { network: EXT, ip: UPSTREAM, mac: GW_MAC, source: '203.0.113.2' },
    'on the gateway chassis: asked from the gateway port',
  )
  t.same(
    nextHopFromPunt(context(false), punted()),
    { network: EXT, ip: UPSTREAM, mac: FIP_MAC, source: '203.0.113.50' },
    "elsewhere: asked from the floating IP of the frame's source",
  )
  t.equal(nextHopFromPunt(context(false), punted('10.82.0.6')), 'not_gateway', 'elsewhere, a source with no floating IP: not asked')
  const other = punted()
  other.cookie = makeCookie({ generation: 1, stage: STAGE_DHCP, subject: { reason: REASON_PUNT_NEXTHOP_MISS } })
  t.equal(nextHopFromPunt(context(true), other), undefined, "another stage's punt is not a next-hop miss")
  const v6 = askFrom(
    new Context({ generation: 1 }, [
      ['rp', { stage: 'router_port', port: 1, router: 1, network: 3, mac: GW_MAC, ips: ['2001:db8::1/64'] }],
    ]),
    { stage: 'router_port', port: 1, router: 1, network: 3, mac: GW_MAC, ips: ['2001:db8::1/64'] },
    Ipv6Address.parse('2001:db8::50'),
    undefined,
  )
  t.same(v6, { network: 3, ip: '2001:db8::50', mac: GW_MAC, source: '2001:db8::1' }, 'no gateway entry: the router port asks')
})

t.test('a punted miss asks whatever the WASM said, and the frame waits with its registers', async t => {
  const sent: PacketOut[] = []
  const floods: Uint8Array[] = []
  const replayed: Waiting[] = []
  const applied: unknown[] = []
  let ctx = context(false)
  const r = new NeighbourResolver({
    datapath: {} as DatapathApi,
    context: () => ctx,
    log: silentLogger,
    now: () => 1000,
    flood: (_n, frame) => {
      floods.push(frame)
      return [{ type: 'OFPT_PACKET_OUT' } as PacketOut]
    },
    replay: w => {
      replayed.push(w)
    },
    apply: d => {
      applied.push(d)
    },
  })
  t.teardown(() => {
    r.stop()
  })
  const conn = {
    send: (p: PacketOut) => {
      sent.push(p)
    },
  } as unknown as OfConnection
  const dropped = { verdict: { action: 'drop', reason: 'ct_invalid' } } as unknown as PacketInResult
  r.onPacketIn(conn, punted(), 7, dropped)
  t.equal(floods.length, 1, 'a request went out although the WASM dropped the frame ct_invalid')
  const req = dissect(floods[0] as Uint8Array)
  t.match(
    { src: req?.eth_src.toString(), sha: req?.arp_sha?.toString(), spa: req?.arp_spa?.toString(), tpa: req?.arp_tpa?.toString() },
    { src: FIP_MAC, sha: FIP_MAC, spa: '203.0.113.50', tpa: UPSTREAM },
    'from the floating IP, not the gateway port',
  )
  t.equal(sent.length, 1)
  r.onPacketIn(conn, punted('10.82.0.6'), 7, dropped)
  t.equal(r.stats().notGatewayChassis, 1, 'no floating IP for the source: counted, not asked')
  t.equal(floods.length, 1)
  const upstream = MacAddress.parse('02:00:00:00:00:01')
  const reply = buildFrame([
    ethernet({ dst: MacAddress.parse(FIP_MAC), src: upstream, type: ETH_TYPE.ARP }),
    arp({
      op: ARP_REPLY,
      sha: upstream,
      spa: Ipv4Address.parse(UPSTREAM),
      tha: MacAddress.parse(FIP_MAC),
      tpa: Ipv4Address.parse('203.0.113.50'),
    }),
  ])
  ctx = context(false)
  r.onPacketIn(
    conn,
    {
      ...punted(),
      cookie: makeCookie({ generation: 1, stage: STAGE_ARP_ND_RSP, subject: { reason: REASON_PUNT_NEIGHBOUR } }),
      tableId: 10 + STAGE_ARP_ND_RSP,
      match: [oxm('OXM_OF_IN_PORT', 1)],
      data: Buffer.from(reply),
    },
    1,
    { verdict: { action: 'drop', reason: 'none' } } as unknown as PacketInResult,
  )
  t.same(
    applied,
    [{ added: [{ stage: 'nexthop', network: EXT, ip: UPSTREAM, mac: '02:00:00:00:00:01' }], removed: [] }],
    "the switch's punt_neighbour reply learned it",
  )
  t.equal(replayed.length, 1, 'the waiting frame is replayed')
  t.equal(replayed[0]?.punt?.tableId, 10 + STAGE_NEXTHOP, 'at the table that punted it')
  t.ok(
    replayed[0]?.punt?.match.some(f => f.name === 'NXM_NX_REG4'),
    'with the registers the switch reported',
  )
})

t.test('announcements: a gratuitous ARP request, an unsolicited NA with override and TLL', async t => {
  const a = dissect(gratuitousFrame(GW_MAC, '203.0.113.2'))
  t.match(
    {
      dst: a?.eth_dst.toString(),
      src: a?.eth_src.toString(),
      op: a?.arp_op,
      sha: a?.arp_sha?.toString(),
      spa: a?.arp_spa?.toString(),
      tpa: a?.arp_tpa?.toString(),
    },
    { dst: 'ff:ff:ff:ff:ff:ff', src: GW_MAC, op: 1, sha: GW_MAC, spa: '203.0.113.2', tpa: '203.0.113.2' },
  )
  const f = gratuitousFrame(GW_MAC, '2001:db8::1')
  const n = dissect(f)
  t.match(
    { dst: n?.eth_dst.toString(), ip: n?.ip_dst?.toString(), src: n?.ip_src?.toString(), type: n?.icmp_type, hop: n?.ttl },
    { dst: '33:33:00:00:00:01', ip: 'ff02::1', src: '2001:db8::1', type: 136, hop: 255 },
  )
  const at = 14 + 40
  t.equal(f[at + 4], 0x20, 'override set, solicited and router clear (RFC 4861 7.2.6)')
  t.same([...f.subarray(at + 8, at + 24)], [...Ipv6Address.parse('2001:db8::1').bytes], 'target = the address')
  t.same([...f.subarray(at + 24, at + 32)], [2, 1, ...MacAddress.parse(GW_MAC).bytes], 'target link-layer address option')
})

t.test("a floating IP's unit punts ARP replies and NAs to its MAC on its network (the answers to its requests)", async t => {
  const ctx = context(false)
  const nat = ctx.of<NatEntry>('nat')[0] as NatEntry
  const punts = entryUnitFlows(ctx, nat)
    .filter(f => f.table === 10 + STAGE_ARP_ND_RSP)
    .map(renderFlow)
  t.equal(punts.length, 2, `an ARP reply and an NA punt: ${punts.join(' | ')}`)
  for (const p of punts) {
    t.match(p, new RegExp(`eth_dst=${FIP_MAC}`), 'to the floating IP MAC')
    t.match(p, new RegExp(`reg0=${EXT},`), 'on the external network')
    t.match(p, /actions=CONTROLLER:65535$/, 'to the slow path')
  }
  t.ok(
    punts.some(p => /arp_op=2/.test(p)),
    'ARP replies',
  )
  t.ok(
    punts.some(p => /icmp6,.*icmpv6_type=136/.test(p)),
    'neighbour advertisements',
  )
})
