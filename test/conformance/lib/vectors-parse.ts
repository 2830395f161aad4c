// Input validation (BEHAVIOUR.md "Order of checks" 1): malformed frames are dropped first, with the most
// specific reason, before any stage looks at them; unknown EtherTypes are not malformed.
import { mac } from '../../../datapath/host/addresses.js'
import { ETH_TYPE, IP_PROTO, arp, ethernet, ip4, ip6Ext, raw, type Ipv4Layer, type Layer } from '../../../datapath/host/packet-builder.js'
import type { Vector } from '../vector-format.js'
import { VM1, VM2, VM5 } from './topologies.js'
import { PARSE, bothModes, bytesInput, drop, exact, frameOf, layersInput, output, udp4, udp6, vector, withLayer } from './vector-kit.js'

const toVm2 = udp4({ srcMac: VM1.mac, dstMac: VM2.mac, src: VM1.ip4, dst: VM2.ip4 })
const IP = 1 // index of the IPv4 layer in toVm2
const v6ToVm2 = udp6({ srcMac: VM1.mac, dstMac: VM2.mac, src: VM1.ip6, dst: VM2.ip6 })
const arpReq = [ethernet({ src: VM1.mac, dst: mac('ff:ff:ff:ff:ff:ff') }), arp({ op: 1, sha: VM1.mac, spa: VM1.ip4, tpa: VM2.ip4 })]
const of1 = VM1.ofport as number

const malformedIp = (name: string, change: Partial<Ipv4Layer>, because: string): Vector =>
  vector({
    name: `parse/ipv4-${name}`,
    stage: PARSE,
    intent: `An IPv4 header with ${name.replace(/-/g, ' ')} is malformed.`,
    input: layersInput(
      of1,
      withLayer(toVm2, IP, l => ({ ...(l as Ipv4Layer), ...change })),
    ),
    expect: drop('bad_ipv4_header', because),
  })

const badArp = (name: string, change: Record<string, number>): Vector =>
  vector({
    name: `parse/arp-${name}`,
    stage: PARSE,
    intent: `An ARP packet with ${name.replace(/-/g, ' ')} is not IPv4-over-Ethernet ARP.`,
    input: layersInput(
      of1,
      withLayer(arpReq, 1, l => ({ ...l, ...change })),
      { pad: true },
    ),
    expect: drop('bad_arp', 'BEHAVIOUR.md 1: ARP must be htype 1, ptype 0x0800, hlen 6, plen 4, op 1 or 2 (RFC 826)'),
  })

/** IPv4 `protocol` with an L4 part of `bytes` bytes: too short for its header. */
const shortL4 = (name: string, protocol: number, bytes: number): Vector =>
  vector({
    name: `parse/${name}-header-truncated`,
    stage: PARSE,
    intent: `An IPv4 packet whose ${name.toUpperCase()} header is cut short inside the IP total length is truncated.`,
    input: layersInput(of1, [
      ethernet({ src: VM1.mac, dst: VM2.mac }),
      ip4({ src: VM1.ip4, dst: VM2.ip4, protocol }),
      raw(new Uint8Array(bytes).fill(0x11)),
    ]),
    expect: drop('truncated', 'BEHAVIOUR.md 1: L4 headers must be present when the packet is not a non-first fragment'),
  })

function destOpts(count: number): Layer[] {
  return Array.from({ length: count }, () => ip6Ext({ ext: 'destination' }))
}

export function parseVectors(): Vector[] {
  const valid = frameOf(toVm2)
  return [
    vector({
      name: 'parse/empty-frame',
      stage: PARSE,
      intent: 'A zero-length frame is truncated, not a crash.',
      input: bytesInput(of1, new Uint8Array()),
      expect: drop('truncated', 'BEHAVIOUR.md 1: Ethernet < 14 bytes'),
    }),
    ...bothModes({
      name: 'parse/ethernet-13-bytes',
      stage: PARSE,
      intent: 'A 13-byte frame cannot hold an Ethernet header.',
      input: bytesInput(of1, valid.subarray(0, 13)),
      expect: drop('truncated', 'BEHAVIOUR.md 1: Ethernet < 14 bytes'),
    }),
    vector({
      name: 'parse/truncated-before-classify',
      stage: PARSE,
      intent: 'Validation comes before classification: a truncated frame from an unknown port is truncated, not unknown_in_port.',
      input: bytesInput(99, valid.subarray(0, 10)),
      expect: drop('truncated', 'BEHAVIOUR.md order of checks: parse (1) before classify (3)'),
    }),
    vector({
      name: 'parse/unknown-ethertype-is-switched',
      stage: PARSE,
      intent: 'A bare Ethernet header with an unknown EtherType is not malformed and is switched to the destination.',
      input: layersInput(of1, [ethernet({ src: VM1.mac, dst: VM2.mac, type: ETH_TYPE.EXPERIMENTAL })]),
      expect: output(VM2.ofport as number, exact([ethernet({ src: VM1.mac, dst: VM2.mac, type: ETH_TYPE.EXPERIMENTAL })]), {
        because: 'BEHAVIOUR.md 1: unknown ethertypes are switched; l2 maps vm2 MAC to a local port',
      }),
    }),
    vector({
      name: 'parse/vlan-tag-truncated',
      stage: PARSE,
      intent: 'An 802.1Q TPID followed by only 2 bytes has no complete tag.',
      input: bytesInput(of1, Uint8Array.of(...VM2.mac.bytes, ...VM1.mac.bytes, 0x81, 0x00, 0x00, 0x0a)),
      expect: drop('bad_vlan', 'BEHAVIOUR.md 1: truncated tag'),
    }),
    vector({
      name: 'parse/arp-truncated',
      stage: PARSE,
      intent: 'An ARP packet of 27 bytes is one byte short of IPv4-over-Ethernet ARP.',
      input: bytesInput(of1, frameOf(arpReq).subarray(0, 14 + 27)),
      expect: drop('bad_arp', 'BEHAVIOUR.md 1: ARP is 28 bytes'),
    }),
    badArp('htype-6', { htype: 6 }),
    badArp('ptype-ipv6', { ptype: ETH_TYPE.IPV6 }),
    badArp('hlen-8', { hlen: 8 }),
    badArp('plen-16', { plen: 16 }),
    badArp('op-3', { op: 3 }),
    badArp('op-0', { op: 0 }),
    malformedIp('version-6', { version: 6 }, 'BEHAVIOUR.md 1: version must be 4 under EtherType 0x0800'),
    malformedIp('ihl-4', { ihl: 4 }, 'BEHAVIOUR.md 1: IHL >= 5 (RFC 791)'),
    malformedIp('total-length-beyond-frame', { totalLength: 200 }, 'BEHAVIOUR.md 1: total length within the frame'),
    malformedIp('total-length-below-header', { totalLength: 16 }, 'RFC 791: total length includes the 20-byte header'),
    malformedIp('ihl-beyond-total-length', { ihl: 15 }, 'BEHAVIOUR.md 1: options inside IHL must lie inside the packet'),
    vector({
      name: 'parse/ipv4-header-19-bytes',
      stage: PARSE,
      intent: 'A frame that ends 19 bytes into the IPv4 header is malformed.',
      input: bytesInput(of1, valid.subarray(0, 14 + 19)),
      expect: drop('bad_ipv4_header', 'BEHAVIOUR.md 1: an IPv4 header is at least 20 bytes'),
    }),
    ...bothModes({
      name: 'parse/ipv4-bad-checksum',
      stage: PARSE,
      intent: 'A wrong IPv4 header checksum is dropped, for switched traffic too.',
      input: layersInput(
        of1,
        withLayer(toVm2, IP, l => ({ ...l, checksum: 'bad' as const })),
      ),
      expect: drop('bad_ipv4_checksum', 'BEHAVIOUR.md checksums: the IPv4 header checksum is always verified'),
    }),
    vector({
      name: 'parse/ipv4-bad-checksum-port-security-off',
      stage: PARSE,
      intent: 'Turning port security off does not turn header validation off.',
      input: layersInput(
        VM5.ofport as number,
        withLayer(udp4({ srcMac: VM5.mac, dstMac: VM2.mac, src: VM5.ip4, dst: VM2.ip4 }), IP, l => ({ ...l, checksum: 'bad' as const })),
      ),
      expect: drop('bad_ipv4_checksum', 'BEHAVIOUR.md checksums: always verified'),
    }),
    shortL4('udp', IP_PROTO.UDP, 4),
    shortL4('tcp', IP_PROTO.TCP, 12),
    shortL4('icmp', IP_PROTO.ICMP, 3),
    vector({
      name: 'parse/non-first-fragment-needs-no-l4',
      stage: PARSE,
      intent: 'A non-first IPv4 fragment carries no L4 header, so 4 bytes of payload are fine and it is switched.',
      input: layersInput(of1, [
        ethernet({ src: VM1.mac, dst: VM2.mac }),
        ip4({ src: VM1.ip4, dst: VM2.ip4, protocol: IP_PROTO.UDP, fragOffset: 185, id: 7 }),
        raw(Uint8Array.of(1, 2, 3, 4)),
      ]),
      expect: output(
        VM2.ofport as number,
        exact([
          ethernet({ src: VM1.mac, dst: VM2.mac }),
          ip4({ src: VM1.ip4, dst: VM2.ip4, protocol: IP_PROTO.UDP, fragOffset: 185, id: 7 }),
          raw(Uint8Array.of(1, 2, 3, 4)),
        ]),
        { because: 'BEHAVIOUR.md 1: L4 is required only when the packet is not a non-first fragment' },
      ),
    }),
    vector({
      name: 'parse/ethernet-padding-kept',
      stage: PARSE,
      intent: 'A short IPv4 packet padded to the 60-byte Ethernet minimum is valid and switched unchanged, padding included.',
      input: layersInput(of1, toVm2, { pad: true }),
      expect: output(VM2.ofport as number, exact(toVm2, true), {
        because: 'RFC 894: padding after the IP total length is not part of the packet',
      }),
    }),
    ...bothModes({
      name: 'parse/source-mac-multicast',
      stage: PARSE,
      intent: 'A multicast source MAC is never a host.',
      input: layersInput(of1, udp4({ srcMac: mac('01:00:5e:00:00:01'), dstMac: VM2.mac, src: VM1.ip4, dst: VM2.ip4 })),
      expect: drop('src_mac_multicast', 'BEHAVIOUR.md 1: source MAC multicast/broadcast (IEEE 802 I/G bit)'),
    }),
    vector({
      name: 'parse/source-mac-broadcast-unknown-port',
      stage: PARSE,
      intent: 'A broadcast source MAC is dropped as such even from an unknown port, because validation runs first.',
      input: layersInput(99, udp4({ srcMac: mac('ff:ff:ff:ff:ff:ff'), dstMac: VM2.mac, src: VM1.ip4, dst: VM2.ip4 })),
      expect: drop('src_mac_multicast', 'BEHAVIOUR.md order of checks: 1 before 3'),
    }),
    vector({
      name: 'parse/ipv6-version-4',
      stage: PARSE,
      intent: 'An IPv6 EtherType with version 4 in the header is malformed.',
      input: layersInput(
        of1,
        withLayer(v6ToVm2, 1, l => ({ ...l, version: 4 })),
      ),
      expect: drop('bad_ipv6_header', 'BEHAVIOUR.md 1: IPv6 version'),
    }),
    vector({
      name: 'parse/ipv6-header-39-bytes',
      stage: PARSE,
      intent: 'A frame that ends inside the 40-byte IPv6 header is malformed.',
      input: bytesInput(of1, frameOf(v6ToVm2).subarray(0, 14 + 39)),
      expect: drop('bad_ipv6_header', 'RFC 8200 3: the header is 40 bytes'),
    }),
    vector({
      name: 'parse/ipv6-payload-length-beyond-frame',
      stage: PARSE,
      intent: 'An IPv6 payload length past the end of the frame is malformed.',
      input: layersInput(
        of1,
        withLayer(v6ToVm2, 1, l => ({ ...l, payloadLength: 400 })),
      ),
      expect: drop('bad_ipv6_header', 'BEHAVIOUR.md 1: payload length within the frame'),
    }),
    vector({
      name: 'parse/ipv6-eight-extension-headers',
      stage: PARSE,
      intent: 'Eight extension headers are the most the pipeline skips, and the packet is switched.',
      input: layersInput(of1, [...v6ToVm2.slice(0, 2), ...destOpts(8), ...v6ToVm2.slice(2)]),
      expect: output(VM2.ofport as number, exact([...v6ToVm2.slice(0, 2), ...destOpts(8), ...v6ToVm2.slice(2)]), {
        because: 'BEHAVIOUR.md 1: more than 8 is bad_ipv6_ext, 8 is fine',
      }),
    }),
    ...bothModes({
      name: 'parse/ipv6-nine-extension-headers',
      stage: PARSE,
      intent: 'Nine extension headers exceed the pipeline limit.',
      input: layersInput(of1, [...v6ToVm2.slice(0, 2), ...destOpts(9), ...v6ToVm2.slice(2)]),
      expect: drop('bad_ipv6_ext', 'BEHAVIOUR.md 1: more than 8 extension headers'),
    }),
    vector({
      name: 'parse/ipv6-extension-past-payload',
      stage: PARSE,
      intent: 'A hop-by-hop header whose length runs past the payload is malformed.',
      input: layersInput(of1, [...v6ToVm2.slice(0, 2), ip6Ext({ ext: 'hop-by-hop', headerLength: 20 }), ...v6ToVm2.slice(2)]),
      expect: drop('bad_ipv6_ext', 'BEHAVIOUR.md 1: an extension header running past the payload'),
    }),
    vector({
      name: 'parse/ipv6-fragment-and-routing-headers-switched',
      stage: PARSE,
      intent: 'Fragment and routing (segments left 0) headers are skipped and the packet is switched unchanged.',
      input: layersInput(of1, [
        ...v6ToVm2.slice(0, 2),
        ip6Ext({ ext: 'routing', routingType: 4, segmentsLeft: 0 }),
        ip6Ext({ ext: 'fragment', id: 99 }),
        ...v6ToVm2.slice(2),
      ]),
      expect: output(
        VM2.ofport as number,
        exact([
          ...v6ToVm2.slice(0, 2),
          ip6Ext({ ext: 'routing', routingType: 4, segmentsLeft: 0 }),
          ip6Ext({ ext: 'fragment', id: 99 }),
          ...v6ToVm2.slice(2),
        ]),
        { because: 'BEHAVIOUR.md 1: routing and fragment headers are skipped' },
      ),
    }),
  ]
}
