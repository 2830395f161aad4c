// Routing on Open vSwitch, end to end with real everything (needs root): `dragonflow serve` with its private OVS,
// two networks and a router made with the real `openstack` CLI, two workloads with addresses from a real DHCP
// client.
//
// 1. Proactive (the default): a route whose gateway has no port misses the next-hop table; the punt reaches the
//    WASM slow path with the frame as the workload sent it, so the slow path's verdict is punt_nexthop_miss (with
//    a frame already rewritten to the router's source MAC it was a port-security drop).
// 2. The same node restarted (kill -9, OVS stays) with `--l3 reactive --l3-idle-timeout 3`: no LPM flows; ping
//    across the router works from the first packet with the TTL decremented once (ttl=63); l3_route then holds an
//    exact-match flow with idle_timeout=3 for that destination, whose n_packets grows while the reactive-miss
//    punt's n_packets stays flat; after the idle timeout the flow is gone; removing a router interface deletes the
//    reactive flows while a ping still hits them; `dragonflow flows` names them as reactive with their timeout.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { OF_TABLE_BASE, STAGE_L3_ROUTE } from '../../datapath/spec/stages.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { noAuthEnv, openstack } from '../northbound/helpers/api-process.js'
import { startNode, inNs, until } from './serve-node.js'
import { leaseIn, writeUdhcpcScript } from './udhcpc.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

interface Dumped {
  line: string
  cookie: ReturnType<typeof parseCookie>
  table: number
  packets: number
}

const dumped = (line: string): Dumped => ({
  line,
  cookie: parseCookie(BigInt(/cookie=(0x[0-9a-f]+)/.exec(line)?.[1] ?? '0x0')),
  table: Number(/table=(\d+)/.exec(line)?.[1] ?? -1),
  packets: Number(/n_packets=(\d+)/.exec(line)?.[1] ?? 0),
})

const L3_TABLE = OF_TABLE_BASE + STAGE_L3_ROUTE

const skip = needRoot('network namespaces, Open vSwitch')
{
  t.test('routing on OVS: honest next-hop punts, then reactive L3', { timeout: 600_000, skip }, async t => {
    const tag = process.pid.toString(36)
    const node = await startNode(t, `r${tag}`)
    let env = noAuthEnv(node.url)

    const docs = await node.openstackBatch(
      [
        'network create n1 -f json',
        'network create n2 -f json',
        'subnet create s1 --network n1 --subnet-range 10.41.0.0/24 -f json',
        'subnet create s2 --network n2 --subnet-range 10.42.0.0/24 -f json',
        'router create r1 -f json',
        'router add subnet r1 s1',
        'router add subnet r1 s2',
        // a route whose gateway is on n2 but is no port: the next hop never resolves
        'router set r1 --route destination=10.99.0.0/24,gateway=10.42.0.99',
        'port create a1 --network n1 -f json',
        'port create b1 --network n2 -f json',
      ],
      7,
    )
    const [, , , , r1, a1, b1] = docs as [Obj, Obj, Obj, Obj, Obj, Obj, Obj]
    const ip = (p: Obj): string => p.fixed_ips[0].ip_address as string

    const ns = { a1: `dra${tag}`, b1: `drb${tag}` }
    const ports = { a1, b1 }
    for (const [k, p] of Object.entries(ports)) await node.plug(p.id as string, ns[k as keyof typeof ns])
    const script = writeUdhcpcScript(node.dir)
    for (const [k, p] of Object.entries(ports)) {
      t.equal((await leaseIn(ns[k as keyof typeof ns], script)).ip, ip(p), `${k} leased its fixed IP`)
    }
    const ping = async (from: keyof typeof ns, to: string, count = 1): Promise<{ ok: boolean; out: string }> => {
      const p = await inNs(ns[from], 'ping', '-c', String(count), '-i', '0.2', '-W', '2', to)
      return { ok: p.code === 0, out: p.stdout }
    }

    // --- 1. proactive: a next-hop miss reaches the slow path unmodified
    t.ok(
      await until('ping across the router (proactive)', async () => (await ping('a1', ip(b1))).ok),
      'proactive: ping a1 -> b1 across the router',
    )
    t.notOk((await ping('a1', '10.99.0.5', 2)).ok, 'no answer through a gateway that does not exist')
    await until(
      "the slow path's verdict on the next-hop miss",
      async () => node.log().includes('slow path: first verdict punt/punt_nexthop_miss'),
      10_000,
    )
    t.pass('the packet-in host recorded verdict punt_nexthop_miss for the punted frame')
    const verdicts = node
      .log()
      .split('\n')
      .filter(l => l.startsWith('slow path: first verdict'))
    t.same(
      verdicts.filter(l => /port_sec/.test(l)),
      [],
      "no port-security drop in the slow path (the punted frame carried the workload's own MAC and TTL)",
    )
    // Neutron refuses to remove an interface a route needs: the route goes before part 2 removes the interface
    const unset = await openstack(env, ['router', 'unset', 'r1', '--route', 'destination=10.99.0.0/24,gateway=10.42.0.99'])
    t.equal(unset.code, 0, `the extra route removed ${unset.stderr}`)

    // --- 2. the same node, reactive
    await node.kill9()
    await node.start(['--l3', 'reactive', '--l3-idle-timeout', '3'])
    env = noAuthEnv(node.url) // the API listens on a new port
    t.match(node.log(), /agent: l3 routing reactive \(as asked\): idle timeout 3 s/, 'the agent says it routes reactively')
    const l3Flows = async (): Promise<Dumped[]> => (await node.flowsWithStats()).map(dumped).filter(f => f.table === L3_TABLE)
    const reactive = async (): Promise<Dumped[]> => (await l3Flows()).filter(f => 'reactive' in f.cookie.subject)
    const misses = async (): Promise<number> =>
      (await l3Flows()).filter(f => 'reactiveMiss' in f.cookie.subject).reduce((n, f) => n + f.packets, 0)
    await until('the reactive resync', async () => (await l3Flows()).some(f => 'reactiveMiss' in f.cookie.subject))
    t.same(
      (await l3Flows()).filter(f => /nw_dst=10\.4[12]\.0\.0\/24/.test(f.line)).map(f => f.line),
      [],
      'no LPM route flows in reactive mode',
    )
    t.same(await reactive(), [], 'no reactive flow before traffic')

    const first = await ping('a1', ip(b1))
    t.ok(first.ok, 'reactive: the very first ping across the router is answered')
    t.match(first.out, /ttl=63/, 'the reply crossed the router with its TTL decremented once (ttl=63)')
    const toB1 = new RegExp(`nw_dst=${ip(b1).replace(/\./g, '\\.')}[ ,]`)
    const cached = await until('the reactive flow for b1', async () => (await reactive()).find(f => toB1.test(f.line)))
    t.match(cached.line, /idle_timeout=3/, 'the cached flow carries the idle timeout')
    t.notMatch(cached.line, new RegExp(`nw_dst=${ip(b1).replace(/\./g, '\\.')}/`), 'an exact match on the destination (no mask)')
    t.match(cached.line, /set_field:\S+->reg3/, 'it writes the router register like the LPM flow would')
    t.match(cached.line, new RegExp(`goto_table:${OF_TABLE_BASE + STAGE_L3_ROUTE + 1}`), 'and continues in the next-hop stage')

    const missesBefore = await misses()
    const hitsBefore = cached.packets
    const more = await ping('a1', ip(b1), 5)
    t.ok(more.ok, 'five more pings answered')
    // OVS folds datapath-flow statistics into OpenFlow counters from its revalidators, a moment later
    const after = await until(
      "the cached flow's counter to count the pings",
      async () => (await reactive()).find(f => toB1.test(f.line) && f.packets >= hitsBefore + 5),
      10_000,
      200,
    ).catch(() => undefined)
    t.ok(
      after !== undefined,
      `the cached flow took the next five packets (n_packets ${hitsBefore} -> ${after?.packets ?? 'fewer, or the flow is gone'})`,
    )
    t.equal(await misses(), missesBefore, 'the reactive-miss punt saw none of them (packet-ins stay flat)')

    const annotated = await node.dragonflow('flows', '--data-dir', node.dir)
    t.match(
      annotated.stdout,
      new RegExp(`lr_in_ip_route reactive routers/${r1.id as string} \\(r1\\), idle timeout 3 s`),
      'dragonflow flows names the reactive flow, its router and its timeout',
    )
    // the miss count is the miss flow's n_packets: OVS credits a datapath flow's packets, at revalidation, to the
    // rules it translates to *then*, so punts made before the reactive flow landed may be credited to that flow
    t.match(
      annotated.stdout,
      /# reactive L3: [1-9]\d* reactive flow\(s\) installed by the slow path .*; \d+ packet\(s\) missed them/,
      `and counts the reactive flows and the misses the switch punted (agent: ${node
        .log()
        .split('\n')
        .filter(l => /resync|switch|reactive-l3|ovs:/.test(l))
        .slice(-12)
        .join(' | ')})`,
    )

    await until('the idle timeout to remove the cached flows', async () => (await reactive()).length === 0, 30_000, 500)
    t.pass('after the idle timeout no reactive flow is left')

    // a routing change deletes reactive flows that traffic still keeps alive
    t.ok((await ping('a1', ip(b1))).ok, 'ping again: cached again')
    await until('the flow cached again', async () => (await reactive()).length > 0)
    let pinging = true
    const running = inNs(ns.a1, 'ping', '-i', '0.2', '-c', '100', '-W', '1', ip(b1)).finally(() => {
      pinging = false
    })
    await until('the running ping to hit the cached flow', async () => ((await reactive()).find(f => toB1.test(f.line))?.packets ?? 0) > 3)
    const del = await openstack(env, ['router', 'remove', 'subnet', 'r1', 's2'])
    t.equal(del.code, 0, `router interface on s2 removed ${del.stderr}`)
    await until('the reactive flows to be deleted', async () => (await reactive()).length === 0, 20_000, 200)
    t.ok(pinging, 'the reactive flows are gone while the ping still ran through them (deleted by the change, not by the idle timeout)')
    t.match(node.log(), /reactive-l3: routing changed, \d+ reactive flow\(s\) deleted/, 'the agent deleted them by cookie mask')
    await running

    await node.checkFlows(t)
    const warnings = node
      .log()
      .split('\n')
      .filter(l => /^agent: .*(failed|refused|reported|further)|^packet-in:|^openflow:/.test(l))
    t.same(warnings, [], 'no unexpected warning in the agent log')
  })
}
