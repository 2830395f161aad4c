// ls_in_classify: ingress port (+ VLAN) or tunnel key -> network and source port; tunnel decapsulation
// (BEHAVIOUR.md "Order of checks" 2 and 3).
import { BROADCAST_MAC, ipv4, mac } from '../../../datapath/host/addresses.js'
import {
  GENEVE_PORT,
  VXLAN_PORT,
  arp,
  dhcp,
  dot1q,
  ethernet,
  geneve,
  ip4,
  udp,
  vxlan,
  type GeneveLayer,
  type Layer,
  type VxlanLayer,
} from '../../../datapath/host/packet-builder.js'
import { STAGE_CLASSIFY } from '../../../datapath/spec/stages.js'
import type { Vector } from '../vector-format.js'
import { ACCESS, NET_A, NET_B, NET_V10, TRUNK_OFPORT, TUNNEL_OFPORT, V10, V20, V20_PEER, VM1, VM3, VMB1, VMB2 } from './topologies.js'
import { bothModes, bytesInput, drop, exact, flood, frameOf, layersInput, output, stageName, tunnel, udp4, vector } from './vector-kit.js'

const stage = stageName(STAGE_CLASSIFY)
/** The underlay: this node is 192.168.100.1; vm3's chassis is 192.168.100.2. */
const underlay = (inner: Layer[], encap: VxlanLayer | GeneveLayer, o: { outerChecksum?: 'bad' } = {}): Layer[] => [
  ethernet({ src: mac('02:00:c0:a8:64:02'), dst: mac('02:00:c0:a8:64:01') }),
  ip4({ src: ipv4('192.168.100.2'), dst: ipv4('192.168.100.1'), ttl: 64, id: 0x1111, df: true, checksum: o.outerChecksum }),
  // The port is explicit (not inferred from the next layer), so vectors that cut the tunnel header keep it.
  // RFC 7348 5 / RFC 8926 3.3: a zero UDP checksum over IPv4 is allowed.
  udp({ sport: 51234, dport: encap.kind === 'vxlan' ? VXLAN_PORT : GENEVE_PORT, checksum: 'none' }),
  encap,
  ...inner,
]
const vm3ToVm1 = udp4({ srcMac: VM3.mac, dstMac: VM1.mac, src: VM3.ip4, dst: VM1.ip4 })
const vmb2ToVmb1 = udp4({ srcMac: VMB2.mac, dstMac: VMB1.mac, src: VMB2.ip4, dst: VMB1.ip4 })
const toLocal = {
  because: 'BEHAVIOUR.md 2: the VNI selects the network; l2 + egress deliver to the local port; the packet is the inner frame',
}

function tunnelVectors(): Vector[] {
  return [
    vector({
      name: 'tunnel/vxlan-decap-to-local-port',
      stage,
      intent: 'A VXLAN frame from a remote chassis is decapsulated and the inner frame delivered locally.',
      input: layersInput(TUNNEL_OFPORT, underlay(vm3ToVm1, vxlan({ vni: NET_A }))),
      expect: output(VM1.ofport as number, exact(vm3ToVm1), toLocal),
    }),
    vector({
      name: 'tunnel/vxlan-decap-second-network',
      stage,
      intent: 'The VNI, not the ingress port, picks the network: VNI 200 reaches net-b.',
      input: layersInput(TUNNEL_OFPORT, underlay(vmb2ToVmb1, vxlan({ vni: NET_B }))),
      expect: output(VMB1.ofport as number, exact(vmb2ToVmb1), toLocal),
    }),
    vector({
      name: 'tunnel/geneve-decap-to-local-port',
      stage,
      intent: 'A Geneve frame (RFC 8926) is decapsulated like VXLAN.',
      input: layersInput(TUNNEL_OFPORT, underlay(vmb2ToVmb1, geneve({ vni: NET_B }))),
      expect: output(VMB1.ofport as number, exact(vmb2ToVmb1), toLocal),
    }),
    vector({
      name: 'tunnel/geneve-with-options',
      stage,
      intent: 'Geneve options (one 8-byte TLV) are skipped to find the inner frame.',
      input: layersInput(
        TUNNEL_OFPORT,
        underlay(vmb2ToVmb1, geneve({ vni: NET_B, options: Uint8Array.of(0x01, 0x02, 0x80, 0x01, 0xa, 0xb, 0xc, 0xd) })),
      ),
      expect: output(VMB1.ofport as number, exact(vmb2ToVmb1), { because: 'RFC 8926 3.4: Opt Len counts 4-byte words of options' }),
    }),
    ...bothModes({
      name: 'tunnel/vxlan-unknown-vni',
      stage,
      intent: 'A VNI with no classify tunnel entry is dropped.',
      input: layersInput(TUNNEL_OFPORT, underlay(vm3ToVm1, vxlan({ vni: 999 }))),
      expect: drop('unknown_tunnel_key', 'BEHAVIOUR.md 2: tunnel entry miss'),
    }),
    vector({
      name: 'tunnel/vxlan-without-i-flag',
      stage,
      intent: 'A VXLAN header without the I flag has no valid VNI.',
      input: layersInput(TUNNEL_OFPORT, underlay(vm3ToVm1, vxlan({ vni: NET_A, flags: 0 }))),
      expect: drop('bad_tunnel', 'RFC 7348 5: the I flag must be set for a valid VNI; BEHAVIOUR.md 2'),
    }),
    vector({
      name: 'tunnel/geneve-options-past-frame',
      stage,
      intent: 'A Geneve option length longer than the frame is malformed.',
      input: layersInput(TUNNEL_OFPORT, underlay(vmb2ToVmb1.slice(0, 1), geneve({ vni: NET_B, optLenWords: 63 }))),
      expect: drop('bad_tunnel', 'BEHAVIOUR.md 2: a Geneve header longer than the frame'),
    }),
    vector({
      name: 'tunnel/outer-ipv4-bad-checksum',
      stage,
      intent: 'The outer IPv4 header is validated like any other.',
      input: layersInput(TUNNEL_OFPORT, underlay(vm3ToVm1, vxlan({ vni: NET_A }), { outerChecksum: 'bad' })),
      expect: drop('bad_ipv4_checksum', 'BEHAVIOUR.md checksums: the IPv4 header is always verified'),
    }),
    vector({
      name: 'tunnel/inner-frame-truncated',
      stage,
      intent: 'A VXLAN payload of 10 bytes cannot hold the inner Ethernet header.',
      input: bytesInput(
        TUNNEL_OFPORT,
        frameOf([...underlay([], vxlan({ vni: NET_A })), { kind: 'raw', bytes: new Uint8Array(10).fill(0xaa) }]),
      ),
      expect: drop('truncated', 'BEHAVIOUR.md 1: an Ethernet frame < 14 bytes, inner or outer'),
    }),
    vector({
      name: 'tunnel/vxlan-header-truncated',
      stage,
      intent: 'A UDP/4789 payload of 4 bytes cannot hold the 8-byte VXLAN header.',
      input: layersInput(TUNNEL_OFPORT, [
        ...underlay([], vxlan({ vni: NET_A })).slice(0, 3),
        { kind: 'raw', bytes: Uint8Array.of(8, 0, 0, 0) },
      ]),
      expect: drop('bad_tunnel', 'RFC 7348 5: the VXLAN header is 8 bytes; the tunnel header is what is malformed (BEHAVIOUR.md 2)'),
    }),
    vector({
      name: 'tunnel/geneve-header-truncated',
      stage,
      intent: 'A UDP/6081 payload of 4 bytes cannot hold the 8-byte Geneve base header.',
      input: layersInput(TUNNEL_OFPORT, [
        ...underlay([], geneve({ vni: NET_B })).slice(0, 3),
        { kind: 'raw', bytes: Uint8Array.of(0, 0, 0x65, 0x58) },
      ]),
      expect: drop('bad_tunnel', 'BEHAVIOUR.md 2: a Geneve header longer than the frame'),
    }),
    vector({
      name: 'tunnel/inner-ipv4-malformed',
      stage,
      intent: 'The inner frame is validated like any other: an inner IPv4 header with IHL 4 is malformed.',
      input: layersInput(
        TUNNEL_OFPORT,
        underlay(
          vm3ToVm1.map(l => (l.kind === 'ip4' ? { ...l, ihl: 4 } : l)),
          vxlan({ vni: NET_A }),
        ),
      ),
      expect: drop('bad_ipv4_header', 'BEHAVIOUR.md 1 applies to the decapsulated frame'),
    }),
    vector({
      name: 'tunnel/decap-skips-port-security',
      stage,
      intent: 'Decapsulated traffic skips port security: a source the local port_sec table does not know is still delivered.',
      input: layersInput(
        TUNNEL_OFPORT,
        underlay(udp4({ srcMac: mac('fa:16:3e:99:99:99'), dstMac: VM1.mac, src: ipv4('10.0.0.200'), dst: VM1.ip4 }), vxlan({ vni: NET_A })),
      ),
      expect: output(
        VM1.ofport as number,
        exact(udp4({ srcMac: mac('fa:16:3e:99:99:99'), dstMac: VM1.mac, src: ipv4('10.0.0.200'), dst: VM1.ip4 })),
        { because: 'BEHAVIOUR.md 2: the sending chassis enforced port security' },
      ),
    }),
    vector({
      name: 'tunnel/decap-broadcast-floods',
      stage,
      intent: 'A decapsulated broadcast ARP for an unknown address floods the VNI network.',
      input: layersInput(
        TUNNEL_OFPORT,
        underlay(
          [ethernet({ src: VM3.mac, dst: BROADCAST_MAC }), arp({ op: 1, sha: VM3.mac, spa: VM3.ip4, tpa: ipv4('10.0.0.200') })],
          vxlan({ vni: NET_A }),
        ),
      ),
      expect: flood(
        NET_A,
        exact([ethernet({ src: VM3.mac, dst: BROADCAST_MAC }), arp({ op: 1, sha: VM3.mac, spa: VM3.ip4, tpa: ipv4('10.0.0.200') })]),
        { because: 'BEHAVIOUR.md 5 and 9: no arp_nd entry for the target; broadcast floods' },
      ),
    }),
    ...bothModes({
      name: 'tunnel/decap-dhcp-is-not-served',
      stage,
      intent: 'A decapsulated DHCP DISCOVER skips the DHCP stage and floods like any broadcast.',
      input: layersInput(TUNNEL_OFPORT, underlay(dhcpDiscover(), vxlan({ vni: NET_A }))),
      expect: flood(NET_A, exact(dhcpDiscover()), {
        because: 'BEHAVIOUR.md 2: decapsulated traffic skips DHCP (the port is served by its own chassis)',
      }),
    }),
    vector({
      name: 'tunnel/pre-decapsulated-tunnel-key',
      stage,
      intent: 'A frame the target already decapsulated (tun_id set) is classified by its tunnel key.',
      input: layersInput(TUNNEL_OFPORT, vm3ToVm1, { tunnelKey: NET_A }),
      expect: output(VM1.ofport as number, exact(vm3ToVm1), toLocal),
    }),
    vector({
      name: 'tunnel/pre-decapsulated-unknown-key',
      stage,
      intent: 'A tunnel key with no classify entry is dropped.',
      input: layersInput(TUNNEL_OFPORT, vm3ToVm1, { tunnelKey: 555 }),
      expect: drop('unknown_tunnel_key', 'BEHAVIOUR.md 2: tunnel entry miss'),
    }),
  ]
}

function dhcpDiscover(): Layer[] {
  return [
    ethernet({ src: VM3.mac, dst: BROADCAST_MAC }),
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255'), ttl: 64 }),
    udp(),
    dhcp({ xid: 0x3903f326, chaddr: VM3.mac, type: 'discover' }),
  ]
}

const v10ToAccess = (tag: { vid: number; pcp?: number } | undefined): Layer[] => [
  ethernet({ src: V10.mac, dst: ACCESS.mac }),
  ...(tag ? [dot1q(tag)] : []),
  ip4({ src: V10.ip4, dst: ACCESS.ip4, ttl: 64, id: 77 }),
  udp({ sport: 5000, dport: 5001 }),
  { kind: 'raw', bytes: Uint8Array.of(1, 2, 3, 4) },
]

function vlanVectors(): Vector[] {
  const stripped = exact(v10ToAccess(undefined))
  return [
    vector({
      name: 'vlan/tagged-trunk-to-access-port',
      stage,
      topology: 'vlan',
      intent: 'VLAN 10 on the trunk is net 410; the tag is stripped on the way to the access port.',
      input: layersInput(TRUNK_OFPORT, v10ToAccess({ vid: 10 })),
      expect: output(ACCESS.ofport as number, stripped, { because: 'BEHAVIOUR.md 3: the VLAN tag is stripped from the forwarded frame' }),
    }),
    vector({
      name: 'vlan/priority-bits-are-not-the-key',
      stage,
      topology: 'vlan',
      intent: 'PCP bits in the tag do not change the classification, only the VID does.',
      input: layersInput(TRUNK_OFPORT, v10ToAccess({ vid: 10, pcp: 5 })),
      expect: output(ACCESS.ofport as number, stripped, { because: 'BEHAVIOUR.md 3: the key is (in_port, VLAN id)' }),
    }),
    vector({
      name: 'vlan/tagged-trunk-to-remote-port',
      stage,
      topology: 'vlan',
      intent: 'VLAN 20 on the same trunk is another network, whose peer is remote.',
      input: layersInput(TRUNK_OFPORT, [
        ethernet({ src: V20.mac, dst: V20_PEER.mac }),
        dot1q({ vid: 20 }),
        ...udp4({ srcMac: V20.mac, dstMac: V20_PEER.mac, src: V20.ip4, dst: V20_PEER.ip4 }).slice(1),
      ]),
      expect: tunnel(V20_PEER, exact(udp4({ srcMac: V20.mac, dstMac: V20_PEER.mac, src: V20.ip4, dst: V20_PEER.ip4 })), {
        because: 'BEHAVIOUR.md 3 and 10: tag stripped; the port is on a remote chassis',
      }),
    }),
    vector({
      name: 'vlan/broadcast-floods-vlan-network',
      stage,
      topology: 'vlan',
      intent: 'A broadcast on VLAN 10 floods net 410 (not net 420), untagged.',
      input: layersInput(TRUNK_OFPORT, [
        ethernet({ src: V10.mac, dst: BROADCAST_MAC }),
        dot1q({ vid: 10 }),
        arp({ op: 1, sha: V10.mac, spa: V10.ip4, tpa: ipv4('172.16.10.99') }),
      ]),
      expect: flood(
        NET_V10,
        exact([ethernet({ src: V10.mac, dst: BROADCAST_MAC }), arp({ op: 1, sha: V10.mac, spa: V10.ip4, tpa: ipv4('172.16.10.99') })]),
        { because: 'BEHAVIOUR.md 9: broadcast floods the classified network' },
      ),
    }),
    vector({
      name: 'vlan/unknown-vid-on-trunk',
      stage,
      topology: 'vlan',
      intent: 'A VID the trunk does not carry has no classify entry.',
      input: layersInput(TRUNK_OFPORT, v10ToAccess({ vid: 30 })),
      expect: drop('unknown_in_port', 'BEHAVIOUR.md 3: (in_port, VLAN id) miss'),
    }),
    vector({
      name: 'vlan/untagged-on-trunk',
      stage,
      topology: 'vlan',
      intent: 'An untagged frame on a port that only has tagged entries is unknown.',
      input: layersInput(TRUNK_OFPORT, v10ToAccess(undefined)),
      expect: drop('unknown_in_port', 'BEHAVIOUR.md 3: (in_port, 0) miss'),
    }),
    vector({
      name: 'vlan/tagged-on-access-port',
      stage,
      topology: 'vlan',
      intent: 'A tagged frame on an untagged (access) entry is dropped.',
      input: layersInput(ACCESS.ofport as number, [
        ethernet({ src: ACCESS.mac, dst: V10.mac }),
        dot1q({ vid: 10 }),
        ...udp4({ srcMac: ACCESS.mac, dstMac: V10.mac, src: ACCESS.ip4, dst: V10.ip4 }).slice(1),
      ]),
      expect: drop('bad_vlan', 'datapath/host/entries.ts ClassifyPortEntry: a tagged frame on an untagged entry is dropped bad_vlan'),
    }),
  ]
}

export function classifyVectors(): Vector[] {
  return [
    ...bothModes({
      name: 'classify/unknown-in-port',
      stage,
      intent: 'A frame on an OpenFlow port with no classify entry is dropped.',
      input: layersInput(99, vm3ToVm1),
      expect: drop('unknown_in_port', 'BEHAVIOUR.md 3: classify miss'),
    }),
    ...tunnelVectors(),
    ...vlanVectors(),
  ]
}
