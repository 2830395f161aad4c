// ls_in_dhcp: DHCPv4 from a local port is punted in batch mode and answered in packet-in mode
// (BEHAVIOUR.md "Order of checks" 6; RFC 2131, RFC 2132, RFC 3442).
import type { DhcpEntry } from '../../../datapath/host/entries.js'
import { BROADCAST_MAC, IPV4_ANY, IPV4_BROADCAST, ipv4, type Ipv4Address, type MacAddress } from '../../../datapath/host/addresses.js'
import { dhcp, ethernet, ip4, udp, type DhcpLayer, type Layer, type UdpLayer } from '../../../datapath/host/packet-builder.js'
import { DHCP_OP_BOOTREPLY, type DhcpMessageType } from '../../../datapath/host/packet-dhcp.js'
import { STAGE_DHCP } from '../../../datapath/spec/stages.js'
import type { Expectation, FieldChecks, PacketVector, Vector } from '../vector-format.js'
import {
  D1,
  D1_DHCP,
  D2,
  D2_DHCP,
  D3,
  D3_DHCP,
  DHCP_SERVER_A,
  RPA,
  VM1,
  VM1_DHCP,
  VM2,
  VM2_DHCP,
  VM5,
  VM6,
  VMB1,
  VMB1_DHCP,
  type Host,
} from './topologies.js'
import { dhcp6Vectors } from './vectors-dhcp6.js'
import { bothModes, drop, fields, layersInput, punt, stageName, vector } from './vector-kit.js'

const stage = stageName(STAGE_DHCP)
const XID = 0x3903f326

interface ClientOptions extends Partial<Omit<DhcpLayer, 'kind' | 'type'>> {
  type?: DhcpMessageType | null
  src?: Ipv4Address
  dst?: Ipv4Address
  ethDst?: MacAddress
  udpChecksum?: UdpLayer['checksum']
}
/** A client message as dhclient sends it: from 0.0.0.0 (or ciaddr) to broadcast, padded to BOOTP's 300 bytes. */
function client(h: Host, o: ClientOptions = {}): Layer[] {
  const { type, src, dst, ethDst, udpChecksum, ...rest } = o
  return [
    ethernet({ src: h.mac, dst: ethDst ?? BROADCAST_MAC }),
    ip4({ src: src ?? o.ciaddr ?? IPV4_ANY, dst: dst ?? IPV4_BROADCAST, ttl: 64 }),
    udp({ sport: 68, dport: 67, checksum: udpChecksum }),
    dhcp({ xid: XID, chaddr: h.mac, padTo: 300, ...rest, type: type === null ? undefined : (type ?? 'discover') }),
  ]
}
const send = (h: Host, o: ClientOptions = {}) => layersInput(h.ofport as number, client(h, o))

const DEFAULT_LEASE = 86400
const mask = (len: number): string =>
  ipv4(
    [0, 1, 2, 3]
      .map(i => Math.max(0, Math.min(8, len - 8 * i)))
      .map(b => (0xff << (8 - b)) & 0xff)
      .join('.'),
  ).toString()

/**
 * The reply BEHAVIOUR.md 6 fixes: addresses, ports, op, xid, chaddr, the options present and their order
 * (53, 54, 51, 58, 59, 1, 3, 6, 15, 26, 121, extra by code, 255), with NAK carrying only 53 and 54 (RFC 2131
 * table 3) and INFORM's ACK no yiaddr and no lease options (RFC 2131 4.3.5).
 */
function replyFields(
  e: DhcpEntry,
  kind: 'offer' | 'ack' | 'nak' | 'inform-ack',
  o: { broadcast?: boolean; ciaddr?: Ipv4Address } = {},
): FieldChecks {
  const leased = kind === 'offer' || kind === 'ack'
  const configured = kind !== 'nak'
  const lease = e.lease ?? DEFAULT_LEASE
  const routes =
    e.routes && e.routes.length > 0
      ? [...e.routes.map(r => `${r.destination}>${r.nexthop}`), ...(e.router ? [`0.0.0.0/0>${e.router}`] : [])]
      : undefined
  const extras = [...(e.options ?? [])].sort((a, b) => a.code - b.code)
  const order = [
    53,
    54,
    ...(leased ? [51, 58, 59] : []),
    ...(configured ? [1] : []),
    ...(configured && e.router ? [3] : []),
    ...(configured && e.dns ? [6] : []),
    ...(configured && e.domain ? [15] : []),
    ...(configured && e.mtu ? [26] : []),
    ...(configured && routes ? [121] : []),
    ...(configured ? extras.map(x => x.code) : []),
    255,
  ]
  const ipDst = kind === 'nak' || o.broadcast ? IPV4_BROADCAST.toString() : kind === 'inform-ack' ? (o.ciaddr?.toString() ?? e.ip) : e.ip
  const checks: FieldChecks = {
    eth_src: e.server_mac,
    eth_dst: e.mac,
    ip_src: e.server_ip,
    ip_dst: ipDst,
    ip_proto: 17,
    ip_checksum_ok: true,
    udp_src: 67,
    udp_dst: 68,
    udp_checksum_ok: true,
    dhcp_op: DHCP_OP_BOOTREPLY,
    dhcp_xid: XID,
    dhcp_chaddr: e.mac,
    dhcp_magic: true,
    dhcp_giaddr: '0.0.0.0',
    dhcp_yiaddr: leased ? e.ip : '0.0.0.0',
    dhcp_type: kind === 'inform-ack' ? 'ack' : kind,
    dhcp_server_id: e.server_ip,
    dhcp_options: order.join(','),
    dhcp_lease: leased ? lease : null,
    dhcp_t1: leased ? (e.renewal ?? Math.floor(lease / 2)) : null,
    dhcp_t2: leased ? (e.rebind ?? Math.floor((lease * 7) / 8)) : null,
    dhcp_subnet_mask: configured ? mask(e.prefix_len) : null,
    dhcp_router: configured && e.router ? e.router : null,
    dhcp_dns: configured && e.dns ? e.dns.join(',') : null,
    dhcp_domain: configured && e.domain ? e.domain : null,
    dhcp_mtu: configured && e.mtu ? e.mtu : null,
    dhcp_routes: configured && routes ? [...routes].sort().join(',') : null,
  }
  for (const x of extras) checks[`dhcp_opt_${x.code}`] = configured ? x.hex : null
  return checks
}

const answered = (h: Host, checks: FieldChecks, because: string): Expectation => ({
  action: 'punt',
  reason: 'punt_dhcp',
  because,
  replies: [{ ofport: h.ofport as number, frame: fields(checks) }],
})
const consumed = (because: string): Expectation => ({ action: 'punt', reason: 'punt_dhcp', because, replies: [] })
const refused = (reason: string, because: string): Expectation => ({ ...drop(reason, because), replies: [] })
const pin = (v: Omit<PacketVector, 'mode' | 'topology'> & { topology?: string }): PacketVector =>
  vector({ ...v, mode: 'packet_in', now_ms: v.now_ms ?? 1000 })

function batchVectors(): Vector[] {
  return [
    vector({
      name: 'dhcp/batch-discover-punted',
      stage,
      intent: 'In batch mode a DISCOVER from a port with a DHCP entry is punted to the slow path.',
      input: send(VM1),
      expect: punt('punt_dhcp', 'BEHAVIOUR.md 6: batch: punt punt_dhcp'),
    }),
    vector({
      name: 'dhcp/batch-request-punted',
      stage,
      intent: 'A REQUEST is punted the same way.',
      input: send(VM1, { type: 'request', requestedIp: VM1.ip4 }),
      expect: punt('punt_dhcp', 'BEHAVIOUR.md 6'),
    }),
    vector({
      name: 'dhcp/batch-no-magic-cookie-still-punted',
      stage,
      intent: "Batch mode does not parse the DHCP message: validating it is the slow path's job.",
      input: send(VM1, { magicCookie: false }),
      expect: punt('punt_dhcp', 'BEHAVIOUR.md "Two modes": only the slow path refuses (bad_dhcp) in packet-in mode'),
    }),
    ...bothModes({
      name: 'dhcp/unknown-port',
      stage,
      intent: 'DHCP from a port that has no DHCP entry is dropped.',
      input: send(VM6),
      expect: drop('dhcp_unknown_port', 'BEHAVIOUR.md 6: no dhcp entry for the port'),
    }),
    vector({
      name: 'dhcp/unknown-port-security-off',
      stage,
      intent: 'A port with port security off and no DHCP entry is not served either.',
      input: send(VM5),
      expect: drop('dhcp_unknown_port', 'BEHAVIOUR.md 6'),
    }),
  ]
}

function serveVectors(): Vector[] {
  const renew = { type: 'request' as const, ciaddr: VM1.ip4, src: VM1.ip4, dst: DHCP_SERVER_A.ip, ethDst: DHCP_SERVER_A.mac }
  return [
    pin({
      name: 'dhcp/discover-offer',
      stage,
      intent: "A DISCOVER gets an OFFER with the port's address and every configured option, in order.",
      input: send(VM1),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer'), 'BEHAVIOUR.md 6: DISCOVER -> OFFER; RFC 2131 4.3.1'),
    }),
    pin({
      name: 'dhcp/discover-offer-minimal-entry',
      stage,
      intent: 'An entry with nothing optional gives only 53, 54, 51, 58, 59, 1 and the 86400 s default lease.',
      input: send(VM2),
      expect: answered(VM2, replyFields(VM2_DHCP, 'offer'), 'entries.ts DhcpEntry defaults: lease 86400, T1 lease/2, T2 lease*7/8'),
    }),
    pin({
      name: 'dhcp/discover-broadcast-flag',
      stage,
      intent: 'A client that sets the broadcast flag gets the OFFER sent to 255.255.255.255.',
      input: send(VM1, { broadcast: true }),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer', { broadcast: true }), 'RFC 2131 4.1; BEHAVIOUR.md 6'),
    }),
    pin({
      name: 'dhcp/discover-second-network',
      stage,
      intent: "Each port is answered by its own network's server address and MAC.",
      input: send(VMB1),
      expect: answered(VMB1, replyFields(VMB1_DHCP, 'offer'), 'BEHAVIOUR.md 6: eth src = server_mac, IP src = server_ip'),
    }),
    pin({
      name: 'dhcp/discover-with-client-options',
      stage,
      intent: 'A parameter request list and client identifier do not change what is offered.',
      input: send(VM1, { paramRequestList: [1, 3, 6, 15, 119, 121], options: [{ code: 61, data: Uint8Array.of(1, ...VM1.mac.bytes) }] }),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer'), 'BEHAVIOUR.md 6: options come from the entry, in a fixed order'),
    }),
    pin({
      name: 'dhcp/discover-zero-udp-checksum',
      stage,
      intent: 'A zero UDP checksum means "none" over IPv4 and is accepted.',
      input: send(VM1, { udpChecksum: 'none' }),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer'), 'RFC 768; BEHAVIOUR.md checksums'),
    }),
    pin({
      name: 'dhcp/pad-options-skipped',
      stage,
      intent: 'PAD options (code 0) between options are skipped when reading the message type.',
      input: layersInput(VM1.ofport as number, client(VM1, { optionsRaw: Uint8Array.of(0, 0, 53, 1, 1, 0, 55, 2, 1, 3, 255) })),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer'), 'RFC 2132 3.1: the pad option is one byte, no length'),
    }),
    pin({
      name: 'dhcp/message-type-after-other-options',
      stage,
      intent: 'Option 53 need not come first.',
      input: layersInput(
        VM1.ofport as number,
        client(VM1, { optionsRaw: Uint8Array.of(12, 4, 0x77, 0x65, 0x62, 0x31, 61, 7, 1, ...VM1.mac.bytes, 53, 1, 1, 255) }),
      ),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer'), 'RFC 2131 4.1: options in any order'),
    }),
    pin({
      name: 'dhcp/request-selecting-ack',
      stage,
      intent: 'A REQUEST for the offered address (with server id) is acknowledged.',
      input: send(VM1, { type: 'request', requestedIp: VM1.ip4, serverId: DHCP_SERVER_A.ip }),
      expect: answered(VM1, replyFields(VM1_DHCP, 'ack'), 'BEHAVIOUR.md 6: requested IP equal to the entry -> ACK'),
    }),
    pin({
      name: 'dhcp/request-broadcast-flag-ack',
      stage,
      intent: 'A REQUEST with the broadcast flag gets its ACK broadcast.',
      input: send(VM1, { type: 'request', requestedIp: VM1.ip4, broadcast: true }),
      expect: answered(
        VM1,
        replyFields(VM1_DHCP, 'ack', { broadcast: true }),
        'RFC 2131 4.1; BEHAVIOUR.md 6: broadcast flag -> 255.255.255.255',
      ),
    }),
    pin({
      name: 'dhcp/request-renewing-ack',
      stage,
      intent: 'A renewing client (ciaddr set, unicast to the server) is acknowledged to its address.',
      input: send(VM1, renew),
      expect: answered(VM1, replyFields(VM1_DHCP, 'ack'), 'BEHAVIOUR.md 6: ciaddr equal to the entry -> ACK; RFC 2131 4.3.2'),
    }),
    pin({
      name: 'dhcp/request-init-reboot-no-address',
      stage,
      intent: "A REQUEST naming no address at all is acknowledged with the entry's address.",
      input: send(VM1, { type: 'request' }),
      expect: answered(VM1, replyFields(VM1_DHCP, 'ack'), 'BEHAVIOUR.md 6: "or absent" -> ACK'),
    }),
    pin({
      name: 'dhcp/request-other-address-nak',
      stage,
      intent: 'A REQUEST for an address the port does not have is refused with a broadcast NAK.',
      input: send(VM1, { type: 'request', requestedIp: ipv4('10.0.0.123') }),
      expect: answered(VM1, replyFields(VM1_DHCP, 'nak'), 'BEHAVIOUR.md 6: another address -> NAK, to 255.255.255.255; RFC 2131 4.3.2'),
    }),
    pin({
      name: 'dhcp/request-wrong-ciaddr-nak',
      stage,
      intent: "A REQUEST whose ciaddr is not the port's address is refused.",
      input: send(VM1, { type: 'request', ciaddr: ipv4('10.0.0.123'), src: IPV4_ANY }),
      expect: answered(VM1, replyFields(VM1_DHCP, 'nak'), 'BEHAVIOUR.md 6: ciaddr not equal to the entry -> NAK'),
    }),
    pin({
      name: 'dhcp/release-consumed',
      stage,
      intent: 'A RELEASE is consumed without a reply.',
      input: send(VM1, {
        type: 'release',
        ciaddr: VM1.ip4,
        src: VM1.ip4,
        dst: DHCP_SERVER_A.ip,
        ethDst: DHCP_SERVER_A.mac,
        serverId: DHCP_SERVER_A.ip,
      }),
      expect: consumed('BEHAVIOUR.md "Two modes": a DHCPRELEASE is consumed: punt punt_dhcp, no reply'),
    }),
    pin({
      name: 'dhcp/decline-consumed',
      stage,
      intent: 'A DECLINE gets no reply.',
      input: send(VM1, { type: 'decline', requestedIp: VM1.ip4, serverId: DHCP_SERVER_A.ip }),
      expect: consumed('BEHAVIOUR.md 6: RELEASE/DECLINE -> no reply'),
    }),
    pin({
      name: 'dhcp/inform-ack',
      stage,
      intent: 'An INFORM gets an ACK with configuration but no address and no lease, sent to ciaddr.',
      input: send(VM1, { type: 'inform', ciaddr: VM1.ip4, src: VM1.ip4 }),
      expect: answered(
        VM1,
        replyFields(VM1_DHCP, 'inform-ack', { ciaddr: VM1.ip4 }),
        'BEHAVIOUR.md 6: INFORM -> ACK without yiaddr and lease options; RFC 2131 4.3.5: sent to ciaddr',
      ),
    }),
  ]
}

function optionVectors(): Vector[] {
  const topology = 'dhcp-options'
  return [
    pin({
      name: 'dhcp/options-all-in-order',
      stage,
      topology,
      intent: 'Every option of the entry appears once, in the fixed order, extra options sorted by code.',
      input: send(D1),
      expect: answered(
        D1,
        replyFields(D1_DHCP, 'offer'),
        'BEHAVIOUR.md 6: 53, 54, 51, 58, 59, 1, 3, 6, 15, 26, 121, extra options by code, 255',
      ),
    }),
    pin({
      name: 'dhcp/options-ack-keeps-routes',
      stage,
      topology,
      intent: 'The ACK carries the classless routes (with the router as default) like the OFFER.',
      input: send(D1, { type: 'request', requestedIp: D1.ip4 }),
      expect: answered(D1, replyFields(D1_DHCP, 'ack'), 'entries.ts DhcpEntry.routes: the router is added as 0.0.0.0/0 (RFC 3442 3)'),
    }),
    pin({
      name: 'dhcp/options-routes-without-router',
      stage,
      topology,
      intent: 'Routes without a router give option 121 with exactly the listed routes and no option 3.',
      input: send(D2),
      expect: answered(D2, replyFields(D2_DHCP, 'offer'), 'RFC 3442: routes encoded as width + significant octets + router'),
    }),
  ]
}

function rateVectors(): Vector[] {
  const burst = (h: Host, n: number, nowMs = 1000) => Array.from({ length: n }, () => ({ ...send(h), now_ms: nowMs }))
  return [
    pin({
      name: 'dhcp/rate-limit-default-burst',
      stage,
      intent: 'The eleventh DISCOVER within the same instant exceeds the default 10/s bucket.',
      before: burst(VM1, 10),
      input: send(VM1),
      expect: refused('dhcp_rate_limit', 'entries.ts DhcpEntry.rate: default 10, burst = rate'),
    }),
    pin({
      name: 'dhcp/rate-limit-tenth-still-served',
      stage,
      intent: 'The tenth DISCOVER is still inside the burst.',
      before: burst(VM1, 9),
      input: send(VM1),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer'), 'burst = rate = 10'),
    }),
    pin({
      name: 'dhcp/rate-limit-is-per-port',
      stage,
      intent: 'vm1 exhausting its bucket does not limit vm2.',
      before: burst(VM1, 11),
      input: send(VM2),
      expect: answered(VM2, replyFields(VM2_DHCP, 'offer'), 'BEHAVIOUR.md 6: rate limit per port'),
    }),
    pin({
      name: 'dhcp/rate-limit-separate-from-icmp',
      stage,
      intent: 'Exhausting the ICMP error bucket of a port does not stop DHCP on it.',
      before: Array.from({ length: 11 }, () => ({
        ...layersInput(VM1.ofport as number, [
          ethernet({ src: VM1.mac, dst: RPA.mac }),
          ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 1 }),
          udp({ sport: 1, dport: 2 }),
        ]),
        now_ms: 1000,
      })),
      input: send(VM1),
      expect: answered(VM1, replyFields(VM1_DHCP, 'offer'), 'BEHAVIOUR.md 6 (DHCP rate) and 7 (ICMP 10/s) are separate limits'),
    }),
    pin({
      name: 'dhcp/rate-limit-entry-rate',
      stage,
      topology: 'dhcp-options',
      intent: 'An entry with rate 2 refuses the third DISCOVER in the same instant.',
      before: burst(D3, 2),
      input: send(D3),
      expect: refused('dhcp_rate_limit', 'entries.ts DhcpEntry.rate: 2 per second, burst 2'),
    }),
    pin({
      name: 'dhcp/rate-limit-refills',
      stage,
      topology: 'dhcp-options',
      intent: 'One second after exhausting a rate-2 bucket, the port is served again.',
      before: burst(D3, 3, 1000),
      now_ms: 2000,
      input: send(D3),
      expect: answered(D3, replyFields(D3_DHCP, 'offer'), 'token bucket: rate tokens per second'),
    }),
  ]
}

function malformedVectors(): Vector[] {
  return [
    pin({
      name: 'dhcp/no-magic-cookie',
      stage,
      intent: 'A BOOTP message without the DHCP magic cookie is refused.',
      input: send(VM1, { magicCookie: false }),
      expect: refused('bad_dhcp', 'BEHAVIOUR.md 6: no magic cookie (RFC 2131 3)'),
    }),
    pin({
      name: 'dhcp/no-message-type',
      stage,
      intent: 'A message without option 53 is refused.',
      input: send(VM1, { type: null, requestedIp: VM1.ip4 }),
      expect: refused('bad_dhcp', 'BEHAVIOUR.md 6: no option 53'),
    }),
    pin({
      name: 'dhcp/option-past-end',
      stage,
      intent: 'An option whose length runs past the end of the message is refused.',
      input: layersInput(VM1.ofport as number, client(VM1, { padTo: undefined, optionsRaw: Uint8Array.of(53, 1, 1, 12, 40, 0x61, 0x62) })),
      expect: refused('bad_dhcp', 'BEHAVIOUR.md 6: an option running past the end'),
    }),
    pin({
      name: 'dhcp/cookie-without-options',
      stage,
      intent: 'A message that ends right after the magic cookie has no option 53.',
      input: layersInput(VM1.ofport as number, client(VM1, { optionsRaw: new Uint8Array(), padTo: undefined })),
      expect: refused('bad_dhcp', 'BEHAVIOUR.md 6: no option 53'),
    }),
    pin({
      name: 'dhcp/op-bootreply-from-client',
      stage,
      intent: 'A BOOTREPLY sent to the server port is not a client message.',
      input: send(VM1, { op: DHCP_OP_BOOTREPLY }),
      expect: refused('bad_dhcp', 'BEHAVIOUR.md 6: op not BOOTREQUEST'),
    }),
    pin({
      name: 'dhcp/chaddr-not-source-mac',
      stage,
      intent: 'A chaddr other than the Ethernet source is refused (no relays on a port).',
      input: send(VM1, { chaddr: VM2.mac }),
      expect: refused('bad_dhcp', 'BEHAVIOUR.md 6: chaddr not the source MAC'),
    }),
    pin({
      name: 'dhcp/message-shorter-than-bootp',
      stage,
      intent: 'A UDP payload shorter than the 236-byte fixed BOOTP part is refused.',
      input: layersInput(VM1.ofport as number, [...client(VM1).slice(0, 3), { kind: 'raw', bytes: new Uint8Array(100).fill(1) }]),
      expect: refused('bad_dhcp', 'RFC 2131 2: the fixed part is 236 bytes'),
    }),
    pin({
      name: 'dhcp/bad-udp-checksum',
      stage,
      intent: 'The slow path verifies the UDP checksum of what it consumes.',
      input: send(VM1, { udpChecksum: 'bad' }),
      expect: refused('bad_l4_checksum', 'BEHAVIOUR.md checksums and "Two modes"'),
    }),
  ]
}

export function dhcpVectors(): Vector[] {
  return [...batchVectors(), ...serveVectors(), ...optionVectors(), ...rateVectors(), ...malformedVectors(), ...dhcp6Vectors()]
}
