// One edge node end to end, with real everything (needs root): `dragonflow serve` on a temp data directory with
// its private OVS, the real `openstack` CLI creating two networks joined by a router and four ports, four
// workloads (netns + veth, plugged with `dragonflow plug`) taking their addresses with a real DHCP client, then
// ping within a network, across the router and to the router; TCP across the router; ARP answered; spoofed
// source IP and MAC dropped; a deleted port losing its flows and its connectivity, and a re-created one getting
// them back; kill -9 of serve with a ping running: at most ~1 s lost and the same flow table afterwards.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { jsonDocuments, noAuthEnv, openstack } from '../northbound/helpers/api-process.js'
import { startNode, exec, inNs, until } from './serve-node.js'
import { leaseIn, writeUdhcpcScript } from './udhcpc.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')
{
  t.test('serve: an edge node end to end', { timeout: 600_000, skip }, async t => {
    const tag = process.pid.toString(36)
    const node = await startNode(t, tag)
    const fail = (what: string): never => node.fail(what)
    const env = noAuthEnv(node.url)

    // --- the topology, through the real CLI (one interactive session: one Python start)
    const docs = await node.openstackBatch(
      [
        'network create n1 -f json',
        'network create n2 -f json',
        'subnet create s1 --network n1 --subnet-range 10.31.0.0/24 -f json',
        'subnet create s2 --network n2 --subnet-range 10.32.0.0/24 -f json',
        'router create r1 -f json',
        'router add subnet r1 s1',
        'router add subnet r1 s2',
        'port create a1 --network n1 -f json',
        'port create a2 --network n1 -f json',
        'port create b1 --network n2 -f json',
        'port create b2 --network n2 -f json',
      ],
      9,
    )
    const [n1, , , , , a1, a2, b1, b2] = docs as [Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj]
    const ip = (p: Obj): string => p.fixed_ips[0].ip_address as string

    // --- four workloads, plugged as a hypervisor would
    const ns = { a1: `dfa${tag}`, a2: `dfb${tag}`, b1: `dfc${tag}`, b2: `dfd${tag}` }
    const ports = { a1, a2, b1, b2 }
    for (const [k, p] of Object.entries(ports)) await node.plug(p.id as string, ns[k as keyof typeof ns])
    const status = async (id: string): Promise<string> => {
      const res = await fetch(`${node.url}/v2.0/ports/${id}`)
      return ((await res.json()) as Obj).port.status as string
    }
    for (const p of Object.values(ports))
      await until(`port ${p.name as string} ACTIVE`, async () => (await status(p.id as string)) === 'ACTIVE')
    t.pass('the agent reports every plugged port ACTIVE')

    // --- DHCP with a real client and our own script (the default one would rewrite the host's resolv.conf)
    const script = writeUdhcpcScript(node.dir)
    for (const [k, p] of Object.entries(ports)) {
      const lease = await leaseIn(ns[k as keyof typeof ns], script)
      const gw = k.startsWith('a') ? '10.31.0.1' : '10.32.0.1'
      t.same(lease, { ip: ip(p), mask: '24', router: gw, mtu: String(n1.mtu) }, `${k} leased its fixed IP with the router and the MTU`)
    }

    const ping = async (from: keyof typeof ns, to: string, count = 3): Promise<boolean> =>
      (await inNs(ns[from], 'ping', '-c', String(count), '-i', '0.2', '-W', '2', to)).code === 0
    t.ok(await until('ping within n1', async () => await ping('a1', ip(a2))), 'ping a1 -> a2 (same network)')
    t.ok(await until('ping across the router', async () => await ping('a1', ip(b1))), 'ping a1 -> b1 (across the router)')
    t.ok(await ping('b2', ip(a2)), 'ping b2 -> a2 (across the router, the other way)')
    t.ok(await ping('a1', '10.31.0.1'), 'ping the router interface on n1')
    t.ok(await ping('a1', '10.32.0.1'), 'ping the router interface on n2 (the far side)')

    // --- TCP across the router (busybox nc)
    const server = exec('ip', ['netns', 'exec', ns.b1, 'busybox', 'nc', '-l', '-p', '5555'], { timeoutMs: 20_000 })
    await until('nc to listen', async () => (await inNs(ns.b1, 'ss', '-ltn')).stdout.includes(':5555'))
    const client = await inNs(ns.a1, 'sh', '-c', `echo hello-over-tcp | busybox nc -w 3 ${ip(b1)} 5555`)
    t.equal(client.code, 0, 'the TCP client connected across the router')
    t.match((await server).stdout, /hello-over-tcp/, 'the bytes arrived on the other network')

    // --- ARP for another workload, answered (by the responder flow, in place)
    const arp = await inNs(ns.a1, 'busybox', 'arping', '-c', '2', '-w', '3', '-I', 'eth0', ip(a2))
    t.match(arp.stdout, new RegExp(`\\[${a2.mac_address as string}\\]`, 'i'), "ARP for a2 answered with a2's MAC")

    // --- spoofing: a source IP or MAC that is not the port's is dropped
    await inNs(ns.a2, 'ip', 'addr', 'add', '10.31.0.222/24', 'dev', 'eth0')
    t.notOk((await inNs(ns.a2, 'ping', '-c', '2', '-W', '1', '-I', '10.31.0.222', ip(a1))).code === 0, 'a spoofed source IP gets nowhere')
    await inNs(ns.a2, 'ip', 'addr', 'del', '10.31.0.222/24', 'dev', 'eth0')
    await inNs(ns.a2, 'ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:99:99:99')
    t.notOk(await ping('a2', ip(a1), 2), 'a spoofed source MAC gets nowhere')
    await inNs(ns.a2, 'ip', 'link', 'set', 'eth0', 'address', a2.mac_address as string)
    await inNs(ns.a2, 'ip', 'neigh', 'flush', 'all')
    t.ok(await until('a2 back', async () => await ping('a2', ip(a1), 1)), 'with its own MAC again, a2 reaches a1')

    // --- deleting a port removes its flows; a re-created port bound to the same interface restores it
    const macB2 = (b2.mac_address as string).toLowerCase()
    t.ok(
      (await node.flows()).some(l => l.includes(macB2)),
      'b2 has flows',
    )
    const del = await openstack(env, ['port', 'delete', b2.id as string])
    t.equal(del.code, 0, 'port b2 deleted')
    await until("b2's flows to go", async () => !(await node.flows()).some(l => l.includes(macB2)))
    t.pass("b2's flows are gone")
    t.notOk(await ping('a1', ip(b2), 2), 'b2 lost its connectivity')
    const again = await openstack(env, [
      'port',
      'create',
      'b2again',
      '--network',
      'n2',
      '--mac-address',
      macB2,
      '--fixed-ip',
      `subnet=s2,ip-address=${ip(b2)}`,
      '-f',
      'json',
    ])
    const b2again = jsonDocuments(again.stdout)[0] as Obj | undefined
    if (b2again === undefined) fail(`re-create b2: ${again.stderr}`)
    const b2dev = `df${(b2.id as string).replace(/[^A-Za-z0-9]/g, '').slice(0, 11)}`
    await node.vsctl('set', 'Interface', b2dev, `external_ids:iface-id=${(b2again as Obj).id as string}`)
    t.ok(
      await until('b2 reachable again', async () => await ping('a1', ip(b2), 1), 30_000),
      'the re-created port, bound again, restores connectivity',
    )

    // --- kill -9 and restart with a ping running: at most ~1 s lost, the same flows afterwards, none rewritten
    const strip = (lines: string[]): string[] => lines.map(l => l.replace(/cookie=0x[0-9a-f]+, /, '')).sort()
    await node.checkFlows(t, 'before the restart')
    const before = strip(await node.flows())
    const ages = async (): Promise<number[]> => (await node.flowsWithStats()).map(l => Number(/duration=([0-9.]+)s/.exec(l)?.[1] ?? -1))
    const running = inNs(ns.a1, 'ping', '-i', '0.1', '-c', '100', '-W', '1', ip(b1))
    await new Promise(resolve => setTimeout(resolve, 1500))
    await node.kill9()
    const killedAt = Date.now()
    await node.start()
    const restartS = (Date.now() - killedAt) / 1000
    const ran = await running
    const m = /(\d+) packets transmitted, (\d+) received/.exec(ran.stdout)
    const lost = m === null ? 100 : Number(m[1]) - Number(m[2])
    t.ok(lost <= 10, `the ping through kill -9 + restart lost ${lost} of 100 packets at 0.1 s (<= 1 s)`)
    const afterLines = await node.flows()
    t.same(strip(afterLines), before, 'the flow table after the restart equals the one before')
    t.match(
      node.log(),
      /agent: resync: 0 flows added or replaced, 0 stale deleted, \d+ kept[^\n]*\n(?![\s\S]*agent: resync:)/,
      "the restart's resync sent no FLOW_MOD",
    )
    const rewritten = (await ages()).filter(d => d < restartS)
    t.same(rewritten, [], `no flow is younger than the restart (${restartS.toFixed(1)} s ago): none was rewritten`)
    t.ok(await ping('b2', ip(a1)), 'traffic still flows after the restart')

    // --- an unplugged port is reported DOWN
    const unplug = await node.dragonflow('plug', '--data-dir', node.dir, '--port', a2.id as string, '--unplug')
    t.equal(unplug.code, 0, 'a2 unplugged')
    await until('a2 DOWN', async () => (await status(a2.id as string)) === 'DOWN')
    t.pass('the agent reports an unplugged port DOWN')

    // --- dragonflow flows names stages and Neutron objects
    const annotated = await node.dragonflow('flows', '--data-dir', node.dir)
    t.match(
      annotated.stdout,
      new RegExp(`ls_in_port_sec ports/${a1.id as string} \\(a1\\)`),
      'flows annotated with the port they came from',
    )
    t.match(annotated.stdout, /ls_in_dhcp punt_dhcp/, 'punt flows annotated with their reason')

    await node.checkFlows(t)

    // --- the agent's log holds no warning (the only disconnect expected is none: kill -9 ends the old process)
    const warnings = node
      .log()
      .split('\n')
      .filter(l => /^agent: .*(failed|refused|reported|further)|^packet-in:|^openflow:/.test(l))
    t.same(warnings, [], 'no unexpected warning in the agent log')
  })
}
