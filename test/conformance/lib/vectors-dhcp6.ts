// ls_in_dhcp, DHCPv6: from a local port with a dhcp6 entry, punted in batch mode and answered in packet-in mode
// (BEHAVIOUR.md "Order of checks" 6; RFC 8415). The expected replies are built here option by option from
// RFC 8415 21 and RFC 3646, in the order BEHAVIOUR.md 6 fixes.
import { ipv6, mac, type Ipv6Address } from '../../../datapath/host/addresses.js'
import type { Dhcp6Entry } from '../../../datapath/host/entries.js'
import { ethernet, ip6, raw, udp, type Layer } from '../../../datapath/host/packet-builder.js'
import { STAGE_DHCP } from '../../../datapath/spec/stages.js'
import type { Expectation, Vector } from '../vector-format.js'
import { NET_A, VM1, VM2, VM6, type Host } from './topologies.js'
import { drop, exact, flood, layersInput, linkLocalOf, punt, stageName, vector } from './vector-kit.js'

const stage = stageName(STAGE_DHCP)
const SERVER_MAC = mac('fa:16:3e:0a:00:99')
const SERVER_LL = linkLocalOf(SERVER_MAC)
const ALL_DHCP = ipv6('ff02::1:2')
const ALL_DHCP_MAC = mac('33:33:00:01:00:02')
const DNS = ['2001:db8:a::53', '2001:db8:a::54']
const XID = [0x0a, 0x0b, 0x0c]

const u16 = (v: number): number[] => [v >>> 8, v & 0xff]
const u32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]
const opt = (code: number, value: number[]): number[] => [...u16(code), ...u16(value.length), ...value]
/** DUID-LL (RFC 8415 11.4): type 3, hardware type 1, the MAC */
const duidLl = (m: typeof SERVER_MAC): number[] => [0, 3, 0, 1, ...m.bytes]
const clientId = (h: Host): number[] => opt(1, duidLl(h.mac))
const SERVER_ID = opt(2, duidLl(SERVER_MAC))
const iaNa = (iaid: number, t1: number, t2: number, inner: number[] = []): number[] =>
  opt(3, [...u32(iaid), ...u32(t1), ...u32(t2), ...inner])
const iaAddr = (addr: Ipv6Address, preferred = 0, valid = 0): number[] => opt(5, [...addr.bytes, ...u32(preferred), ...u32(valid)])
const status = (code: number): number[] => opt(13, u16(code))
const RAPID_COMMIT = opt(14, [])
const DNS_OPTION = opt(
  23,
  DNS.flatMap(d => [...ipv6(d).bytes]),
)
/** RFC 1035 3.1 names, as RFC 3646 4 carries them */
const DOMAIN_OPTION = opt(24, [7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0])
const IAID = 0x11223344

const stateful = (h: Host = VM1): Dhcp6Entry => ({
  stage: 'dhcp6',
  port: h.key,
  mac: h.mac.toString(),
  mode: 'dhcpv6-stateful',
  ip: (h.ip6 as Ipv6Address).toString(),
  prefix_len: 64,
  server_mac: SERVER_MAC.toString(),
  dns: DNS,
  domains: ['example.org'],
  valid: 7200,
  preferred: 3600,
  rate: 3,
})
const stateless = (h: Host = VM1): Dhcp6Entry => ({
  stage: 'dhcp6',
  port: h.key,
  mac: h.mac.toString(),
  mode: 'dhcpv6-stateless',
  server_mac: SERVER_MAC.toString(),
  dns: DNS,
})
/** T1 = preferred / 2, T2 = preferred * 4 / 5 (entries.ts defaults, RFC 8415 21.4) */
const LEASED = (h: Host): number[] => iaNa(IAID, 1800, 2880, iaAddr(h.ip6 as Ipv6Address, 3600, 7200))

function client(h: Host, type: number, options: number[], o: { dst?: Ipv6Address; change?: (l: Layer[]) => Layer[] } = {}): Layer[] {
  const layers = [
    ethernet({ src: h.mac, dst: ALL_DHCP_MAC }),
    ip6({ src: linkLocalOf(h.mac), dst: o.dst ?? ALL_DHCP, hopLimit: 1 }),
    udp({ sport: 546, dport: 547 }),
    raw(Uint8Array.from([type, ...XID, ...options])),
  ]
  return o.change ? o.change(layers) : layers
}
/** BEHAVIOUR.md 6: from the server's link-local to the client's, hop limit 255, UDP 547 -> 546. */
const server = (h: Host, type: number, options: number[]): Layer[] => [
  ethernet({ src: SERVER_MAC, dst: h.mac }),
  ip6({ src: SERVER_LL, dst: linkLocalOf(h.mac), hopLimit: 255 }),
  udp({ sport: 547, dport: 546 }),
  raw(Uint8Array.from([type, ...XID, ...options])),
]

const PUNTED = 'BEHAVIOUR.md 6: DHCPv6 from a local port with a dhcp6 entry is punted'
const answered = (h: Host, frame: Layer[], because: string): Expectation => ({
  ...punt('punt_dhcp', `${PUNTED}; the slow path answers out of the ingress port: ${because}`),
  replies: [{ ofport: h.ofport as number, frame: exact(frame) }],
})
const refused = (reason: string, because: string): Expectation => ({
  ...drop(reason, `BEHAVIOUR.md 6: ${because}; dropped, counted`),
  replies: [],
})

function served(name: string, intent: string, entry: Dhcp6Entry, input: Layer[], packetIn: Expectation, h: Host = VM1): Vector[] {
  const base = { stage, intent, entries: [entry], input: layersInput(h.ofport as number, input) }
  return [
    vector({ ...base, name: `${name}/batch`, mode: 'batch', expect: punt('punt_dhcp', `${PUNTED} (every check is the slow path's)`) }),
    vector({ ...base, name: `${name}/packet_in`, mode: 'packet_in', now_ms: 1000, expect: packetIn }),
  ]
}

export function dhcp6Vectors(): Vector[] {
  const sf = stateful()
  const sl = stateless()
  return [
    ...served(
      'dhcp6/solicit-advertise',
      "A Solicit gets an Advertise with the port's address, the echoed client id, our DUID-LL, DNS servers and domains.",
      sf,
      client(VM1, 1, [...clientId(VM1), ...opt(8, u16(0)), ...iaNa(IAID, 0, 0)]),
      answered(VM1, server(VM1, 2, [...clientId(VM1), ...SERVER_ID, ...LEASED(VM1), ...DNS_OPTION, ...DOMAIN_OPTION]), 'RFC 8415 18.3.1'),
    ),
    ...served(
      'dhcp6/solicit-rapid-commit',
      'A Solicit with Rapid Commit gets a Reply that carries Rapid Commit.',
      sf,
      client(VM1, 1, [...clientId(VM1), ...RAPID_COMMIT, ...iaNa(IAID, 0, 0)]),
      answered(
        VM1,
        server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...RAPID_COMMIT, ...LEASED(VM1), ...DNS_OPTION, ...DOMAIN_OPTION]),
        'RFC 8415 18.3.1, 21.14',
      ),
    ),
    ...served(
      'dhcp6/request-reply',
      'A Request to our server id gets a Reply with the address.',
      sf,
      client(VM1, 3, [...clientId(VM1), ...SERVER_ID, ...iaNa(IAID, 0, 0)]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...LEASED(VM1), ...DNS_OPTION, ...DOMAIN_OPTION]), 'RFC 8415 18.3.2'),
    ),
    ...served(
      'dhcp6/renew-reply',
      'A Renew gets the same address and lifetimes.',
      sf,
      client(VM1, 5, [...clientId(VM1), ...SERVER_ID, ...iaNa(IAID, 0, 0, iaAddr(VM1.ip6))]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...LEASED(VM1), ...DNS_OPTION, ...DOMAIN_OPTION]), 'RFC 8415 18.3.4'),
    ),
    ...served(
      'dhcp6/rebind-reply',
      'A Rebind (no server id) gets the same address.',
      sf,
      client(VM1, 6, [...clientId(VM1), ...iaNa(IAID, 0, 0, iaAddr(VM1.ip6))]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...LEASED(VM1), ...DNS_OPTION, ...DOMAIN_OPTION]), 'RFC 8415 18.3.5'),
    ),
    ...served(
      'dhcp6/confirm-on-link',
      "A Confirm of an address in the port's prefix gets Success.",
      sf,
      client(VM1, 4, [...clientId(VM1), ...iaNa(IAID, 0, 0, iaAddr(VM1.ip6))]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...status(0), ...DNS_OPTION, ...DOMAIN_OPTION]), 'RFC 8415 18.3.3'),
    ),
    ...served(
      'dhcp6/confirm-not-on-link',
      'A Confirm of an address off the prefix (the host moved) gets NotOnLink.',
      sf,
      client(VM1, 4, [...clientId(VM1), ...iaNa(IAID, 0, 0, iaAddr(ipv6('2001:db8:ff::5')))]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...status(4), ...DNS_OPTION, ...DOMAIN_OPTION]), 'RFC 8415 18.3.3'),
    ),
    ...served(
      'dhcp6/confirm-without-address',
      'A Confirm naming no address is consumed without a reply.',
      sf,
      client(VM1, 4, [...clientId(VM1), ...iaNa(IAID, 0, 0)]),
      { ...punt('punt_dhcp', 'RFC 8415 18.3.3: no addresses, no Reply'), replies: [] },
    ),
    ...served(
      'dhcp6/release-reply',
      'A Release gets a Reply with status Success alone.',
      sf,
      client(VM1, 8, [...clientId(VM1), ...SERVER_ID, ...iaNa(IAID, 0, 0, iaAddr(VM1.ip6))]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...status(0)]), 'RFC 8415 18.3.7'),
    ),
    ...served(
      'dhcp6/decline-reply',
      'A Decline gets a Reply with status Success alone.',
      sf,
      client(VM1, 9, [...clientId(VM1), ...SERVER_ID, ...iaNa(IAID, 0, 0, iaAddr(VM1.ip6))]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...status(0)]), 'RFC 8415 18.3.8'),
    ),
    ...served(
      'dhcp6/information-request-stateless',
      'On a stateless subnet an Information-request gets the DNS servers (no client id sent, none echoed).',
      sl,
      client(VM1, 11, [...opt(6, [0, 23])]),
      answered(VM1, server(VM1, 7, [...SERVER_ID, ...DNS_OPTION]), 'RFC 8415 18.3.6'),
    ),
    ...served(
      'dhcp6/information-request-stateful',
      'On a stateful subnet an Information-request echoes the client id and lists DNS and domains.',
      sf,
      client(VM1, 11, [...clientId(VM1)]),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...DNS_OPTION, ...DOMAIN_OPTION]), 'RFC 8415 18.3.6'),
    ),
    ...served(
      'dhcp6/solicit-stateless-no-addrs',
      'On a stateless subnet a Solicit is told NoAddrsAvail, with no IA.',
      sl,
      client(VM1, 1, [...clientId(VM1), ...iaNa(IAID, 0, 0)]),
      answered(VM1, server(VM1, 2, [...clientId(VM1), ...SERVER_ID, ...status(2), ...DNS_OPTION]), 'RFC 8415 18.3.9'),
    ),
    ...served(
      'dhcp6/unicast-to-server-link-local',
      "A Request unicast to the server's link-local address is answered too.",
      sf,
      client(VM1, 3, [...clientId(VM1), ...SERVER_ID, ...iaNa(IAID, 0, 0)], { dst: SERVER_LL }),
      answered(VM1, server(VM1, 7, [...clientId(VM1), ...SERVER_ID, ...LEASED(VM1), ...DNS_OPTION, ...DOMAIN_OPTION]), 'BEHAVIOUR.md 6'),
    ),
    // refused by the slow path
    ...served(
      'dhcp6/wrong-server-id',
      "A Request naming another server's DUID is for that server: ignored.",
      sf,
      client(VM1, 3, [...clientId(VM1), ...opt(2, duidLl(mac('fa:16:3e:0a:00:98'))), ...iaNa(IAID, 0, 0)]),
      refused('dhcpv6_other_server', 'RFC 8415 16.4: discard a Request whose server id is not ours'),
    ),
    ...served(
      'dhcp6/relay-forward-refused',
      'A Relay-forward from a port is refused: the server serves its link only.',
      sf,
      client(VM1, 12, [0, ...new Array<number>(32).fill(0), ...opt(9, [1, ...XID, ...clientId(VM1)])]),
      refused('dhcpv6_relay', 'no relays on a port'),
    ),
    ...served(
      'dhcp6/truncated-option',
      'An option whose length runs past the message is malformed.',
      sf,
      client(VM1, 1, [...clientId(VM1), 0, 3, 0, 40, 1, 2, 3]),
      refused('bad_dhcpv6', 'an option running past the end'),
    ),
    ...served(
      'dhcp6/truncated-header',
      'A UDP payload of 3 bytes has no room for the message header.',
      sf,
      client(VM1, 1, [], { change: l => [...l.slice(0, 3), raw(Uint8Array.of(1, 0, 0))] }),
      refused('bad_dhcpv6', 'shorter than 4 bytes'),
    ),
    ...served(
      'dhcp6/solicit-without-client-id',
      'A Solicit must carry a client id.',
      sf,
      client(VM1, 1, [...iaNa(IAID, 0, 0)]),
      refused('bad_dhcpv6', 'RFC 8415 16.2'),
    ),
    ...served(
      'dhcp6/solicit-with-server-id',
      'A Solicit must not carry a server id.',
      sf,
      client(VM1, 1, [...clientId(VM1), ...SERVER_ID]),
      refused('bad_dhcpv6', 'RFC 8415 16.2'),
    ),
    ...served(
      'dhcp6/request-without-server-id',
      'A Request must name the server.',
      sf,
      client(VM1, 3, [...clientId(VM1), ...iaNa(IAID, 0, 0)]),
      refused('bad_dhcpv6', 'RFC 8415 16.4'),
    ),
    ...served(
      'dhcp6/server-message-type',
      'An Advertise sent to the server port is not a client message.',
      sf,
      client(VM1, 2, [...clientId(VM1), ...SERVER_ID]),
      refused('bad_dhcpv6', 'an unknown or server-side message type'),
    ),
    ...served(
      'dhcp6/not-to-dhcp-address',
      "A message to neither ff02::1:2 nor the server's link-local is not answered.",
      sf,
      client(VM1, 1, [...clientId(VM1)], { dst: ipv6('fe80::1') }),
      refused('bad_dhcpv6', 'destination'),
    ),
    ...served(
      'dhcp6/bad-udp-checksum',
      'The slow path verifies the UDP checksum of what it consumes.',
      sf,
      client(VM1, 1, [...clientId(VM1)], { change: l => [l[0]!, l[1]!, udp({ sport: 546, dport: 547, checksum: 'bad' }), l[3]!] }),
      refused('bad_l4_checksum', 'BEHAVIOUR.md checksums'),
    ),
    vector({
      name: 'dhcp6/rate-limit',
      stage,
      intent: 'A port with rate 3 gets three answers in one instant, the fourth is dropped.',
      entries: [sf],
      mode: 'packet_in',
      now_ms: 1000,
      before: Array.from({ length: 3 }, () => ({ ...layersInput(VM1.ofport as number, client(VM1, 11, [])), now_ms: 1000 })),
      input: layersInput(VM1.ofport as number, client(VM1, 11, [])),
      expect: refused('dhcp_rate_limit', 'the DHCPv4 token bucket (rate per second, burst = rate), checked first'),
    }),
    // not ours
    vector({
      name: 'dhcp6/port-without-entry-floods',
      stage,
      intent: 'vm6 has no dhcp6 entry: its Solicit is not ours and floods as any multicast.',
      entries: [sf],
      input: layersInput(VM6.ofport as number, client(VM6, 1, [...clientId(VM6)])),
      expect: flood(NET_A, exact(client(VM6, 1, [...clientId(VM6)])), {
        because: 'BEHAVIOUR.md 6: a port without a dhcp6 entry continues; 9: multicast floods',
      }),
    }),
    ...served(
      'dhcp6/second-port',
      'Each port is answered with its own address and client id.',
      stateful(VM2),
      client(VM2, 3, [...clientId(VM2), ...SERVER_ID, ...iaNa(IAID, 0, 0)]),
      answered(VM2, server(VM2, 7, [...clientId(VM2), ...SERVER_ID, ...LEASED(VM2), ...DNS_OPTION, ...DOMAIN_OPTION]), 'per-port entries'),
      VM2,
    ),
  ]
}
