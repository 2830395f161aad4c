// The per-router LPM trie against a naive longest-prefix search, on random IPv4 and IPv6 prefixes including
// the default route and host routes, through adds, replaces and removes. The matched prefix is read from the
// trace (the route step names it), so the test needs no out ports.
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import type { Datapath } from '../../datapath/host/index.js'
import { formatIp } from '../../datapath/host/entry-addresses.js'
import { ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import { buildFrame, ethernet, ip4, ip6, udp } from '../../datapath/host/packet-builder.js'

const ROUTER = 3
const RMAC = 'fa:16:3e:00:0f:01'
const SRC = 'fa:16:3e:00:0f:02'

let seed = 12345
function rand(n: number): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed % n
}

interface Prefix {
  bytes: Uint8Array
  plen: number
  port: number
}

function mask(bytes: Uint8Array, plen: number): Uint8Array {
  return bytes.map((b, i) => {
    const keep = plen - i * 8
    return keep >= 8 ? b : keep <= 0 ? 0 : b & (0xff << (8 - keep))
  })
}

function contains(p: Prefix, addr: Uint8Array): boolean {
  const m = mask(addr, p.plen)
  return m.every((b, i) => b === p.bytes[i])
}

function naive(routes: Map<string, Prefix>, addr: Uint8Array): Prefix | undefined {
  let best: Prefix | undefined
  for (const p of routes.values()) if (contains(p, addr) && (!best || p.plen > best.plen)) best = p
  return best
}

async function setup(): Promise<Datapath> {
  const dp = await createDatapath()
  dp.load({
    entries: [
      { stage: 'classify', in_port: 1, network: 1, port: 1 },
      { stage: 'port_sec', port: 1, disabled: true },
      { stage: 'router_port', port: 100, router: ROUTER, network: 1, mac: RMAC, ips: ['100.64.0.1/32', 'fd00::1/128'] },
    ],
  })
  return dp
}

/** The prefix the datapath matched for `addr`, as text, or 'miss'. */
function matched(dp: Datapath, family: 4 | 6, addr: Uint8Array): string {
  const dst = formatIp(family, addr)
  const l3 = family === 4 ? ip4({ src: ipv4('100.64.0.2'), dst: ipv4(dst) }) : ip6({ src: ipv6('fd00::2'), dst: ipv6(dst) })
  const frame = buildFrame([ethernet({ src: mac(SRC), dst: mac(RMAC) }), l3, udp({ sport: 1, dport: 2 })])
  const step = dp.trace({ in_port: 1, data: frame }, 0).steps.find(s => s.detail.includes('matched'))
  const m = step?.detail.match(/matched (\S+), out port (\d+)/)
  return m ? `${m[1]} -> ${m[2]}` : 'miss'
}

const text = (family: 4 | 6, p: Prefix | undefined): string => (p ? `${formatIp(family, p.bytes)}/${p.plen} -> ${p.port}` : 'miss')

for (const family of [4, 6] as const) {
  t.test(`IPv${family}: trie agrees with a naive search through adds, replaces and removes`, async t => {
    const dp = await setup()
    const size = family === 4 ? 4 : 16
    const bits = size * 8
    const routes = new Map<string, Prefix>()
    const randomAddr = (): Uint8Array => Uint8Array.from({ length: size }, () => rand(256))
    // Clustered prefixes (shared first bytes) make deep, overlapping paths; add /0 and host routes.
    const bases = Array.from({ length: 8 }, randomAddr)
    const add = (p: Prefix): void => {
      const key = `${formatIp(family, p.bytes)}/${p.plen}`
      routes.set(key, p)
      dp.add({ stage: 'route', router: ROUTER, prefix: key, port: p.port })
    }
    add({ bytes: new Uint8Array(size), plen: 0, port: 1 })
    for (let i = 0; i < 600; i++) {
      const base = bases[rand(bases.length)] as Uint8Array
      const addr = rand(4) === 0 ? randomAddr() : base.map((b, k) => (k < rand(size) ? b : rand(256)))
      const plen = rand(5) === 0 ? bits : rand(bits + 1)
      add({ bytes: mask(addr, plen), plen, port: 2 + rand(1000) })
    }
    const probes = (): Uint8Array[] => [
      ...Array.from({ length: 150 }, randomAddr),
      ...[...routes.values()].slice(0, 300).map(p => p.bytes.map((b, k) => (k * 8 >= p.plen ? rand(256) : b))),
    ]
    const check = (label: string): void => {
      let wrong = 0
      for (const addr of probes()) {
        const want = text(family, naive(routes, addr))
        const got = matched(dp, family, addr)
        if (got !== want && wrong++ < 5) t.equal(got, want, `${label}: ${formatIp(family, addr)}`)
      }
      t.equal(wrong, 0, `${label}: every probe matches the naive search`)
    }
    check('after adds')
    // replace: same prefix, new port
    for (const p of [...routes.values()].slice(0, 100)) add({ ...p, port: p.port + 5000 })
    check('after replaces')
    // remove half, including the default route
    const victims = [...routes.entries()].filter((_, i) => i % 2 === 0)
    for (const [key, p] of victims) {
      routes.delete(key)
      dp.remove({ stage: 'route', router: ROUTER, prefix: key, port: p.port })
    }
    t.notOk(routes.has(family === 4 ? '0.0.0.0/0' : '::/0'), 'the default route was removed')
    check('after removes')
  })
}

t.test('routers do not share routes', async t => {
  const dp = await setup()
  dp.add({ stage: 'route', router: ROUTER + 1, prefix: '10.0.0.0/8', port: 9 })
  t.equal(matched(dp, 4, Uint8Array.of(10, 1, 2, 3)), 'miss')
  dp.add({ stage: 'route', router: ROUTER, prefix: '10.1.0.0/16', port: 8 })
  t.equal(matched(dp, 4, Uint8Array.of(10, 1, 2, 3)), '10.1.0.0/16 -> 8')
})
