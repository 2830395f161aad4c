// Two chassis joined by tunnels (VXLAN, then Geneve, then GRE), end to end, with real everything (needs root):
// etcd and mosquitto, `dragonflow api` on etcd (announcing changes on MQTT), and two `dragonflow agent` processes
// (--store etcd --pubsub mqtt), each with its own private OVS in its own namespace, joined by an underlay (a
// veth between two br-phy bridges holding the VTEP addresses).
// Through the real `openstack` CLI: networks n1 and n2 joined by router r1; a1 (n1) on chassis A, b1 (n1) and
// b2 (n2) on chassis B. It checks: both chassis registered; each agent reports its own ports ACTIVE; real DHCP
// leases answered by each chassis itself; ping and TCP across the tunnel on one network; ping routed by the
// source chassis crossing the tunnel once; ARP for a remote workload answered locally; the tunnel port's
// options; security groups across chassis (B's ingress rules decide, replies pass by conntrack on each
// chassis); a deleted port on B losing its flows on A; kill -9 and restart of agent A with a ping running;
// agent A restarted on another VTEP address (its tunnel port and B's tunnels follow).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { STAGES } from '../../datapath/spec/stages.js'
import { TUNNEL_TYPES, type TunnelType } from '../../model/tunnel-types.js'
import { PROACTIVE_GENERATION, parseCookie, type CookieFields } from '../../offload/openflow/layout.js'
import { REPO, jsonDocuments, noAuthEnv, openstack, startApi, type ApiProcess } from '../northbound/helpers/api-process.js'
import { AgentProcess } from '../helpers/agent-process.js'
import { startOvs, type Ovs, type Workload } from '../helpers/ovs.js'
import { startEtcd, startMosquitto } from '../helpers/servers.js'
import { openPubSub } from '../../store/registry.js'
import type { Change } from '../../store/types.js'
import { joinUnderlay } from '../helpers/underlay.js'
import { echoServer, exec, inNs, tcpProbe, until } from './serve-node.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')
// every encapsulation of TUNNEL_TYPES by default; DF_TUNNEL=vxlan (or geneve, gre) runs one; DF_L3=reactive
// passes --l3 reactive to the agents (reactive routing; see the closing note for what fails across chassis in that mode today)
const TUNNELS = (process.env.DF_TUNNEL !== undefined ? [process.env.DF_TUNNEL] : [...TUNNEL_TYPES]) as TunnelType[]
// each encapsulation has its own 10 minutes (the subtest timeout below); the file as a whole needs their sum,
// more than the 600 s the tap config gives one file
t.setTimeout(TUNNELS.length * 600_000)

interface DumpedFlow {
  stage: string
  cookie: CookieFields
  packets: number
  text: string
}

/** br-int's flows with their stage names (from the table number) and decoded cookies. */
async function dump(ovs: Ovs): Promise<DumpedFlow[]> {
  // packets handled by cached datapath flows are credited to the OpenFlow rules by the revalidators: wait for
  // a round so that the counters are complete
  await ovs.appctl('revalidator/wait')
  const lines = (await ovs.ofctl('dump-flows', 'br-int')).split('\n').filter(l => l.includes('table='))
  return lines.map(l => {
    const table = Number(/table=(\d+)/.exec(l)?.[1] ?? -1)
    const stage = table === 0 ? 'entry' : (STAGES.find(s => s.id + 10 === table)?.name ?? `table ${table}`)
    const cookie = parseCookie(BigInt(/cookie=(0x[0-9a-f]+)/.exec(l)?.[1] ?? '0'))
    const packets = Number(/n_packets=(\d+)/.exec(l)?.[1] ?? 0)
    const text = l.replace(/ ?(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*,/g, '').trim()
    return { stage, cookie, packets, text }
  })
}

const keyOf = (f: DumpedFlow): number | undefined => ('key' in f.cookie.subject ? f.cookie.subject.key : undefined)

for (const TUNNEL of TUNNELS)
  t.test(`two chassis joined by ${TUNNEL} tunnels`, { timeout: 600_000, skip }, async t => {
    const dir = mkdtempSync(join(tmpdir(), 'dfe-2ch-'))
    const etcd = await startEtcd()
    const broker = await startMosquitto()
    const ovsA = await startOvs()
    const ovsB = await startOvs()
    let api: ApiProcess | undefined
    const agents: AgentProcess[] = []
    t.teardown(async () => {
      for (const a of agents) await a.kill('SIGKILL')
      await api?.kill()
      await ovsA.stop()
      await ovsB.stop()
      await etcd.dispose()
      await broker.dispose()
      rmSync(dir, { recursive: true, force: true })
    })
    const underlay = await joinUnderlay([ovsA, ovsB])
    const [vtepA, vtepB] = underlay.vtep as [string, string]
    t.ok(
      (await ovsA.exec(ovsA.netns, 'ping', '-c', '1', '-W', '2', vtepB)).stdout.includes('1 received'),
      'the underlay carries ping between the VTEPs',
    )

    // the API writes to etcd and announces every change on MQTT, the change feed the agents subscribe to
    api = await startApi({
      store: 'etcd',
      etcdEndpoint: etcd.endpoint,
      quiet: true,
      extraArgs: ['--pubsub', 'mqtt', '--mqtt-url', broker.url],
    })
    const feed = await openPubSub({ driver: 'mqtt', url: broker.url })
    t.teardown(async () => {
      await feed.close()
    })
    const announced: Change[] = []
    await feed.subscribe('*', c => {
      announced.push(c)
    })
    const env = noAuthEnv(api.url)

    const agentArgs = (ovs: Ovs, id: string, vtep: string): string[] => [
      '--store',
      'etcd',
      '--etcd-endpoints',
      etcd.endpoint,
      '--pubsub',
      'mqtt',
      '--mqtt-url',
      broker.url,
      '--ovsdb',
      `unix:${ovs.dbSocket}`,
      '--of-socket',
      join(ovs.dir, 'df-of.sock'),
      '--chassis-id',
      id,
      '--tunnel-ip',
      vtep,
      '--tunnel',
      TUNNEL,
      '--control',
      join(ovs.dir, 'agent.ctl'),
      ...(process.env.DF_L3 !== undefined ? ['--l3', process.env.DF_L3] : []),
    ]
    const agentA = new AgentProcess(agentArgs(ovsA, 'chassis-a', vtepA))
    const agentB = new AgentProcess(agentArgs(ovsB, 'chassis-b', vtepB))
    agents.push(agentA, agentB)
    await Promise.all([agentA.start(), agentB.start()])

    // --- both chassis are in the shared store, with their tunnel endpoints
    const db = async (table: string, id: string): Promise<Obj> => {
      const res = await exec(process.execPath, [
        join(REPO, 'bin/dragonflow.js'),
        'db',
        'show',
        table,
        id,
        '--store',
        'etcd',
        '--endpoints',
        etcd.endpoint,
      ])
      if (res.code !== 0) throw new Error(`db show ${table} ${id}: ${res.stderr}`)
      const o = JSON.parse(res.stdout) as Obj
      return (o.value ?? o) as Obj
    }
    for (const [id, vtep] of [
      ['chassis-a', vtepA],
      ['chassis-b', vtepB],
    ] as const) {
      const row = await db('chassis', id)
      t.equal(row.tunnel_ip, vtep, `${id} registered in the store with tunnel IP ${vtep}`)
      t.same(row.tunnel_types, [TUNNEL], `${id} announces ${TUNNEL}`)
    }

    // --- the tunnel port on br-int, flow-based, from this chassis' VTEP
    for (const [ovs, vtep] of [
      [ovsA, vtepA],
      [ovsB, vtepB],
    ] as const) {
      t.equal((await ovs.vsctl('get', 'Interface', 'df-tun0', 'type')).trim(), TUNNEL, `df-tun0 is a ${TUNNEL} port`)
      const opts = (await ovs.vsctl('get', 'Interface', 'df-tun0', 'options')).trim()
      t.match(opts, /remote_ip=flow/, 'remote_ip=flow (the destination chassis is set per flow)')
      t.match(opts, /key=flow/, 'key=flow (the VNI or GRE key is the network key, set per flow)')
      t.match(opts, new RegExp(`local_ip="${vtep.replace(/\./g, '\\.')}"`), `local_ip is the VTEP ${vtep}`)
      t.ok(Number((await ovs.vsctl('get', 'Interface', 'df-tun0', 'ofport')).trim()) > 0, 'df-tun0 has an ofport')
    }

    // --- the topology, through the real CLI; ports bound to a chassis with binding:host_id (--host)
    const r = await openstack(
      env,
      [],
      [
        'network create n1 -f json',
        'network create n2 -f json',
        'subnet create s1 --network n1 --subnet-range 10.41.0.0/24 -f json',
        'subnet create s2 --network n2 --subnet-range 10.42.0.0/24 -f json',
        'router create r1 -f json',
        'router add subnet r1 s1',
        'router add subnet r1 s2',
        'port create a1 --network n1 --host chassis-a -f json',
        'port create b1 --network n1 --host chassis-b -f json',
        'port create b2 --network n2 --host chassis-b -f json',
      ].join('\n') + '\n',
    )
    const docs = jsonDocuments(r.stdout) as Obj[]
    if (docs.length !== 8) throw new Error(`topology incomplete (${docs.length} objects): ${r.stderr}`)
    const [n1, n2, , , , a1, b1, b2] = docs as [Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj]
    for (const n of [n1, n2]) n.key = Number((await db('networks', n.id as string)).key)
    const ip = (p: Obj): string => p.fixed_ips[0].ip_address as string
    for (const p of [a1, b1, b2]) {
      await until(
        `port ${p.name as string} announced on MQTT`,
        async () => announced.some(c => c.table === 'ports' && c.id === p.id && c.action === 'create'),
        10_000,
      )
    }
    t.pass('the port creations were announced on MQTT')
    const status = async (p: Obj): Promise<string> => {
      const res = await fetch(`${api?.url ?? ''}/v2.0/ports/${p.id as string}`)
      return ((await res.json()) as Obj).port.status as string
    }

    // --- workloads: a1 on chassis A, b1 and b2 on chassis B (iface-id = the port id, as `dragonflow plug` does)
    const wa1 = await ovsA.addWorkload('a1', 'br-int', a1.id as string, { mac: a1.mac_address as string })
    await until('a1 ACTIVE', async () => (await status(a1)) === 'ACTIVE')
    t.equal(await status(b1), 'DOWN', 'b1, not plugged anywhere yet, is DOWN while agent A reports a1 ACTIVE')
    const wb1 = await ovsB.addWorkload('b1', 'br-int', b1.id as string, { mac: b1.mac_address as string })
    const wb2 = await ovsB.addWorkload('b2', 'br-int', b2.id as string, { mac: b2.mac_address as string })
    await until('b1 and b2 ACTIVE', async () => (await status(b1)) === 'ACTIVE' && (await status(b2)) === 'ACTIVE')
    t.pass('agent B reports b1 and b2 ACTIVE')
    const wl: Record<string, [Workload, Ovs, Obj]> = { a1: [wa1, ovsA, a1], b1: [wb1, ovsB, b1], b2: [wb2, ovsB, b2] }
    // IPv4 only: the workloads' IPv6 chatter (router solicitations, MLD reports) floods n1 to the other chassis
    // and would blur the tunnel counters this test reads
    for (const [w] of Object.values(wl)) await inNs(w.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')

    // --- DHCP, answered by each chassis itself (its ls_in_dhcp punt flow counts the request)
    const script = join(dir, 'udhcpc.sh')
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'case "$1" in bound|renew)',
        '  ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface"',
        '  [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"',
        '  for r in $router; do ip route replace default via "$r" dev "$interface"; break; done',
        '  echo "LEASE ip=$ip mask=$mask router=$router" ;;',
        'esac',
        'exit 0',
        '',
      ].join('\n'),
    )
    chmodSync(script, 0o755)
    const dhcpPunts = async (ovs: Ovs): Promise<number> =>
      (await dump(ovs)).filter(f => f.stage === 'ls_in_dhcp' && 'reason' in f.cookie.subject).reduce((n, f) => n + f.packets, 0)
    for (const [name, [w, ovs, p]] of Object.entries(wl)) {
      const other = ovs === ovsA ? ovsB : ovsA
      const [mine, theirs] = [await dhcpPunts(ovs), await dhcpPunts(other)]
      const lease = await until(
        `a DHCP lease for ${name}`,
        async () => {
          const d = await inNs(w.ns, 'busybox', 'udhcpc', '-i', w.ifname, '-f', '-q', '-n', '-t', '5', '-T', '1', '-s', script)
          return /LEASE (.*)/.exec(d.stdout)?.[1]
        },
        60_000,
        500,
      )
      const gw = p.network_id === n1.id ? '10.41.0.1' : '10.42.0.1'
      t.equal(lease, `ip=${ip(p)} mask=24 router=${gw}`, `${name} leased its fixed IP with its router`)
      t.ok((await dhcpPunts(ovs)) > mine, `${name}'s DHCP request was punted to its own chassis' agent`)
      t.equal(await dhcpPunts(other), theirs, `the other chassis saw none of ${name}'s DHCP`)
    }

    const ping = async (from: Workload, to: string, count = 3): Promise<{ ok: boolean; out: string }> => {
      const res = await inNs(from.ns, 'ping', '-c', String(count), '-i', '0.2', '-W', '2', to)
      return { ok: res.code === 0, out: res.stdout }
    }
    // what a failed cross-chassis step needs to be understood: both agents' recent log, both sides' tunnel view of
    // OVS (which local addresses it decapsulates for, its routes and neighbours, the datapath flows) and br-int
    const tunnelState = async (): Promise<string> => {
      const parts: string[] = []
      for (const [name, ovs, agent] of [
        ['A', ovsA, agentA],
        ['B', ovsB, agentB],
      ] as const) {
        parts.push(`--- agent ${name} log (tail) ---\n${agent.out.slice(-3000)}`)
        for (const cmd of [['tnl/ports/show', '-v'], ['ovs/route/show'], ['tnl/neigh/show'], ['dpctl/dump-flows']]) {
          parts.push(`--- ${name}: ovs-appctl ${cmd.join(' ')} ---\n${await ovs.appctl(...cmd).catch((e: Error) => e.message)}`)
        }
        parts.push(
          `--- ${name}: br-int tunnel flows ---\n${(await dump(ovs))
            .map(f => f.text)
            .filter(x => /tun_/.test(x))
            .join('\n')}`,
        )
      }
      return parts.join('\n')
    }
    const tunnelIn = async (ovs: Ovs, net: Obj): Promise<number> =>
      (await dump(ovs))
        .filter(f => f.stage === 'ls_in_classify' && f.text.includes('tun_id=') && keyOf(f) === net.key)
        .reduce((n, f) => n + f.packets, 0)

    // --- L2 across the tunnel: a1 (A) <-> b1 (B) on n1
    t.ok(
      await until('ping a1 -> b1', async () => (await ping(wa1, ip(b1))).ok, 30_000),
      'ping a1 (chassis A) -> b1 (chassis B) on n1, over the tunnel',
    )
    t.ok((await ping(wb1, ip(a1))).ok, 'ping b1 -> a1, the other way')
    const server = exec('ip', ['netns', 'exec', wb1.ns, 'busybox', 'nc', '-l', '-p', '5555'], { timeoutMs: 20_000 })
    await until('nc to listen', async () => (await inNs(wb1.ns, 'ss', '-ltn')).stdout.includes(':5555'))
    const client = await inNs(wa1.ns, 'sh', '-c', `echo hello-over-the-tunnel | busybox nc -w 3 ${ip(b1)} 5555`)
    t.equal(client.code, 0, 'TCP a1 -> b1 connected over the tunnel')
    t.match((await server).stdout, /hello-over-the-tunnel/, 'the bytes arrived on the other chassis')

    // --- routed: a1 (n1, A) -> b2 (n2, B). A routes the request, so it enters B already on n2; B routes the reply,
    // so it enters A already on n1. (Tunnel counters alone would not do: IPv6 multicast of the workloads floods
    // n1 to the other chassis meanwhile; the route flows count routed IPv4 only.)
    const routedFrom = async (ovs: Ovs, net: Obj): Promise<number> =>
      (await dump(ovs))
        .filter(f => f.stage === 'lr_in_ip_route' && f.text.includes(`reg0=0x${(net.key as number).toString(16)},`))
        .reduce((n, f) => n + f.packets, 0)
    const counters = async (): Promise<Record<string, number>> => ({
      aRoutesN1: await routedFrom(ovsA, n1),
      aRoutesN2: await routedFrom(ovsA, n2),
      bRoutesN1: await routedFrom(ovsB, n1),
      bRoutesN2: await routedFrom(ovsB, n2),
      bInN2: await tunnelIn(ovsB, n2),
      aInN1: await tunnelIn(ovsA, n1),
      bInN1: await tunnelIn(ovsB, n1),
      aInN2: await tunnelIn(ovsA, n2),
    })
    const c0 = await counters()
    const routed = await until(
      'ping a1 -> b2 across the router',
      async () => {
        const p = await ping(wa1, ip(b2), 3)
        return p.ok ? p : undefined
      },
      30_000,
    )
    const c1 = await counters()
    const d = (k: string): number => (c1[k] ?? 0) - (c0[k] ?? 0)
    t.ok(d('aRoutesN1') >= 3, `chassis A routed the requests n1 -> n2 (${d('aRoutesN1')} packets)`)
    t.equal(d('bRoutesN1'), 0, 'chassis B routed none of them (they arrived already routed)')
    t.ok(d('bInN2') >= 3, `the requests entered B through the tunnel on n2 (${d('bInN2')} packets)`)
    t.equal(d('bInN1'), 0, 'and nothing entered B on n1: each request crossed the tunnel once, already routed')
    t.ok(d('bRoutesN2') >= 3, `chassis B routed the replies n2 -> n1 (${d('bRoutesN2')} packets)`)
    t.equal(d('aRoutesN2'), 0, 'chassis A routed none of the replies')
    t.ok(d('aInN1') >= 3, `the replies entered A through the tunnel on n1 (${d('aInN1')} packets)`)
    t.equal(d('aInN2'), 0, 'and nothing entered A on n2')
    t.match(routed.out, /ttl=63/, 'the reply was routed exactly once on its way (TTL 64 - 1)')
    t.ok((await ping(wb2, ip(a1))).ok, 'ping b2 -> a1, routed the other way')

    // --- ARP for a remote workload, answered on chassis A (B's tunnel ingress sees no ARP)
    await inNs(wa1.ns, 'ip', 'neigh', 'flush', 'all')
    const bIn = await tunnelIn(ovsB, n1)
    const responder = async (): Promise<number> =>
      (await dump(ovsA))
        .filter(f => f.stage === 'ls_in_arp_nd_rsp' && f.text.includes(`arp_tpa=${ip(b1)},`))
        .reduce((n, f) => n + f.packets, 0)
    const answered = await responder()
    const arp = await inNs(wa1.ns, 'busybox', 'arping', '-c', '2', '-w', '3', '-I', wa1.ifname, ip(b1))
    t.match(arp.stdout, new RegExp(`\\[${b1.mac_address as string}\\]`, 'i'), "ARP for b1 answered with b1's MAC")
    t.ok((await responder()) - answered >= 2, "by A's ARP responder flow for b1's address")
    t.equal(await tunnelIn(ovsB, n1), bIn, 'the ARP requests never crossed the tunnel (answered on chassis A)')

    // --- security groups across chassis: b1 (B) moves to group guard (ICMP from n1's CIDR, TCP 5555 from members
    // of default, egress open), a1 (A) stays in default. Each chassis enforces its own ports: A a1's egress (open)
    // and ingress (members of default only), B b1's. B must know a1's address as a member of default although a1
    // lives on A. Replies pass by conntrack, on each chassis in n1's zone.
    const sg = jsonDocuments(
      (
        await openstack(
          env,
          [],
          [
            'security group create guard -f json',
            'security group rule create guard --ingress --protocol icmp --remote-ip 10.41.0.0/24 -f json',
            'security group rule create guard --ingress --protocol tcp --dst-port 5555 --remote-group default -f json',
            `port set ${b1.id as string} --no-security-group --security-group guard`,
            `port show ${b1.id as string} -f json`,
          ].join('\n') + '\n',
        )
      ).stdout,
    ) as Obj[]
    const guard = sg[0]
    t.same(sg[3]?.security_group_ids, [guard?.id], 'b1 is in group guard only')
    await echoServer(t, wb1.ns, { tcp: [5555, 5556] })
    await echoServer(t, wa1.ns, { tcp: [5555] })
    t.ok(
      await until('TCP a1 -> b1:5555 under guard', async () => await tcpProbe(wa1.ns, ip(b1), 5555), 30_000),
      'TCP a1 (A) -> b1:5555 (B): B admits members of default, a1 among them though it lives on A',
    )
    t.ok((await ping(wa1, ip(b1))).ok, 'ping a1 -> b1 (ICMP from 10.41.0.0/24)')
    const [tcp5556, pingBack, tcpBack] = await Promise.all([
      tcpProbe(wa1.ns, ip(b1), 5556),
      ping(wb1, ip(a1), 2),
      tcpProbe(wb1.ns, ip(a1), 5555),
    ])
    t.notOk(tcp5556, 'TCP a1 -> b1:5556 does not pass: no rule of guard admits it')
    t.notOk(pingBack.ok, 'ping b1 -> a1 does not pass (a1 admits members of default only): the replies above passed by conntrack')
    t.notOk(tcpBack, 'TCP b1 -> a1:5555 does not pass')
    // both chassis tracked a1 -> b1:5555, each in n1's zone (network key & 0xffff)
    for (const [name, ovs] of [
      ['A', ovsA],
      ['B', ovsB],
    ] as const) {
      const ct = (await ovs.appctl('dpctl/dump-conntrack'))
        .split('\n')
        .filter(l => l.startsWith('tcp,') && l.includes(`src=${ip(a1)},dst=${ip(b1)},`) && l.includes('dport=5555'))
      t.ok(
        ct.length > 0 && ct.every(l => l.includes(`zone=${(n1.key as number) & 0xffff}`)),
        `chassis ${name}'s conntrack holds a1 -> b1:5555 in n1's zone: ${ct[0] ?? 'none'}`,
      )
    }
    await agentA.checkFlows(t, 'A (security groups)')
    await agentB.checkFlows(t, 'B (security groups)')

    // --- deleting b1 on chassis B removes A's flows that reach it
    const macB1 = (b1.mac_address as string).toLowerCase()
    const b1Key = Number((await db('ports', b1.id as string)).key)
    const reaching = (fs: DumpedFlow[]): DumpedFlow[] =>
      fs.filter(f => keyOf(f) === b1Key || f.text.includes(macB1) || f.text.includes(`arp_tpa=${ip(b1)}`))
    t.ok(reaching(await dump(ovsA)).length > 0, 'A has flows that reach b1 (its MAC, its ARP answer, its tunnel egress)')
    t.ok(
      (await dump(ovsA)).some(f => f.stage === 'ls_out_dispatch' && f.text.includes(`set_field:${vtepB}->tun_dst`)),
      "A tunnels to B's VTEP",
    )
    const del = await openstack(env, ['port', 'delete', b1.id as string])
    t.equal(del.code, 0, 'port b1 deleted')
    await until("A's flows for b1 to go", async () => reaching(await dump(ovsA)).length === 0)
    t.pass('A holds no flow that reaches b1 any more')
    t.notOk((await ping(wa1, ip(b1), 2)).ok, 'b1 is unreachable from a1')
    await ovsB.removeWorkload(wb1)

    // --- kill -9 of agent A with a ping a1 -> b2 running: the flows stay in OVS, the restart resyncs them
    // reactive route flows (--l3 reactive) are a cache that follows the traffic: compared are the flows the agent
    // computes from the model
    const strip = (fs: DumpedFlow[]): string[] =>
      fs
        .filter(f => !('reactive' in f.cookie.subject))
        .map(f => f.text.replace(/cookie=0x[0-9a-f]+, /, ''))
        .sort()
    const flowsBefore = strip(await dump(ovsA))
    const flowsOfB = strip(await dump(ovsB))
    const running = inNs(wa1.ns, 'ping', '-i', '0.1', '-c', '100', '-W', '1', ip(b2))
    await new Promise(resolve => setTimeout(resolve, 1500))
    await agentA.kill('SIGKILL')
    await agentA.start()
    const ran = await running
    const m = /(\d+) packets transmitted, (\d+) received/.exec(ran.stdout)
    const lost = m === null ? 100 : Number(m[1]) - Number(m[2])
    t.ok(lost <= 10, `the cross-chassis ping through kill -9 + restart lost ${lost} of 100 packets at 0.1 s (<= ~1 s)`)
    const flowsAfter = await dump(ovsA)
    t.same(strip(flowsAfter), flowsBefore, "A's flow table after the restart equals the one before")
    t.same(
      flowsAfter.filter(f => !('reactive' in f.cookie.subject) && f.cookie.generation !== PROACTIVE_GENERATION).map(f => f.text),
      [],
      'every proactive flow on A carries the proactive generation (no stale flows)',
    )
    t.match(
      agentA.out,
      /agent: resync: 0 flows added or replaced, 0 stale deleted, \d+ kept[^\n]*\n(?![\s\S]*agent: resync:)/,
      "A's restart rewrote no flow",
    )
    t.ok(agentA.generation() >= 3, `A's new run has a new generation (${agentA.generation()})`)
    t.ok((await ping(wb2, ip(a1))).ok, 'b2 -> a1 still flows after the restart')
    t.same(strip(await dump(ovsB)), flowsOfB, "B's flows did not move while A restarted")

    // --- A comes back on another VTEP address: its tunnel port follows (local_ip), B re-targets its tunnels
    const newVtepA = vtepA.replace(/\.1$/, '.11')
    // (deleting a primary address also deletes the secondaries of its subnet: delete first, then add)
    await ovsA.exec('', 'ip', '-n', ovsA.netns, 'addr', 'del', `${vtepA}/24`, 'dev', 'br-phy')
    await ovsA.exec('', 'ip', '-n', ovsA.netns, 'addr', 'add', `${newVtepA}/24`, 'dev', 'br-phy')
    t.equal(await agentA.kill('SIGTERM'), 0, 'agent A stopped')
    agentA.args = agentArgs(ovsA, 'chassis-a', newVtepA)
    await agentA.start()
    t.match(
      (await ovsA.vsctl('get', 'Interface', 'df-tun0', 'options')).trim(),
      new RegExp(`local_ip="${newVtepA.replace(/\./g, '\\.')}"`),
      `A's df-tun0 now sends from ${newVtepA}`,
    )
    t.equal((await db('chassis', 'chassis-a')).tunnel_ip, newVtepA, 'the chassis row has the new address')
    await until('B to tunnel to the new address', async () => {
      const texts = (await dump(ovsB)).map(f => f.text).join('\n')
      return texts.includes(`set_field:${newVtepA}->tun_dst`) && !texts.includes(`set_field:${vtepA}->tun_dst`)
    })
    t.pass(`B's tunnels to A go to ${newVtepA}, none to ${vtepA}`)
    const overMoved = await until('ping a1 -> b2 over the moved tunnel', async () => (await ping(wa1, ip(b2), 2)).ok, 30_000).catch(
      async (err: Error) => {
        throw new Error(`${err.message}\n${await tunnelState()}`)
      },
    )
    t.ok(overMoved, 'a1 -> b2 works over the moved tunnel')
    t.ok((await ping(wb2, ip(a1))).ok, 'b2 -> a1 too')

    await agentA.checkFlows(t, 'A')
    await agentB.checkFlows(t, 'B')

    // --- the agents' logs hold no unexpected warning
    for (const [name, a] of [
      ['A', agentA],
      ['B', agentB],
    ] as const) {
      const warnings = a.out.split('\n').filter(l => /^agent: .*(failed|refused|reported|further|no ofport)|^packet-in:|^openflow:/.test(l))
      t.same(warnings, [], `no unexpected warning in agent ${name}'s log`)
    }
    for (const a of agents) t.equal(await a.kill('SIGTERM'), 0, 'the agent exits with 0 on SIGTERM')
  })
