// Provider networks, router gateways and floating IPs across two chassis, end to end, with real everything
// (needs root): etcd and mosquitto, `dragonflow api` on etcd (announcing on MQTT), and two `dragonflow agent`
// processes, each with its own private OVS in its own namespace and `--bridge-mappings physnet1:br-phy`. The
// underlay's br-phy (a NORMAL switch in each OVS, joined by one veth) is the shared physical network: VLAN-tagged
// and untagged frames cross it, next to the VXLAN tunnels between the VTEPs. Semantics: datapath/BEHAVIOUR.md
// "Ways in and out"; compiler decisions: agent/compiler/README.md.
//
//   outside 203.0.113.1 ── br-phy(A) ══ veth ══ br-phy(B)
//                             │patch                │patch
//                          br-int A              br-int B
//   vlan101 (VLAN 101, physnet1) 10.81.0.0/24:  va (A)            vb (B)
//   ext (flat, physnet1, external) 203.0.113.0/24: gateway of router r (one gateway chassis)
//   tn (VXLAN) 10.82.0.0/24 behind r:          fa (A) + floating IP   fb (B) + floating IP
//
// Scenarios: VLAN between chassis without the tunnel (tcpdump sees 802.1Q VLAN 101 on the veth, the tunnel
// classify counters stay put); floating IPs answered from outside each by its own chassis (ARP lladdr = the
// floating IP port's MAC, replies from the floating IP); the gateway IP answered by exactly one chassis, the
// rendezvous winner; gateway takeover after the gateway chassis' agent stops and its chassis row is deleted.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { STAGES } from '../../datapath/spec/stages.js'
import { parseCookie, type CookieFields } from '../../offload/openflow/layout.js'
import { gatewayChassis } from '../../agent/compiler/gateway-chassis.js'
import { patchPortNames } from '../../agent/ovsdb/patch-ports.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, Network } from '../../model/types.js'
import { openStore } from '../../store/registry.js'
import { jsonDocuments, noAuthEnv, openstack, startApi, type ApiProcess } from '../northbound/helpers/api-process.js'
import { AgentProcess } from '../helpers/agent-process.js'
import { startOvs, type Ovs, type Workload } from '../helpers/ovs.js'
import { startEtcd, startMosquitto } from '../helpers/servers.js'
import { joinUnderlay } from '../helpers/underlay.js'
import { echoServer, inNs, pings, spawnIn, tcpProbe, until } from './serve-node.js'
import { leaseIn, writeUdhcpcScript } from './udhcpc.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')
const UPSTREAM = '203.0.113.1'
const VLAN = 101

interface DumpedFlow {
  stage: string
  cookie: CookieFields
  packets: number
  text: string
}

/** br-int's flows with their stage names and decoded cookies, counters complete (a revalidator round). */
async function dump(ovs: Ovs): Promise<DumpedFlow[]> {
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

/** On a failure: what each chassis counted (flows that saw packets in the NAT and next-hop stages) and its log's
 * tail, as test comments. */
async function diagnose(t: Test, nodes: Array<[string, Ovs, AgentProcess]>, addrs: string[]): Promise<void> {
  for (const [name, ovs, agent] of nodes) {
    const fs = (await dump(ovs)).filter(
      f => f.packets > 0 && (/^lr_in_(dnat|arp_resolve)$|^lr_out_snat$/.test(f.stage) || addrs.some(a => f.text.includes(a))),
    )
    t.comment(`--- chassis ${name}: flows that counted packets\n${fs.map(f => `${f.stage} n=${f.packets} ${f.text}`).join('\n')}`)
    t.comment(`--- agent ${name}: log tail\n${agent.out.split('\n').slice(-12).join('\n')}`)
  }
}

/** tcpdump on an interface of vswitchd's namespace (-Q in|out|inout), listening when this returns; stop() gives its lines. */
async function capture(t: Test, ovs: Ovs, iface: string, direction: string, filter: string[]): Promise<{ stop: () => Promise<string[]> }> {
  const cap = spawn('ip', ['netns', 'exec', ovs.netns, 'tcpdump', '-e', '-n', '-l', '-Q', direction, '-i', iface, ...filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  cap.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  cap.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const done = new Promise(resolve => cap.once('exit', resolve))
  t.teardown(async () => {
    if (cap.exitCode === null && cap.signalCode === null) {
      cap.kill('SIGKILL')
      await done
    }
  })
  await until(
    `tcpdump on ${iface} to listen`,
    async () => {
      if (cap.exitCode !== null) throw new Error(`tcpdump exited: ${err}`)
      return err.includes('listening on')
    },
    10_000,
  )
  return {
    stop: async () => {
      if (cap.exitCode === null && cap.signalCode === null) {
        cap.kill('SIGINT')
        await done
      }
      return out.split('\n').filter(l => l.trim() !== '')
    },
  }
}

const sum = (fs: DumpedFlow[]): number => fs.reduce((n, f) => n + f.packets, 0)
/** The ARP responder flows for one address (ls_in_arp_nd_rsp, arp_tpa=ip). */
const arpFor = (fs: DumpedFlow[], ip: string): DumpedFlow[] =>
  fs.filter(f => f.stage === 'ls_in_arp_nd_rsp' && f.text.includes(`arp_tpa=${ip},`))
/** Packets that entered br-int from a tunnel (ls_in_classify on tun_id), any network. */
const tunnelled = async (ovs: Ovs): Promise<number> =>
  sum((await dump(ovs)).filter(f => f.stage === 'ls_in_classify' && f.text.includes('tun_id=')))

t.test('provider networks, floating IPs and a gateway across two chassis', { timeout: 600_000, skip }, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-prov-'))
  const etcd = await startEtcd()
  const broker = await startMosquitto()
  const ovsA = await startOvs()
  const ovsB = await startOvs()
  let api: ApiProcess | undefined
  const agents: AgentProcess[] = []
  const outside = `pno${process.pid.toString(36)}`
  const store = await openStore({ driver: 'etcd', endpoints: [etcd.endpoint] })
  t.teardown(async () => {
    for (const a of agents) await a.kill('SIGKILL')
    await api?.kill()
    await store.close()
    spawnSync('ip', ['netns', 'del', outside])
    await ovsA.stop()
    await ovsB.stop()
    await etcd.dispose()
    await broker.dispose()
    rmSync(dir, { recursive: true, force: true })
  })
  const underlay = await joinUnderlay([ovsA, ovsB])
  const [vtepA, vtepB] = underlay.vtep as [string, string]
  // the underlay veth's end in A's namespace: the one br-phy port that is neither a patch port nor ours
  const veth = (await ovsA.vsctl('list-ports', 'br-phy'))
    .split('\n')
    .map(s => s.trim())
    .find(s => s.startsWith('ul')) as string
  t.ok(veth !== undefined, `the underlay veth on A's br-phy: ${veth}`)

  api = await startApi({
    store: 'etcd',
    etcdEndpoint: etcd.endpoint,
    quiet: true,
    extraArgs: ['--pubsub', 'mqtt', '--mqtt-url', broker.url],
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
    'vxlan',
    '--control',
    join(ovs.dir, 'agent.ctl'),
    '--bridge-mappings',
    'physnet1:br-phy',
  ]
  const agentA = new AgentProcess(agentArgs(ovsA, 'chassis-a', vtepA))
  const agentB = new AgentProcess(agentArgs(ovsB, 'chassis-b', vtepB))
  agents.push(agentA, agentB)
  await Promise.all([agentA.start(), agentB.start()])
  const chassis = { 'chassis-a': { ovs: ovsA, agent: agentA }, 'chassis-b': { ovs: ovsB, agent: agentB } }
  for (const [id, c] of Object.entries(chassis)) {
    const row = (await store.get(TABLES.chassis, id))?.value as Chassis | undefined
    t.equal(row?.external_ids?.['dragonflow:bridge-mappings'], 'physnet1:br-phy', `${id} advertises physnet1:br-phy`)
    t.match(c.agent.out, /physical network physnet1 on bridge br-phy/, `${id}'s agent patched br-int to br-phy`)
  }

  const batch = async (lines: string[], expected: number): Promise<Obj[]> => {
    const r = await openstack(env, [], lines.join('\n') + '\n')
    const docs = jsonDocuments(r.stdout) as Obj[]
    if (docs.length !== expected) throw new Error(`openstack printed ${docs.length} of ${expected} objects: ${r.stderr}`)
    return docs
  }
  const getJson = async (path: string): Promise<Obj> => (await (await fetch(`${api?.url ?? ''}${path}`)).json()) as Obj
  const status = async (id: string): Promise<string> => (await getJson(`/v2.0/ports/${id}`)).port.status as string
  const ip = (p: Obj): string => p.fixed_ips[0].ip_address as string
  const script = writeUdhcpcScript(dir)
  const dhcpPunts = async (ovs: Ovs): Promise<number> =>
    sum((await dump(ovs)).filter(f => f.stage === 'ls_in_dhcp' && 'reason' in f.cookie.subject))

  /** Plug port p on chassis `ovs`, wait for ACTIVE, lease by DHCP answered by that chassis alone. */
  const plugAndLease = async (t: Test, name: string, ovs: Ovs, p: Obj): Promise<Workload> => {
    const w = await ovs.addWorkload(name, 'br-int', p.id as string, { mac: p.mac_address as string })
    await inNs(w.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1') // keep IPv6 chatter off the counters
    await until(`${name} ACTIVE`, async () => (await status(p.id as string)) === 'ACTIVE')
    const other = ovs === ovsA ? ovsB : ovsA
    const [mine, theirs] = [await dhcpPunts(ovs), await dhcpPunts(other)]
    t.equal((await leaseIn(w.ns, script)).ip, ip(p), `${name} leased its fixed IP ${ip(p)}`)
    t.ok((await dhcpPunts(ovs)) > mine, `${name}'s DHCP was answered by its own chassis`)
    t.equal(await dhcpPunts(other), theirs, `the other chassis saw none of ${name}'s DHCP`)
    return w
  }

  await t.test('a VLAN network between chassis: over br-phy tagged 101, never the tunnel', async t => {
    const [net, , va, vb] = (await batch(
      [
        `network create vlan101 --provider-network-type vlan --provider-physical-network physnet1 --provider-segment ${VLAN} -f json`,
        'subnet create vlan101s --network vlan101 --subnet-range 10.81.0.0/24 -f json',
        'port create va --network vlan101 --host chassis-a -f json',
        'port create vb --network vlan101 --host chassis-b -f json',
      ],
      4,
    )) as [Obj, Obj, Obj, Obj]
    t.equal(net['provider:segmentation_id'], VLAN, 'the network is VLAN 101')
    const netKey = Number((await store.get(TABLES.networks, net.id as string))?.value.key)
    const wa = await plugAndLease(t, 'va', ovsA, va)
    const wb = await plugAndLease(t, 'vb', ovsB, vb)
    for (const [name, ovs] of [
      ['A', ovsA],
      ['B', ovsB],
    ] as const) {
      const fs = await dump(ovs)
      t.notOk(
        fs.some(
          f => f.stage === 'ls_in_classify' && f.text.includes('tun_id=') && 'key' in f.cookie.subject && f.cookie.subject.key === netKey,
        ),
        `${name} has no tunnel classification for vlan101`,
      )
      t.ok(
        fs.some(f => f.stage === 'ls_in_classify' && f.text.includes(`dl_vlan=${VLAN}`)),
        `${name} classifies VID ${VLAN} from its uplink`,
      )
    }
    await echoServer(t, wb.ns, { tcp: [5001] })
    // tcpdump on the underlay veth: what crosses between the chassis
    const cap = spawn('ip', ['netns', 'exec', ovsA.netns, 'tcpdump', '-e', '-n', '-l', '-i', veth, 'vlan', String(VLAN)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let capOut = ''
    let capErr = ''
    cap.stdout.on('data', (d: Buffer) => {
      capOut += d.toString()
    })
    cap.stderr.on('data', (d: Buffer) => {
      capErr += d.toString()
    })
    const capDone = new Promise(resolve => cap.once('exit', resolve))
    t.teardown(async () => {
      if (cap.exitCode === null) {
        cap.kill('SIGKILL')
        await capDone
      }
    })
    await until('tcpdump to listen', async () => capErr.includes('listening on'), 10_000)
    const tunBefore = [await tunnelled(ovsA), await tunnelled(ovsB)]
    t.ok(await until('ping va -> vb', async () => await pings(wa.ns, ip(vb), 3), 30_000), 'ping va (A) -> vb (B) on VLAN 101')
    t.ok(await pings(wb.ns, ip(va), 3), 'ping vb -> va')
    t.ok(await tcpProbe(wa.ns, ip(vb), 5001), 'TCP va -> vb:5001 carries a line there and back')
    await new Promise(resolve => setTimeout(resolve, 500))
    cap.kill('SIGINT')
    await capDone
    const tagged = capOut.split('\n').filter(l => l.includes(`vlan ${VLAN}`))
    t.ok(
      tagged.some(l => l.includes(`${ip(va)} > ${ip(vb)}: ICMP echo request`)),
      `the underlay carried va's echo requests tagged 802.1Q VLAN ${VLAN} (${tagged.length} tagged frames)`,
    )
    t.ok(
      tagged.some(l => l.includes(`${ip(vb)} > ${ip(va)}: ICMP echo reply`)),
      "and vb's replies, tagged too",
    )
    t.ok(
      tagged.some(l => l.includes(`${ip(va)}.`) && l.includes(`${ip(vb)}.5001`)),
      'and the TCP segments',
    )
    t.same([await tunnelled(ovsA), await tunnelled(ovsB)], tunBefore, 'no packet entered either chassis from the tunnel meanwhile')
    await agentA.checkFlows(t, 'A')
    await agentB.checkFlows(t, 'B')
  })

  // --- north-south: the external network, the router, the floating IPs, the outside host
  const docs = await batch(
    [
      'network create ext --external --provider-network-type flat --provider-physical-network physnet1 -f json',
      `subnet create exts --network ext --subnet-range 203.0.113.0/24 --gateway ${UPSTREAM} --no-dhcp -f json`,
      'network create tn --provider-network-type vxlan -f json',
      'subnet create tns --network tn --subnet-range 10.82.0.0/24 -f json',
      'router create r -f json',
      'router add subnet r tns',
      'router set r --external-gateway ext',
      'security group create open -f json',
      'security group rule create open --ingress --protocol icmp -f json',
      'security group rule create open --ingress --protocol tcp --dst-port 5001 -f json',
      'port create fa --network tn --host chassis-a --security-group open -f json',
      'port create fb --network tn --host chassis-b --security-group open -f json',
      'router show r -f json',
    ],
    11,
  )
  const [ext, , tn, , router, , , , fa, fb, routerShown] = docs as [Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj]
  t.equal(tn['provider:network_type'], 'vxlan', 'the tenant network is VXLAN')
  const gwIp = routerShown.external_gateway_info?.external_fixed_ips?.[0]?.ip_address as string
  const gwPort = (
    (await getJson(`/v2.0/ports?device_id=${router.id as string}&device_owner=network:router_gateway`)).ports as Obj[]
  )[0] as Obj
  const wfa = await plugAndLease(t, 'fa', ovsA, fa)
  const wfb = await plugAndLease(t, 'fb', ovsB, fb)
  await echoServer(t, wfa.ns, { tcp: [5001] })
  await echoServer(t, wfb.ns, { tcp: [5001] })
  const fips: Record<'fa' | 'fb', Obj> = { fa: {}, fb: {} }
  for (const [k, p] of [
    ['fa', fa],
    ['fb', fb],
  ] as const) {
    const [f] = await batch([`floating ip create ext --port ${p.id as string} -f json`], 1)
    fips[k] = f as Obj
  }
  // the outside host: a namespace on A's br-phy (the physical network), holding the external subnet's gateway
  spawnSync('ip', ['netns', 'add', outside])
  const outPort = ovsA.name('out')
  const tmp = ovsA.name('t')
  await ovsA.exec('', 'ip', '-n', ovsA.netns, 'link', 'add', outPort, 'type', 'veth', 'peer', 'name', tmp, 'netns', outside)
  await ovsA.exec('', 'ip', '-n', outside, 'link', 'set', tmp, 'name', 'eth0')
  for (const args of [
    ['link', 'set', 'lo', 'up'],
    ['link', 'set', 'eth0', 'up'],
    ['addr', 'add', `${UPSTREAM}/24`, 'dev', 'eth0'],
  ]) {
    await ovsA.exec('', 'ip', '-n', outside, ...args)
  }
  await inNs(outside, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
  await inNs(outside, 'ethtool', '-K', 'eth0', 'tx', 'off')
  await ovsA.exec('', 'ip', '-n', ovsA.netns, 'link', 'set', outPort, 'up')
  await ovsA.vsctl('add-port', 'br-phy', outPort)
  const lladdr = async (addr: string): Promise<string> =>
    /lladdr (\S+)/.exec((await inNs(outside, 'ip', 'neigh', 'show', addr)).stdout)?.[1] ?? 'none'

  // the gateway chassis as every node computes it, from the chassis rows in the store
  const extNet = (await store.get(TABLES.networks, ext.id as string))?.value as unknown as Network
  const rows = (await store.list(TABLES.chassis)).map(o => o.value as unknown as Chassis)
  const expectedGw = gatewayChassis(router.id as string, extNet, rows) as keyof typeof chassis
  const gw = chassis[expectedGw]
  const otherId = expectedGw === 'chassis-a' ? 'chassis-b' : 'chassis-a'
  const other = chassis[otherId]

  // Only the gateway chassis may send from the gateway's MAC onto physnet1: a learning switch sends frames for a
  // MAC to where it last saw it, so another chassis using it (say, for its next-hop ARP requests) pulls the
  // gateway's traffic to a chassis that drops it (gateway_elsewhere). Broadcasts cross the underlay veth, so what
  // leaves the other chassis' namespace through it shows what that chassis sent.
  const otherVeth = (await other.ovs.vsctl('list-ports', 'br-phy'))
    .split('\n')
    .map(x => x.trim())
    .find(x => x.startsWith('ul')) as string
  const gwMacSent = await capture(t, other.ovs, otherVeth, 'out', ['ether', 'src', (gwPort.mac_address as string).toLowerCase()])

  await t.test('floating IPs: each answered from outside by its own chassis', async t => {
    // the gateway chassis' workload first: then the last frame a chassis sends onto physnet1 from the gateway's
    // MAC (a next-hop ARP request) comes from the other one, which the next subtest looks at
    const order = (
      [
        ['fa', wfa, ovsA, ovsB, agentA],
        ['fb', wfb, ovsB, ovsA, agentB],
      ] as const
    )
      .slice()
      .sort((x, y) => Number(y[2] === gw.ovs) - Number(x[2] === gw.ovs))
    for (const [k, w, host, away, agent] of order) {
      const fip = fips[k]
      const addr = fip.floating_ip_address as string
      const fipPort = (
        (await getJson(`/v2.0/ports?device_id=${fip.id as string}&device_owner=network:floatingip`)).ports as Obj[]
      )[0] as Obj
      // nothing on this chassis has sent anything outside yet: the upstream next hop (203.0.113.1) is resolved,
      // if at all, from the reply of this inbound ping (punt_nexthop_miss in lr_in_arp_resolve)
      const inbound = await until(`ping ${k}'s floating IP`, async () => await pings(outside, addr), 15_000).catch(() => false)
      t.ok(
        inbound,
        `outside pings ${k}'s floating IP ${addr} before ${k} sent anything out (the chassis resolves the upstream next hop for the reply)`,
      )
      if (!inbound) {
        await diagnose(t, [[k === 'fa' ? 'A' : 'B', host, agent]], [addr])
        t.ok(
          await pings(w.ns, UPSTREAM),
          `${k} reaches the outside host through its floating IP (its chassis learns the upstream next hop from it)`,
        )
        t.ok(
          await until(`ping ${k}'s floating IP`, async () => await pings(outside, addr), 20_000).catch(() => false),
          `then outside pings ${k}'s floating IP ${addr}`,
        )
      }
      const reply = await inNs(outside, 'ping', '-c', '1', '-W', '1', addr)
      t.match(reply.stdout, new RegExp(`from ${addr.replace(/\./g, '\\.')}`), 'the echo reply comes from the floating IP')
      t.ok(await tcpProbe(outside, addr, 5001), `TCP to ${addr}:5001 reaches ${k}'s echo server`)
      t.equal(await lladdr(addr), (fipPort.mac_address as string).toLowerCase(), `outside learned the floating IP port's MAC for ${addr}`)
      const [here, there] = [await dump(host), await dump(away)]
      t.ok(arpFor(here, addr).length > 0 && sum(arpFor(here, addr)) > 0, `${k}'s chassis answered the ARP for ${addr}`)
      t.same(arpFor(there, addr), [], 'the other chassis has no ARP answer for it')
      t.ok(await pings(w.ns, UPSTREAM), `${k} reaches the outside host through its floating IP`)
    }
    await agentA.checkFlows(t, 'A')
    await agentB.checkFlows(t, 'B')
  })

  await t.test('the gateway IP answers ARP from exactly one chassis, the rendezvous winner', async t => {
    const ofportOn = async (name: string): Promise<string> => (await ovsA.vsctl('get', 'Interface', name, 'ofport')).trim()
    const fromOther = await gwMacSent.stop()
    t.same(fromOther, [], `${otherId} sent nothing from the gateway MAC onto physnet1 while its workload talked to the outside host`)
    const fdb = (await ovsA.appctl('fdb/show', 'br-phy')).split('\n').find(l => l.includes((gwPort.mac_address as string).toLowerCase()))
    t.comment(
      `A's br-phy has the gateway MAC at: ${fdb?.trim() ?? 'not learned'} (veth ${await ofportOn(veth)}, patch ${await ofportOn(patchPortNames('physnet1').phys)})`,
    )
    const firstTry = Date.now()
    t.ok(
      await until('ping the gateway IP', async () => await pings(outside, gwIp, 1), 60_000, 0).catch(() => false),
      `outside pings the router's gateway IP ${gwIp}`,
    )
    t.comment(`the gateway IP answered outside after ${Date.now() - firstTry} ms`)
    t.equal(await lladdr(gwIp), (gwPort.mac_address as string).toLowerCase(), "with the gateway port's MAC")
    const before = { gw: sum(arpFor(await dump(gw.ovs), gwIp)), other: sum(arpFor(await dump(other.ovs), gwIp)) }
    const arping = await inNs(outside, 'busybox', 'arping', '-c', '3', '-w', '3', '-I', 'eth0', gwIp)
    t.match(
      arping.stdout,
      /Received 3 repl|Received 3 response/,
      `3 ARP requests, 3 replies (not 6): ${arping.stdout.trim().split('\n').pop() ?? ''}`,
    )
    t.ok(
      sum(arpFor(await dump(gw.ovs), gwIp)) - before.gw >= 3,
      `${expectedGw}, the gateway chassis sha1(router, chassis) picks, answered them`,
    )
    t.same(arpFor(await dump(other.ovs), gwIp), [], `${otherId} has no ARP answer for the gateway IP`)
    t.equal(before.other, 0, 'and answered none')
  })

  await t.test('SNAT from both chassis: ports without a floating IP leave from the gateway IP', async t => {
    // one port on each chassis without a floating IP; the non-gateway chassis tunnels their traffic to the
    // gateway chassis, which translates it (BEHAVIOUR.md "SNAT for ports without a floating IP")
    const [sa, sb] = (await batch(
      [
        'port create sa --network tn --host chassis-a --security-group open -f json',
        'port create sb --network tn --host chassis-b --security-group open -f json',
      ],
      2,
    )) as [Obj, Obj]
    const wsa = await plugAndLease(t, 'sa', ovsA, sa)
    const wsb = await plugAndLease(t, 'sb', ovsB, sb)
    for (const [k, w] of [
      ['sa', wsa],
      ['sb', wsb],
    ] as const) {
      const capture = spawnIn(t, outside, 'tcpdump', ['-i', 'eth0', '-nn', '-l', '-q', '--immediate-mode', 'icmp[icmptype] == icmp-echo'])
      await until('tcpdump listening outside', async () => capture.output().includes('listening on'), 10_000, 50)
      // the outside host has no route to 10.82.0.0/24: the reply comes back only to a translated source
      const answered = await until(`${k} pings outside`, async () => await pings(w.ns, UPSTREAM, 1), 20_000).catch(() => false)
      await until('the request captured', async () => / > 203\.0\.113\.1:/.test(capture.output()), 3000, 50).catch(() => undefined)
      await capture.stop()
      t.ok(
        answered,
        `${k} (chassis ${k === 'sa' ? 'a' : 'b'}${(k === 'sa' ? 'chassis-a' : 'chassis-b') === expectedGw ? ', the gateway chassis' : ', redirected to the gateway chassis'}) reaches the outside host`,
      )
      t.equal(
        /IP (\d+\.\d+\.\d+\.\d+) > 203\.0\.113\.1:/.exec(capture.output())?.[1],
        gwIp,
        `and the outside host sees ${k} as the gateway IP ${gwIp}`,
      )
    }
    await agentA.checkFlows(t, 'A')
    await agentB.checkFlows(t, 'B')
  })

  await t.test('gateway takeover when the gateway chassis goes', async t => {
    t.equal(await gw.agent.kill('SIGTERM'), 0, `${expectedGw}'s agent stopped with 0 on SIGTERM`)
    // a stopped agent leaves its flows in OVS (never flush), and they would go on answering for the gateway: a
    // chassis that goes down takes its datapath with it, so its br-int is emptied too
    t.ok(arpFor(await dump(gw.ovs), gwIp).length > 0, 'the stopped agent left its flows (the gateway ARP answer among them)')
    await gw.ovs.ofctl('del-flows', 'br-int')
    const row = await store.get(TABLES.chassis, expectedGw)
    await store.delete(TABLES.chassis, expectedGw)
    const t0 = Date.now()
    t.equal(await store.get(TABLES.chassis, expectedGw), undefined, `${expectedGw}'s chassis row deleted (it was v${row?.version ?? '?'})`)
    await until(`${otherId} to answer for the gateway`, async () => arpFor(await dump(other.ovs), gwIp).length > 0, 30_000)
    const compiled = Date.now() - t0
    const recovered = await until(
      'the gateway IP to answer again',
      async () => (await inNs(outside, 'ping', '-c', '1', '-W', '1', gwIp)).code === 0,
      90_000,
      0,
    ).then(
      () => Date.now() - t0,
      () => undefined,
    )
    t.comment(
      `gateway takeover: ${otherId} compiled the gateway ARP answer ${compiled} ms after the row delete; outside's ping of ${gwIp} worked again after ${recovered ?? 'more than 90000'} ms`,
    )
    t.ok(
      recovered !== undefined && recovered <= 30_000,
      `the gateway IP answers again through ${otherId} within 30 s (${recovered ?? '>90000'} ms)`,
    )
    t.equal(await lladdr(gwIp), (gwPort.mac_address as string).toLowerCase(), 'with the same gateway MAC')
    const n0 = sum(arpFor(await dump(other.ovs), gwIp))
    await inNs(outside, 'busybox', 'arping', '-c', '2', '-w', '3', '-I', 'eth0', gwIp)
    t.ok(sum(arpFor(await dump(other.ovs), gwIp)) - n0 >= 2, `${otherId} now answers ARP for the gateway IP`)
    const survivor = expectedGw === 'chassis-a' ? 'fb' : 'fa'
    t.ok(await pings(outside, fips[survivor].floating_ip_address as string), `${survivor}'s floating IP (on ${otherId}) still answers`)
    await other.agent.checkFlows(t, otherId)
  })

  for (const [name, a] of [
    ['A', agentA],
    ['B', agentB],
  ] as const) {
    const warnings = a.out.split('\n').filter(l => /^agent: .*(failed|refused|reported|further|no ofport)|^packet-in:|^openflow:/.test(l))
    t.same(warnings, [], `no unexpected warning in agent ${name}'s log`)
  }
  for (const a of agents) if (a.child?.exitCode === null) t.equal(await a.kill('SIGTERM'), 0, 'the remaining agent exits with 0 on SIGTERM')
})
