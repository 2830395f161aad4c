// The DHCPv6 half of ls_in_dhcp (RFC 8415) on the core backend: each message type from a client's link-local
// address, the reply's options parsed back, and the messages the server must ignore or refuse.
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import type { Datapath, Entry } from '../../datapath/host/index.js'
import { ipv6, mac } from '../../datapath/host/addresses.js'
import { buildFrame, ethernet, ip6, raw, udp } from '../../datapath/host/packet-builder.js'
import { decodeFrame } from '../../datapath/host/packet-decoder.js'

const VM1 = { mac: 'fa:16:3e:00:00:01', ll: 'fe80::f816:3eff:fe00:1', ip6: '2001:db8:1::5' }
const VM2 = { mac: 'fa:16:3e:00:00:02', ll: 'fe80::f816:3eff:fe00:2' }
const VM3 = { mac: 'fa:16:3e:00:00:03', ll: 'fe80::f816:3eff:fe00:3' }
const SERVER = { mac: 'fa:16:3e:00:00:99', ll: 'fe80::f816:3eff:fe00:99' }
const ALL_DHCP = 'ff02::1:2'
const DUID_OURS = [0, 3, 0, 1, 0xfa, 0x16, 0x3e, 0, 0, 0x99]
const CLIENT_DUID = [0, 3, 0, 1, 0xfa, 0x16, 0x3e, 0, 0, 1]

/** Port 1: dhcpv6-stateful, port 2: dhcpv6-stateless, port 3: no DHCPv6 entry (a slaac subnet). */
const topology: Entry[] = [
  { stage: 'classify', in_port: 1, network: 1, port: 1 },
  { stage: 'classify', in_port: 2, network: 1, port: 2 },
  { stage: 'classify', in_port: 3, network: 1, port: 3 },
  { stage: 'port_sec', port: 1, mac: VM1.mac, ips: [`${VM1.ip6}/128`] },
  { stage: 'port_sec', port: 2, mac: VM2.mac, ips: [] },
  { stage: 'port_sec', port: 3, mac: VM3.mac, ips: [] },
  {
    stage: 'dhcp6',
    port: 1,
    mac: VM1.mac,
    mode: 'dhcpv6-stateful',
    ip: VM1.ip6,
    prefix_len: 64,
    server_mac: SERVER.mac,
    dns: ['2001:db8::53'],
    domains: ['example.org'],
    valid: 7200,
    preferred: 3600,
  },
  {
    stage: 'dhcp6',
    port: 2,
    mac: VM2.mac,
    mode: 'dhcpv6-stateless',
    server_mac: SERVER.mac,
    dns: ['2001:db8::53', '2001:db8::54'],
    rate: 2,
  },
]

async function datapath(): Promise<Datapath> {
  const dp = await createDatapath()
  dp.load({ entries: topology })
  return dp
}

type Opt = [code: number, value: number[]]
const u16 = (v: number): number[] => [v >>> 8, v & 0xff]
const u32 = (v: number): number[] => [...u16(v >>> 16), ...u16(v & 0xffff)]
const opt = (code: number, value: number[]): number[] => [...u16(code), ...u16(value.length), ...value]
const iaNa = (iaid: number, inner: number[] = []): number[] => opt(3, [...u32(iaid), ...u32(0), ...u32(0), ...inner])
const iaAddr = (addr: string): number[] => opt(5, [...ipv6(addr).bytes, ...u32(0), ...u32(0)])
const CLIENT_ID = opt(1, CLIENT_DUID)
const SERVER_ID = opt(2, DUID_OURS)

function message(
  type: number,
  options: number[],
  o: { from?: { mac: string; ll: string }; ofport?: number; dst?: string; udpChecksum?: 'bad' } = {},
): { in_port: number; data: Uint8Array } {
  const h = o.from ?? VM1
  const data = buildFrame([
    ethernet({ src: mac(h.mac), dst: mac('33:33:00:01:00:02') }),
    ip6({ src: ipv6(h.ll), dst: ipv6(o.dst ?? ALL_DHCP), hopLimit: 1 }),
    udp({ sport: 546, dport: 547, ...(o.udpChecksum ? { checksum: o.udpChecksum } : {}) }),
    raw(Uint8Array.from([type, 0x12, 0x34, 0x56, ...options])),
  ])
  return { in_port: o.ofport ?? 1, data }
}

/** The reply's UDP payload: type, transaction id, top-level options. */
function parseReply(frame: Uint8Array): { type: number; xid: number; options: Opt[] } {
  const msg = frame.subarray(14 + 40 + 8)
  const options: Opt[] = []
  for (let p = 4; p + 4 <= msg.length;) {
    const len = (msg[p + 2]! << 8) | msg[p + 3]!
    options.push([(msg[p]! << 8) | msg[p + 1]!, [...msg.subarray(p + 4, p + 4 + len)]])
    p += 4 + len
  }
  return { type: msg[0]!, xid: (msg[1]! << 16) | (msg[2]! << 8) | msg[3]!, options }
}
const value = (options: Opt[], code: number): number[] | undefined => options.find(o => o[0] === code)?.[1]

t.test('batch mode punts; a port without a DHCPv6 entry is not ours and floods', async t => {
  const dp = await datapath()
  t.match(dp.process([message(1, [...CLIENT_ID, ...iaNa(7)])])[0], { action: 'punt', reason: 'punt_dhcp' })
  t.match(dp.process([message(1, [...CLIENT_ID], { from: VM3, ofport: 3 })])[0], { action: 'flood' })
})

t.test('Solicit -> Advertise from the server link-local with IA_NA, client id echoed, DUID-LL, DNS and domains', async t => {
  const dp = await datapath()
  const r = dp.packetIn(message(1, [...CLIENT_ID, ...opt(8, u16(0)), ...iaNa(7)]), 1000)
  t.match(r.verdict, { action: 'punt', reason: 'punt_dhcp' })
  t.equal(r.replies.length, 1)
  const frame = r.replies[0]!.packet
  t.equal(r.replies[0]!.ofport, 1)
  t.match(decodeFrame(frame), {
    eth_src: SERVER.mac,
    eth_dst: VM1.mac,
    ip_src: SERVER.ll,
    ip_dst: VM1.ll,
    udp_src: 547,
    udp_dst: 546,
    udp_checksum_ok: true,
  })
  const m = parseReply(frame)
  t.equal(m.type, 2, 'Advertise')
  t.equal(m.xid, 0x123456)
  t.same(
    m.options.map(o => o[0]),
    [1, 2, 3, 23, 24],
  )
  t.same(value(m.options, 1), CLIENT_DUID)
  t.same(value(m.options, 2), DUID_OURS)
  t.same(value(m.options, 3), [...u32(7), ...u32(1800), ...u32(2880), ...iaAddr(VM1.ip6).slice(0, 20), ...u32(3600), ...u32(7200)])
  t.same(value(m.options, 23), [...ipv6('2001:db8::53').bytes])
  t.same(value(m.options, 24), [7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0])
})

t.test('Solicit with Rapid Commit -> Reply with Rapid Commit', async t => {
  const dp = await datapath()
  const m = parseReply(dp.packetIn(message(1, [...CLIENT_ID, ...opt(14, []), ...iaNa(7)]), 1000).replies[0]!.packet)
  t.equal(m.type, 7)
  t.same(
    m.options.map(o => o[0]),
    [1, 2, 14, 3, 23, 24],
  )
})

t.test('Request, Renew, Rebind -> Reply with the address; Confirm; Release and Decline', async t => {
  const dp = await datapath()
  for (const [type, ids] of [
    [3, SERVER_ID],
    [5, SERVER_ID],
    [6, []],
  ] as const) {
    const m = parseReply(dp.packetIn(message(type, [...CLIENT_ID, ...ids, ...iaNa(9)]), 1000).replies[0]!.packet)
    t.equal(m.type, 7, `type ${type} gets a Reply`)
    t.same(value(m.options, 3)?.slice(16, 32), [...ipv6(VM1.ip6).bytes], `type ${type}: the port's address`)
  }
  const onLink = parseReply(dp.packetIn(message(4, [...CLIENT_ID, ...iaNa(9, iaAddr('2001:db8:1::77'))]), 1000).replies[0]!.packet)
  t.same(value(onLink.options, 13), u16(0), 'Confirm on the subnet: Success')
  const offLink = parseReply(dp.packetIn(message(4, [...CLIENT_ID, ...iaNa(9, iaAddr('2001:db8:2::5'))]), 1000).replies[0]!.packet)
  t.same(value(offLink.options, 13), u16(4), 'Confirm off the subnet: NotOnLink')
  t.match(
    dp.packetIn(message(4, [...CLIENT_ID, ...iaNa(9)]), 1000),
    { verdict: { reason: 'punt_dhcp' }, replies: [] },
    'a Confirm without addresses gets no reply (RFC 8415 18.3.3)',
  )
  for (const type of [8, 9]) {
    const m = parseReply(dp.packetIn(message(type, [...CLIENT_ID, ...SERVER_ID, ...iaNa(9, iaAddr(VM1.ip6))]), 1000).replies[0]!.packet)
    t.equal(m.type, 7)
    t.same(
      m.options.map(o => o[0]),
      [1, 2, 13],
      `type ${type}: ids and Success, no IA (RFC 8415 18.3.7)`,
    )
    t.same(value(m.options, 13), u16(0))
  }
})

t.test('stateless: Information-request gets DNS only; a Solicit is told NoAddrsAvail', async t => {
  const dp = await datapath()
  const info = parseReply(dp.packetIn(message(11, [...opt(6, [0, 23])], { from: VM2, ofport: 2 }), 1000).replies[0]!.packet)
  t.equal(info.type, 7)
  t.same(
    info.options.map(o => o[0]),
    [2, 23],
    'no client id sent, none echoed',
  )
  t.same(value(info.options, 23), [...ipv6('2001:db8::53').bytes, ...ipv6('2001:db8::54').bytes])
  const adv = parseReply(dp.packetIn(message(1, [...CLIENT_ID, ...iaNa(1)], { from: VM2, ofport: 2 }), 1000).replies[0]!.packet)
  t.equal(adv.type, 2)
  t.same(
    adv.options.map(o => o[0]),
    [1, 2, 13, 23],
    'RFC 8415 18.3.9: only the status, no IA',
  )
  t.same(value(adv.options, 13), u16(2), 'NoAddrsAvail')
  const req = parseReply(
    dp.packetIn(message(3, [...CLIENT_ID, ...SERVER_ID, ...iaNa(1)], { from: VM2, ofport: 2 }), 3000).replies[0]!.packet,
  )
  t.same(value(req.options, 3)?.slice(12), opt(13, u16(2)), 'a Request: the IA says NoAddrsAvail')
})

t.test('refused: another server id, relays, bad options, wrong destination, bad checksum; rate limit', async t => {
  const dp = await datapath()
  const refused = (input: ReturnType<typeof message>, reason: string, why: string): void => {
    t.match(dp.packetIn(input, 1000), { verdict: { action: 'drop', reason }, replies: [] }, why)
  }
  refused(
    message(3, [...CLIENT_ID, ...opt(2, [0, 3, 0, 1, 1, 2, 3, 4, 5, 6]), ...iaNa(1)]),
    'dhcpv6_other_server',
    'Request for another server',
  )
  refused(message(12, [0, ...new Array<number>(32).fill(0)]), 'dhcpv6_relay', 'Relay-forw from a port')
  refused(message(1, [...CLIENT_ID, 0, 3, 0, 40, 1, 2]), 'bad_dhcpv6', 'an option running past the end')
  refused(message(1, [...iaNa(1)]), 'bad_dhcpv6', 'Solicit without client id')
  refused(message(1, [...CLIENT_ID, ...SERVER_ID]), 'bad_dhcpv6', 'Solicit with a server id')
  refused(message(3, [...CLIENT_ID, ...iaNa(1)]), 'bad_dhcpv6', 'Request without a server id')
  refused(message(1, [...CLIENT_ID], { dst: 'fe80::1' }), 'bad_dhcpv6', 'to neither ff02::1:2 nor our link-local')
  refused(message(1, [...CLIENT_ID], { udpChecksum: 'bad' }), 'bad_l4_checksum', 'bad UDP checksum')
  t.equal(dp.packetIn(message(1, [...CLIENT_ID, ...iaNa(1)], { dst: SERVER.ll }), 1000).replies.length, 1, 'unicast to our link-local')
  const info = (): ReturnType<typeof message> => message(11, [], { from: VM2, ofport: 2 })
  t.equal(dp.packetIn(info(), 5000).replies.length, 1)
  t.equal(dp.packetIn(info(), 5000).replies.length, 1)
  t.match(dp.packetIn(info(), 5000), { verdict: { action: 'drop', reason: 'dhcp_rate_limit' } }, 'rate 2: the third in the same instant')
  t.equal(dp.counters().reasons['dhcpv6_relay'], 1)
})

t.test('trace names the DHCPv6 message and the answer', async t => {
  const dp = await datapath()
  const trace = dp.trace(message(1, [...CLIENT_ID, ...iaNa(7)]), 1000)
  const step = trace.steps.find(s => s.stage === 'ls_in_dhcp')
  t.match(step?.detail, /got Solicit.*sent Advertise/)
})
