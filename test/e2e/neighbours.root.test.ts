// Next hops no port names, end to end with real packets (needs root): one `dragonflow serve` node, the real
// `openstack` CLI, workloads plugged with `dragonflow plug`. Semantics: datapath/BEHAVIOUR.md "Next hops no entry
// names", agent/controller/neighbours.ts (the slow path's resolver).
//
//   hn1 10.71.0.0/24 ── c                 router hr                hn2 10.72.0.0/24 ── p1, p2
//                        (client)  ─────────────────────────────   both with allowed address pair 10.72.0.100
//                                                                  (the VIP on the port's own MAC, as VRRP peers)
//
// The compiler names no next hop for the VIP (a pair on the port's own MAC is left to whoever is master), so the
// router resolves it by ARP from its hn2 port, and asks again every 15 s: after a failover the new master's
// answer moves the entry. A VIP nobody holds is asked for at most once a second and given up.
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { controlRequest } from '../../agent/controller/control-server.js'
import { REFRESH_MS, type NeighbourStats } from '../../agent/controller/neighbours.js'
import { REG_NEXTHOP } from '../../offload/openflow/layout.js'
import { CONTROL_SOCKET, readServeState } from '../../cli/commands/serve-state.js'
import { jsonDocuments, noAuthEnv, openstack } from '../northbound/helpers/api-process.js'
import { echoServer, inNs, pings, spawnIn, startNode, tcpProbe, until, type ServeNode } from './serve-node.js'
import { leaseIn, writeUdhcpcScript } from './udhcpc.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')
const VIP = '10.72.0.100'
const NOBODY = '10.72.0.200'
/** the resolver's default sweep interval (not exported by the resolver) */
const SWEEP_MS = 5000
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** The resolver's counters, from serve's agent over its control socket (the `stats` command). */
async function neighbourStats(node: ServeNode): Promise<NeighbourStats> {
  const { state } = readServeState(node.dir)
  const s = (await controlRequest(state.control ?? join(node.dir, CONTROL_SOCKET), 'stats')) as { neighbours: NeighbourStats }
  return s.neighbours
}

/**
 * The MACs the switch rewrites a routed frame to for next hop `ip` (lr_in_arp_resolve flows, read from
 * `dragonflow flows`, which names each flow's stage from its cookie).
 */
async function nexthopMacs(node: ServeNode, ip: string): Promise<string[]> {
  const r = await node.dragonflow('flows', '--data-dir', node.dir)
  if (r.code !== 0) node.fail(`dragonflow flows: ${r.stderr}`)
  const hex =
    '0x' +
    ip
      .split('.')
      .reduce((n, b) => n * 256 + Number(b), 0)
      .toString(16)
  const lines = r.stdout.split('\n')
  const macs = new Set<string>()
  lines.forEach((line, i) => {
    if (!/# .*lr_in_arp_resolve/.test(lines[i + 1] ?? '')) return
    if (!new RegExp(`${REG_NEXTHOP}=${hex}\\b`).test(line)) return
    const mac = /set_field:([0-9a-f:]{17})->eth_dst/.exec(line)?.[1]
    if (mac !== undefined) macs.add(mac)
  })
  return [...macs]
}

t.test('next hops no port names: a VRRP VIP, its failover, and a next hop nobody holds', { timeout: 600_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = await startNode(t, `h${tag}`)
  const env = noAuthEnv(node.url)
  const cli = async (...args: string[]): Promise<Obj | undefined> => {
    const r = await openstack(env, args)
    if (r.code !== 0) node.fail(`openstack ${args.join(' ')}: ${r.stderr}`)
    return jsonDocuments(r.stdout)[0] as Obj | undefined
  }

  const docs = await node.openstackBatch(
    [
      'network create hn1 -f json',
      'network create hn2 -f json',
      'subnet create hs1 --network hn1 --subnet-range 10.71.0.0/24 -f json',
      'subnet create hs2 --network hn2 --subnet-range 10.72.0.0/24 -f json',
      'router create hr -f json',
      'router add subnet hr hs1',
      'router add subnet hr hs2',
      'security group create vrrp -f json',
      'security group rule create vrrp --ingress --protocol icmp -f json',
      'security group rule create vrrp --ingress --protocol tcp --dst-port 5001 -f json',
      'port create c --network hn1 --security-group vrrp -f json',
      `port create p1 --network hn2 --security-group vrrp --allowed-address ip-address=${VIP} -f json`,
      `port create p2 --network hn2 --security-group vrrp --allowed-address ip-address=${VIP} -f json`,
    ],
    11,
  )
  const [c, p1, p2] = docs.slice(8) as [Obj, Obj, Obj]
  const ports = { c, p1, p2 }
  type Name = keyof typeof ports
  const mac = (k: Name): string => (ports[k].mac_address as string).toLowerCase()
  for (const k of ['p1', 'p2'] as const) {
    t.same(
      ports[k].allowed_address_pairs.map((a: Obj) => a.ip_address),
      [VIP],
      `${k} carries the VIP as an allowed address pair`,
    )
  }

  const ns = { c: `hc${tag}`, p1: `hp1${tag}`, p2: `hp2${tag}` }
  for (const k of Object.keys(ports) as Name[]) await node.plug(ports[k].id as string, ns[k])
  const status = async (id: string): Promise<string> => ((await cli('port', 'show', id, '-f', 'json')) as Obj).status as string
  for (const k of Object.keys(ports) as Name[])
    await until(`port ${k} ACTIVE`, async () => (await status(ports[k].id as string)) === 'ACTIVE')
  const script = writeUdhcpcScript(node.dir)
  for (const k of Object.keys(ports) as Name[]) {
    await inNs(ns[k], 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1') // IPv4 only: no ND chatter
    t.equal((await leaseIn(ns[k], script)).ip, ports[k].fixed_ips[0].ip_address, `${k} leased its fixed IP`)
  }
  for (const k of ['p1', 'p2'] as const) await echoServer(t, ns[k], { tcp: [5001] })
  /** busybox arping (busybox is a dependency already; iputils-arping is not installed by scripts/install-deps.sh) */
  const gratuitousArp = async (k: 'p1' | 'p2'): Promise<void> => {
    const r = await inNs(ns[k], 'busybox', 'arping', '-U', '-c', '2', '-I', 'eth0', VIP)
    if (r.code !== 0 && r.stderr.trim() !== '') t.comment(`arping in ${k}: ${r.stderr.trim()}`)
  }
  const holdVip = async (k: 'p1' | 'p2', on: boolean): Promise<void> => {
    const r = await inNs(ns[k], 'ip', 'addr', on ? 'add' : 'del', `${VIP}/24`, 'dev', 'eth0')
    if (r.code !== 0) node.fail(`ip addr ${on ? 'add' : 'del'} ${VIP} in ${k}: ${r.stderr}`)
  }

  await t.test("the VIP held by p1: the router ARPs for it from its hn2 port and learns p1's MAC", async t => {
    await holdVip('p1', true)
    await gratuitousArp('p1')
    t.ok(await until('c reaches the VIP', async () => await pings(ns.c, VIP), 20_000), `c pings ${VIP} across the router`)
    t.ok(await tcpProbe(ns.c, VIP, 5001), 'TCP from c to the echo server on the VIP')
    t.same(await nexthopMacs(node, VIP), [mac('p1')], "the switch sends frames for the VIP to p1's MAC (a learned next hop)")
    const s = await neighbourStats(node)
    t.ok(s.requests >= 1, `the resolver asked (${s.requests} request(s))`)
    t.ok(s.repliesLearned >= 1 && s.learned >= 1, `and learned from the reply (${s.repliesLearned} learned, ${s.learned} held)`)
    t.match(node.log(), new RegExp(`neighbours: learned ${VIP.replace(/\./g, '\\.')} is ${mac('p1')}`), 'serve logged what it learned')
    await node.checkFlows(t, 'with the VIP learned')
  })

  await t.test('failover: the VIP moves to p2, which announces it with a gratuitous ARP', async t => {
    const before = await neighbourStats(node)
    await holdVip('p1', false)
    await holdVip('p2', true)
    await gratuitousArp('p2')
    await sleep(500)
    const after = await neighbourStats(node)
    t.equal(after.repliesLearned, before.repliesLearned, 'the gratuitous ARP is not learned (BEHAVIOUR.md: only answers are)')
    // where c's echo requests go meanwhile: p1 no longer holds the VIP, so its kernel drops them silently, until
    // the resolver's refresh (REFRESH_MS after the last answer, at the next sweep) is answered by p2
    const atP1 = spawnIn(t, ns.p1, 'tcpdump', ['-i', 'eth0', '-nn', '-l', '-q', `icmp and dst host ${VIP}`])
    await until('tcpdump listening in p1', async () => atP1.output().includes('listening on'), 10_000, 50)
    const start = Date.now()
    const moved = await until(
      'c reaches the VIP on p2',
      async () => await pings(ns.c, VIP, 1),
      REFRESH_MS + 2 * SWEEP_MS + 5000,
      200,
    ).catch(() => false)
    await atP1.stop()
    t.ok(moved, `c reaches the VIP on its new master p2 (after ${((Date.now() - start) / 1000).toFixed(1)} s)`)
    t.comment(
      `meanwhile ${
        atP1
          .output()
          .split('\n')
          .filter(l => l.includes('ICMP')).length
      } echo request(s) to the VIP arrived at p1`,
    )
    t.same(await nexthopMacs(node, VIP), [mac('p2')], "the switch now sends frames for the VIP to p2's MAC")
    t.ok(await tcpProbe(ns.c, VIP, 5001), 'and TCP reaches the echo server on p2')
    const s = await neighbourStats(node)
    t.ok(s.requests > after.requests, `the resolver asked again (${s.requests - after.requests} request(s) since the failover)`)
    await node.checkFlows(t, 'after the failover')
  })

  await t.test('a next hop nobody holds: no answer, one ARP per second at most, given up, the frame never flooded', async t => {
    // what reaches a port of hn2 about that address: the router's ARP requests, and (if it were flooded) the ping
    const capture = spawnIn(t, ns.p2, 'tcpdump', ['-i', 'eth0', '-nn', '-l', '-q', `host ${NOBODY}`])
    await until('tcpdump listening', async () => capture.output().includes('listening on'), 10_000, 50)
    const before = await neighbourStats(node)
    const start = Date.now()
    const answered = (await inNs(ns.c, 'ping', '-c', '10', '-i', '0.2', '-W', '1', NOBODY)).code === 0
    const seconds = (Date.now() - start) / 1000
    t.notOk(answered, `ping from c to ${NOBODY} gets no answer`)
    const mid = await neighbourStats(node)
    const asked = mid.requests - before.requests
    // 10 misses over about 2 s: the rate limit (REQUEST_INTERVAL_MS) lets a request through once a second
    t.ok(asked >= 1 && asked <= Math.ceil(seconds) + 1, `the router asked ${asked} time(s) in ${seconds.toFixed(1)} s of misses`)
    t.ok(
      mid.rateLimited - before.rateLimited >= 10 - asked - 1,
      `the other misses were rate-limited (${mid.rateLimited - before.rateLimited})`,
    )
    t.ok(mid.pending >= 1, `the next hop is pending (${mid.pending})`)
    // PENDING_MS (10 s) after the first miss, at the next sweep, it is given up
    const gaveUp = await until(
      'the next hop given up',
      async () => {
        const s = await neighbourStats(node)
        return s.pending === 0 && s.dropped > before.dropped ? s : undefined
      },
      10_000 + 2 * SWEEP_MS + 5000,
      500,
    ).catch(() => undefined)
    t.ok(gaveUp !== undefined, `unanswered, the next hop is given up and its waiting frame dropped (dropped ${gaveUp?.dropped ?? '?'})`)
    const onWire = capture.output().split('\n')
    const requests = onWire.filter(l => l.includes(`who-has ${NOBODY}`)).length
    await sleep(3000)
    const later = capture
      .output()
      .split('\n')
      .filter(l => l.includes(`who-has ${NOBODY}`)).length
    await capture.stop()
    t.ok(requests >= 1 && requests <= asked, `p2 saw ${requests} ARP request(s) for ${NOBODY}, no more than the router counted`)
    t.equal(later, requests, 'and none after the misses stopped')
    t.notOk(
      onWire.some(l => l.includes('ICMP')),
      'the waiting echo request itself never reached hn2 (kept, not flooded)',
    )
    t.same(await nexthopMacs(node, NOBODY), [], 'nothing was learned for it')
    await node.checkFlows(t, 'after the unanswered next hop')
  })

  await node.checkFlows(t)
})
