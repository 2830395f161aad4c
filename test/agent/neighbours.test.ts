// The slow path's neighbour resolver state machine (agent/controller/neighbours.ts) on a clock the test moves:
// a miss asks once per second per next hop and keeps the latest waiting frame; a reply learns only what was
// asked (or refreshes what was learned); entries age out; pending next hops are bounded, the oldest dropped;
// a compiled entry wins. The request and reply frames are built and parsed as real ARP / ND frames.
import t from 'tap'
import {
  NeighbourTable,
  parseNeighbourReply,
  requestFrame,
  solicitedNode,
  type NextHop,
  type Waiting,
} from '../../agent/controller/neighbours.js'
import type { OfConnection } from '../../agent/openflow/index.js'
import { ARP_REPLY, arp, buildFrame, ethernet, ip6, ndNa, ETH_TYPE } from '../../datapath/host/packet-builder.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../../datapath/host/addresses.js'
import { dissect } from '../../offload/targets/frame-dissector.js'

const RP = 'fa:16:3e:00:00:01'
const hop = (ip: string, network = 7): NextHop => ({ network, ip, mac: RP, source: '10.0.2.1' })
const wait = (n: number): Waiting => ({ conn: {} as OfConnection, inPort: n, frame: Uint8Array.of(n) })
const never = (): boolean => false

t.test('a miss asks at most once per second per next hop; the latest frame waits', async t => {
  const nt = new NeighbourTable()
  t.equal(nt.miss(hop('10.0.2.50'), wait(1), 1000), true)
  t.equal(nt.miss(hop('10.0.2.50'), wait(2), 1500), false, 'within the second: rate limited')
  t.equal(nt.miss(hop('10.0.2.51'), wait(3), 1500), true, 'another next hop has its own budget')
  t.equal(nt.miss(hop('10.0.2.50'), wait(4), 2000), true, 'a second later: asked again')
  const s = nt.stats()
  t.match(s, { requests: 3, rateLimited: 1, superseded: 2, pending: 2, learned: 0 })
  const got = nt.reply(RP, '10.0.2.50', 'AA:BB:CC:00:00:50', 2100, never)
  t.same(got?.entry, { stage: 'nexthop', network: 7, ip: '10.0.2.50', mac: 'aa:bb:cc:00:00:50' })
  t.equal(got?.waiting?.inPort, 4, 'the latest waiting frame is replayed')
  t.match(nt.stats(), { repliesLearned: 1, pending: 1, learned: 1 })
})

t.test('unsolicited replies are not learned; a learned entry is refreshed by a reply', async t => {
  const nt = new NeighbourTable()
  t.equal(nt.reply(RP, '10.0.2.60', 'aa:bb:cc:00:00:60', 0, never), undefined)
  t.equal(nt.stats().unsolicited, 1)
  nt.miss(hop('10.0.2.60'), wait(1), 0)
  t.equal(nt.reply('fa:16:3e:00:00:99', '10.0.2.60', 'aa:bb:cc:00:00:60', 10, never), undefined, 'to another router MAC: not an answer')
  t.ok(nt.reply(RP, '10.0.2.60', 'aa:bb:cc:00:00:60', 10, never))
  const again = nt.reply(RP, '10.0.2.60', 'aa:bb:cc:00:00:61', 200_000, never)
  t.equal(again?.entry.mac, 'aa:bb:cc:00:00:61', 'a reply for a learned address refreshes it')
  t.equal(again?.waiting, undefined)
  t.same(nt.expire(200_000 + 299_999), [], 'aged from the refresh, not the first learn')
  t.same(
    nt.expire(200_000 + 300_000).map(e => e.ip),
    ['10.0.2.60'],
  )
  t.match(nt.stats(), { expired: 1, learned: 0 })
})

t.test('a learned entry is asked again every 15 s; an answer from another MAC moves it (VRRP failover)', async t => {
  const nt = new NeighbourTable()
  const w = wait(1)
  nt.miss(hop('10.0.2.70'), w, 0)
  nt.reply(RP, '10.0.2.70', 'aa:bb:cc:00:00:70', 100, never)
  t.same(nt.refreshDue(14_000), [], 'answered 13.9 s ago: not due')
  const due = nt.refreshDue(15_100)
  t.equal(due.length, 1, 'due 15 s after the answer')
  t.same(due[0]?.hop, hop('10.0.2.70'), 'asked from the same router port')
  t.equal(due[0]?.conn, w.conn, 'on the connection of the miss that first asked')
  t.same(nt.refreshDue(20_000), [], 'asked once per refresh interval')
  const moved = nt.reply(RP, '10.0.2.70', 'aa:bb:cc:00:00:71', 20_100, never)
  t.equal(moved?.entry.mac, 'aa:bb:cc:00:00:71', "the new master's answer moves the entry")
  t.same(nt.refreshDue(30_000), [], 'and refreshes it')
  t.equal(nt.refreshDue(35_200).length, 1, 'due again 15 s after that answer')
  t.same(
    nt.expire(20_100 + 300_000).map(e => e.ip),
    ['10.0.2.70'],
    'nobody answers: it ages out 300 s after the last answer',
  )
})

t.test('a compiled entry wins; forget drops a learned one without removing', async t => {
  const nt = new NeighbourTable()
  nt.miss(hop('10.0.2.70'), wait(1), 0)
  t.equal(
    nt.reply(RP, '10.0.2.70', 'aa:bb:cc:00:00:70', 1, (n, ip) => n === 7 && ip === '10.0.2.70'),
    undefined,
  )
  t.match(nt.stats(), { compiledWins: 1, learned: 0, pending: 0 })
  nt.miss(hop('10.0.2.71'), wait(1), 0)
  nt.reply(RP, '10.0.2.71', 'aa:bb:cc:00:00:71', 1, never)
  t.equal(nt.forget(7, '10.0.2.71')?.mac, 'aa:bb:cc:00:00:71')
  t.same(nt.entries(), [])
})

t.test('pending next hops are bounded (oldest dropped) and given up when unanswered', async t => {
  const nt = new NeighbourTable({ maxPending: 3, pendingMs: 5000 })
  for (let i = 1; i <= 4; i++) nt.miss(hop(`10.0.2.${i}`), wait(i), i)
  t.match(nt.stats(), { pending: 3, dropped: 1 })
  t.equal(nt.reply(RP, '10.0.2.1', 'aa:bb:cc:00:00:01', 10, never), undefined, 'the oldest went')
  nt.expire(6000)
  t.match(nt.stats(), { pending: 0, dropped: 4 })
})

t.test('IPv6 addresses are one next hop whatever their spelling', async t => {
  const nt = new NeighbourTable()
  const h6: NextHop = { network: 7, ip: '2001:db8:0:0::50', mac: RP, source: '2001:db8::1' }
  nt.miss(h6, wait(1), 0)
  t.equal(nt.miss({ ...h6, ip: '2001:db8::50' }, wait(2), 10), false)
  t.equal(nt.reply(RP, '2001:db8::0:50', 'aa:bb:cc:00:00:50', 20, never)?.waiting?.inPort, 2)
})

t.test('request frames: ARP from the router port, NS to the solicited-node group with SLL', async t => {
  const a = dissect(requestFrame(hop('10.0.2.50')))
  t.equal(a?.eth_dst.toString(), 'ff:ff:ff:ff:ff:ff')
  t.equal(a?.eth_src.toString(), RP)
  t.match(
    { op: a?.arp_op, sha: a?.arp_sha?.toString(), spa: a?.arp_spa?.toString(), tpa: a?.arp_tpa?.toString() },
    { op: 1, sha: RP, spa: '10.0.2.1', tpa: '10.0.2.50' },
  )
  const target = Ipv6Address.parse('2001:db8::12:3456')
  const f = requestFrame({ network: 7, ip: target.toString(), mac: RP, source: '2001:db8::1' })
  const n = dissect(f)
  const g = solicitedNode(target)
  t.equal(g.ip.toString(), 'ff02::1:ff12:3456')
  t.equal(n?.eth_dst.toString(), '33:33:ff:12:34:56')
  t.equal(n?.ip_dst?.toString(), 'ff02::1:ff12:3456')
  t.match({ type: n?.icmp_type, hop: n?.ttl }, { type: 135, hop: 255 })
  t.same([...f.subarray(14 + 40 + 8, 14 + 40 + 24)], [...target.bytes], 'target')
  t.same([...f.subarray(14 + 40 + 24, 14 + 40 + 32)], [1, 1, ...MacAddress.parse(RP).bytes], 'source link-layer option')
})

t.test('replies parsed: ARP reply, NA with TLL; a gratuitous ARP is none', async t => {
  const them = MacAddress.parse('aa:bb:cc:00:00:50')
  const me = MacAddress.parse(RP)
  const reply = buildFrame([
    ethernet({ dst: me, src: them, type: ETH_TYPE.ARP }),
    arp({ op: ARP_REPLY, sha: them, spa: Ipv4Address.parse('10.0.2.50'), tha: me, tpa: Ipv4Address.parse('10.0.2.1') }),
  ])
  t.same(parseNeighbourReply(reply), { to: RP, ip: '10.0.2.50', mac: 'aa:bb:cc:00:00:50' })
  const garp = buildFrame([
    ethernet({ dst: me, src: them, type: ETH_TYPE.ARP }),
    arp({ op: ARP_REPLY, sha: them, spa: Ipv4Address.parse('10.0.2.50'), tha: me, tpa: Ipv4Address.parse('10.0.2.50') }),
  ])
  t.equal(parseNeighbourReply(garp), undefined)
  const na = buildFrame([
    ethernet({ dst: me, src: MacAddress.parse('aa:bb:cc:00:00:01'), type: ETH_TYPE.IPV6 }),
    ip6({ src: Ipv6Address.parse('2001:db8::50'), dst: Ipv6Address.parse('2001:db8::1'), hopLimit: 255 }),
    ndNa({ target: Ipv6Address.parse('2001:db8::50'), solicited: true, tll: them }),
  ])
  t.same(parseNeighbourReply(na), { to: RP, ip: '2001:db8::50', mac: 'aa:bb:cc:00:00:50' })
})
