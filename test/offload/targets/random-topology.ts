// Seeded random topologies and packets for the differential test: a few networks joined by one router, local and
// remote ports (some without port security, egress or DHCP), a VLAN trunk, routes with and without next hops.
// Packets are drawn from the topology's own addresses plus strangers, so most of them reach deep stages.
import type { PacketInput } from '../../../datapath/host/api.js'
import type { Entry, Topology } from '../../../datapath/host/entries.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../../../datapath/host/addresses.js'
import {
  type Layer,
  arp,
  buildFrame,
  dot1q,
  echo4,
  echo6,
  ethernet,
  ip4,
  ip6,
  ndNs,
  tcp,
  udp,
} from '../../../datapath/host/packet-builder.js'

/** mulberry32: small, seedable, good enough to spread test inputs */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Port {
  key: number
  network: number
  mac: string
  ip4: string
  ip6: string
  ofport?: number
  vlan?: number
}

export interface RandomTopology {
  topology: Topology
  ports: Port[]
  routerMacs: string[]
  ofports: number[]
  networks: number[]
  gateways: string[]
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

export function randomTopology(seed: number): RandomTopology {
  const r = rng(seed)
  const nets = 2 + Math.floor(r() * 3)
  const e: Entry[] = []
  const ports: Port[] = []
  const routerMacs: string[] = []
  const gateways: string[] = []
  let key = 1
  const trunk = 90
  for (let n = 0; n < nets; n++) {
    const network = 100 * (n + 1)
    e.push({ stage: 'classify', tunnel_key: network, network })
    const rpMac = `fa:16:3e:ff:00:${hex2(n)}`
    routerMacs.push(rpMac)
    const rpKey = 500 + n
    e.push({ stage: 'router_port', port: rpKey, router: 1, network, mac: rpMac, ips: [`10.${n}.0.1/24`, `2001:db8:${n}::1/64`] })
    e.push(
      { stage: 'route', router: 1, prefix: `10.${n}.0.0/24`, port: rpKey },
      { stage: 'route', router: 1, prefix: `2001:db8:${n}::/64`, port: rpKey },
    )
    e.push({ stage: 'arp_nd', network, ip: `10.${n}.0.1`, mac: rpMac }, { stage: 'arp_nd', network, ip: `2001:db8:${n}::1`, mac: rpMac })
    e.push({ stage: 'l2', network, mac: rpMac, port: rpKey })
    const count = 2 + Math.floor(r() * 4)
    for (let i = 0; i < count; i++) {
      const p: Port = {
        key,
        network,
        mac: `fa:16:3e:${hex2(n)}:00:${hex2(i + 2)}`,
        ip4: `10.${n}.0.${i + 2}`,
        ip6: `2001:db8:${n}::${i + 2}`,
      }
      key++
      const remote = r() < 0.25
      if (!remote) {
        p.ofport = 10 + ports.length
        if (n < 2 && i === 0 && r() < 0.5) {
          p.ofport = trunk
          p.vlan = 10 + n
        }
        e.push({ stage: 'classify', in_port: p.ofport, ...(p.vlan !== undefined ? { vlan: p.vlan } : {}), network, port: p.key })
        const ps = r()
        if (ps < 0.15) e.push({ stage: 'port_sec', port: p.key, disabled: true })
        else if (ps < 0.9)
          e.push({
            stage: 'port_sec',
            port: p.key,
            mac: p.mac,
            ips: [`${p.ip4}/32`, `${p.ip6}/128`, ...(r() < 0.3 ? [`10.${n}.1.0/25`] : [])],
          })
        if (r() < 0.7)
          e.push({ stage: 'dhcp', port: p.key, mac: p.mac, ip: p.ip4, prefix_len: 24, server_ip: `10.${n}.0.1`, server_mac: rpMac })
      }
      if (r() < 0.9)
        e.push({
          stage: 'egress',
          port: p.key,
          ...(remote ? { remote: `192.168.100.${2 + Math.floor(r() * 3)}` } : { local: p.ofport as number }),
        })
      if (r() < 0.85) e.push({ stage: 'l2', network, mac: p.mac, port: p.key })
      if (r() < 0.7) e.push({ stage: 'arp_nd', network, ip: p.ip4, mac: p.mac })
      if (r() < 0.7) e.push({ stage: 'nexthop', network, ip: p.ip4, mac: p.mac })
      if (r() < 0.5) e.push({ stage: 'nexthop', network, ip: p.ip6, mac: p.mac })
      ports.push(p)
    }
    // a gateway behind this network: a route to a farther prefix through it, resolved or not
    const gw = `10.${n}.0.250`
    gateways.push(gw)
    e.push({ stage: 'route', router: 1, prefix: `172.${16 + n}.0.0/16`, port: rpKey, nexthop: gw })
    if (r() < 0.6) e.push({ stage: 'nexthop', network, ip: gw, mac: `fa:16:3e:ee:00:${hex2(n)}` })
  }
  if (r() < 0.5) e.push({ stage: 'route', router: 1, prefix: '0.0.0.0/0', port: 500, nexthop: '10.0.0.250' })
  const ofports = [...new Set(ports.flatMap(p => (p.ofport !== undefined ? [p.ofport] : []))), 77]
  return {
    topology: { description: `random seed ${seed}`, entries: e },
    ports,
    routerMacs,
    ofports,
    networks: Array.from({ length: nets }, (_, n) => 100 * (n + 1)),
    gateways,
  }
}

/** A random, well-formed frame aimed at the topology. */
export function randomPacket(t: RandomTopology, r: () => number): PacketInput {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T
  const local = t.ports.filter(p => p.ofport !== undefined)
  const from = pick(local.length > 0 ? local : t.ports)
  const to = pick(t.ports)
  const stranger = `fa:16:3e:77:${Math.floor(r() * 256)
    .toString(16)
    .padStart(2, '0')}:01`
  const srcMac = r() < 0.85 ? from.mac : pick([stranger, to.mac, '01:00:5e:00:00:01'])
  const dstMac = pick([to.mac, to.mac, pick(t.routerMacs), pick(t.routerMacs), 'ff:ff:ff:ff:ff:ff', stranger, '33:33:00:00:00:01'])
  const src4 = r() < 0.8 ? from.ip4 : pick(['0.0.0.0', to.ip4, '10.9.9.9'])
  const dst4 = pick([to.ip4, to.ip4, '172.16.5.5', '172.17.5.5', '8.8.8.8', '10.0.0.1', '10.1.0.1', '10.0.1.7', '255.255.255.255'])
  const src6 = r() < 0.8 ? from.ip6 : pick(['::', 'fe80::1', to.ip6])
  const dst6 = pick([to.ip6, '2001:db8:0::1', '2001:db8:1::1', '2001:db8:77::5'])
  const ttl = pick([0, 1, 2, 64, 64, 64])
  const eth = ethernet({ dst: MacAddress.parse(dstMac), src: MacAddress.parse(srcMac) })
  const layers: Layer[] = [eth]
  if (from.vlan !== undefined || r() < 0.05) layers.push(dot1q({ vid: from.vlan ?? pick([10, 11, 99]) }))
  const kind = Math.floor(r() * 8)
  if (kind === 7) {
    // aimed at routing: to the ingress network's router MAC, for a host elsewhere (often with a resolved next hop)
    const gw = t.routerMacs[t.networks.indexOf(from.network)] ?? dstMac
    layers[0] = ethernet({ dst: MacAddress.parse(gw), src: MacAddress.parse(srcMac) })
    const v6 = r() < 0.4
    layers.push(
      v6
        ? ip6({ src: Ipv6Address.parse(src6), dst: Ipv6Address.parse(to.ip6), hopLimit: pick([2, 64]) })
        : ip4({
            src: Ipv4Address.parse(src4),
            dst: Ipv4Address.parse(pick([to.ip4, to.ip4, '172.16.1.1', '172.17.1.1', '9.9.9.9'])),
            ttl: pick([2, 64]),
          }),
      udp({ sport: 1000, dport: 2000 }),
    )
  } else if (kind === 0) {
    layers.push(
      arp({
        op: r() < 0.8 ? 1 : 2,
        sha: MacAddress.parse(r() < 0.9 ? srcMac : stranger),
        spa: Ipv4Address.parse(src4),
        tpa: Ipv4Address.parse(pick([to.ip4, dst4, '10.0.0.1'])),
      }),
    )
  } else if (kind <= 2) {
    layers.push(
      ip4({ src: Ipv4Address.parse(src4), dst: Ipv4Address.parse(dst4), ttl }),
      r() < 0.5 ? udp({ sport: pick([68, 1234]), dport: pick([67, 53, 4000]) }) : tcp({ sport: 1234, dport: 80 }),
    )
  } else if (kind === 3) {
    layers.push(ip4({ src: Ipv4Address.parse(src4), dst: Ipv4Address.parse(dst4), ttl }), echo4({ id: 1, seq: 1 }))
  } else if (kind === 4) {
    layers.push(ip6({ src: Ipv6Address.parse(src6), dst: Ipv6Address.parse(dst6), hopLimit: ttl }), echo6({ id: 1, seq: 1 }))
  } else if (kind === 5) {
    layers.push(
      ip6({ src: Ipv6Address.parse(src6), dst: Ipv6Address.parse('ff02::1:ff00:1'), hopLimit: 255 }),
      ndNs({ target: Ipv6Address.parse(pick([to.ip6, '2001:db8:0::1'])) }),
    )
  } else {
    layers.push(ip6({ src: Ipv6Address.parse(src6), dst: Ipv6Address.parse(dst6), hopLimit: ttl }), udp({ sport: 1000, dport: 2000 }))
  }
  const data = buildFrame(layers)
  if (r() < 0.08) return { in_port: 1000, tunnel_key: pick([...t.networks, 999]), data }
  return { in_port: r() < 0.95 ? (from.ofport ?? pick(t.ofports)) : pick(t.ofports), data }
}
