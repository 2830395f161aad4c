// Seeded frame generation for the datapath fuzz test: random bytes, truncations, bit flips and length-field
// corruption of valid frames (the conformance vector inputs), and random but structured stacks from the
// packet builders with inconsistent lengths and garbage options. Deterministic for a given seed.
import { hexOf, ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import type { PacketInput } from '../../datapath/host/api.js'
import {
  buildFrame,
  dhcp,
  dot1q,
  ethernet,
  geneve,
  icmp4,
  ip4,
  ip6,
  ip6Ext,
  raw,
  tcp,
  udp,
  vxlan,
  type Layer,
} from '../../datapath/host/packet-builder.js'

/** mulberry32: small, fast, good enough to spread test cases; not for anything cryptographic. */
export class Prng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }
}

export interface FuzzFrame {
  in_port: number
  tunnel_key?: number | undefined
  data: Uint8Array
  how: string
}

/** Offsets where a frame keeps lengths and versions (Ethernet + IPv4/IPv6 + L4), and values that break them. */
const LENGTH_OFFSETS = [12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23, 34, 35, 38, 39, 40, 41, 54, 55, 58, 59, 282, 283, 284]
const EDGE_VALUES = [0, 1, 2, 4, 5, 6, 8, 0x0f, 0x10, 0x3f, 0x40, 0x45, 0x46, 0x4f, 0x60, 0x7f, 0x80, 0xfe, 0xff]

export class FrameMutator {
  /** `ports`: the in_ports to use; with `strangePorts`, one frame in ten comes from a random port number instead. */
  constructor(
    private readonly rng: Prng,
    private readonly seeds: PacketInput[],
    private readonly ports: number[],
    private readonly strangePorts = true,
  ) {}

  next(): FuzzFrame {
    const r = this.rng
    const strategy = r.int(8)
    const base = r.pick(this.seeds)
    const port = (): number => (this.strangePorts && r.int(10) === 0 ? r.int(70000) : r.pick(this.ports))
    const keep = { in_port: base.in_port, ...(base.tunnel_key !== undefined ? { tunnel_key: base.tunnel_key } : {}) }
    switch (strategy) {
      case 0:
        return { in_port: port(), data: r.bytes(r.int(160)), how: 'random bytes' }
      case 1:
        return { ...keep, data: base.data.subarray(0, r.int(base.data.length + 1)).slice(), how: 'truncated vector' }
      case 2: {
        const data = base.data.slice()
        const flips = 1 + r.int(8)
        for (let i = 0; i < flips && data.length > 0; i++) {
          const at = r.int(data.length)
          data[at] = (data[at] as number) ^ (1 << r.int(8))
        }
        return { ...keep, data, how: `${flips} bit flips` }
      }
      case 3: {
        const data = base.data.slice()
        for (let i = 0; i < 1 + r.int(3); i++) {
          const at = r.pick(LENGTH_OFFSETS)
          if (at < data.length) data[at] = r.pick(EDGE_VALUES)
        }
        return { ...keep, data, how: 'length fields' }
      }
      case 4: {
        const extra = r.bytes(r.int(64))
        const data = new Uint8Array(base.data.length + extra.length)
        data.set(base.data)
        data.set(extra, base.data.length)
        return { ...keep, data, how: 'garbage appended' }
      }
      case 5:
        return {
          in_port: port(),
          tunnel_key: r.int(4) === 0 ? r.pick([0, 100, 200, 999, r.int(1 << 24)]) : undefined,
          data: base.data.slice(),
          how: 'vector on another port / tunnel key',
        }
      default:
        return { in_port: port(), data: this.structured(), how: 'structured random' }
    }
  }

  /** A plausible stack with random fields and lengths that need not agree. */
  private structured(): Uint8Array {
    const r = this.rng
    const macs = [
      mac('fa:16:3e:0a:00:01'),
      mac('fa:16:3e:ff:0a:01'),
      mac('ff:ff:ff:ff:ff:ff'),
      mac('33:33:ff:00:00:01'),
      mac('fa:16:3e:0b:00:01'),
    ]
    const v4 = [
      ipv4('10.0.0.5'),
      ipv4('10.0.0.1'),
      ipv4('10.1.0.5'),
      ipv4('0.0.0.0'),
      ipv4('255.255.255.255'),
      ipv4('224.0.0.1'),
      ipv4('198.51.100.130'),
    ]
    const v6 = [ipv6('2001:db8:a::5'), ipv6('2001:db8:a::1'), ipv6('fe80::1'), ipv6('::'), ipv6('ff02::1:ff00:1'), ipv6('2001:db8:b::5')]
    const maybe = <T>(v: T): T | undefined => (r.int(4) === 0 ? v : undefined)
    const layers: Layer[] = [ethernet({ src: r.pick(macs.filter(m => !m.isMulticast)), dst: r.pick(macs) })]
    if (r.int(6) === 0) layers.push(dot1q({ vid: r.pick([0, 10, 20, 4095]) }))
    const l4 = (): Layer[] => {
      switch (r.int(6)) {
        case 0:
          return [
            udp({ sport: r.pick([68, 67, 40000]), dport: r.pick([67, 68, 9]), length: maybe(r.int(600)) }),
            dhcp({
              xid: r.int(1 << 30),
              chaddr: macs[0] as ReturnType<typeof mac>,
              type: r.pick(['discover', 'request', 'release', 'inform', 'decline'] as const),
              requestedIp: maybe(r.pick(v4)),
              magicCookie: r.int(8) !== 0,
              optionsRaw: maybe(r.bytes(r.int(40))),
            }),
          ]
        case 1:
          return [
            udp({ dport: r.pick([4789, 6081]), checksum: 'none' }),
            r.int(2) === 0
              ? vxlan({ vni: r.pick([100, 200, 7]), flags: maybe(r.int(256)) })
              : geneve({ vni: r.pick([100, 200]), optLenWords: maybe(r.int(64)), options: maybe(r.bytes(4 * r.int(4))) }),
            ethernet({ src: macs[0] as ReturnType<typeof mac>, dst: r.pick(macs) }),
            raw(r.bytes(r.int(60))),
          ]
        case 2:
          return [tcp({ sport: r.int(65536), dport: r.int(65536), dataOffset: maybe(r.int(16)), options: maybe(r.bytes(r.int(12))) })]
        case 3:
          return [icmp4({ type: r.pick([0, 3, 8, 11, 135]), code: r.int(4), payload: r.bytes(r.int(40)) })]
        default:
          return [raw(r.bytes(r.int(80)))]
      }
    }
    if (r.int(2) === 0) {
      layers.push(
        ip4({
          src: r.pick(v4),
          dst: r.pick(v4),
          ttl: r.pick([0, 1, 2, 64, 255]),
          ihl: maybe(r.int(16)),
          totalLength: maybe(r.int(400)),
          options: maybe(r.bytes(r.int(40))),
          mf: r.int(4) === 0,
          fragOffset: maybe(r.int(8192)),
          checksum: r.int(10) === 0 ? 'bad' : undefined,
        }),
        ...l4(),
      )
    } else {
      layers.push(ip6({ src: r.pick(v6), dst: r.pick(v6), hopLimit: r.pick([0, 1, 64, 255]), payloadLength: maybe(r.int(400)) }))
      for (let i = r.int(11); i > 0; i--) {
        layers.push(
          r.int(3) === 0
            ? ip6Ext({ ext: 'fragment', offset: r.int(8192), more: r.int(2) === 0 })
            : ip6Ext({ ext: r.pick(['hop-by-hop', 'destination'] as const), options: r.bytes(r.int(14)), headerLength: maybe(r.int(256)) }),
        )
      }
      layers.push(...l4())
    }
    return buildFrame(layers)
  }
}

export function describeFrame(f: FuzzFrame): string {
  return `in_port=${f.in_port}${f.tunnel_key !== undefined ? ` tunnel_key=${f.tunnel_key}` : ''} (${f.how}) hex=${hexOf(f.data)}`
}
