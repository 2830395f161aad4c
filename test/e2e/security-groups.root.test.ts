// Security groups end to end, with real packets (needs root): one `dragonflow serve` node, the real `openstack`
// CLI, workloads in namespaces plugged with `dragonflow plug`, leases from busybox udhcpc, traffic from ping,
// busybox nc (TCP) and a small UDP client, against an echo server (TCP and UDP) in every workload.
// Semantics: datapath/BEHAVIOUR.md "Security groups" (Neutron's). One topology serves every scenario:
//
//   sgn1 10.51.0.0/24 ── router sgr ── sgn2 10.52.0.0/24
//     a1, a2  default group (ingress from members of default, egress open)
//     x       group lonely: egress only (what `security group create` gives), so no ingress at all
//     t       group web: ICMP from 10.51.0.0/24, TCP 5001 from group default, TCP 6000-6010 from a1/32, UDP 7001
//             from 10.51.0.0/24
//     z       group sl, stateless: ICMP and TCP 5001 in from 10.51.0.0/24, its egress rules deleted
//     p       port security off, no group
//   on sgn2:
//     b       group routed: TCP 5001 from 10.51.0.0/24, ICMP from group default
//
// Every scenario checks what passes first (so the flows are in place), then what must not, and ends with the
// recompute oracle (`node.checkFlows`).
import t, { type Test } from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { jsonDocuments, noAuthEnv, openstack } from '../northbound/helpers/api-process.js'
import { appctl, echoServer, inNs, pings, startNode, tcpProbe, tcpStream, udpProbe, until } from './serve-node.js'
import { leaseIn, writeUdhcpcScript } from './udhcpc.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

t.test('security groups with real traffic', { timeout: 300_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = await startNode(t, `g${tag}`)
  const env = noAuthEnv(node.url)
  const cli = async (...args: string[]): Promise<Obj | undefined> => {
    const r = await openstack(env, args)
    if (r.code !== 0) node.fail(`openstack ${args.join(' ')}: ${r.stderr}`)
    return jsonDocuments(r.stdout)[0] as Obj | undefined
  }

  // --- the topology, through the real CLI (one session)
  const docs = await node.openstackBatch(
    [
      'network create sgn1 -f json',
      'network create sgn2 -f json',
      'subnet create sgs1 --network sgn1 --subnet-range 10.51.0.0/24 -f json',
      'subnet create sgs2 --network sgn2 --subnet-range 10.52.0.0/24 -f json',
      'router create sgr -f json',
      'router add subnet sgr sgs1',
      'router add subnet sgr sgs2',
      'security group create lonely -f json',
      'security group create web -f json',
      'security group create sl --stateless -f json',
      'security group create routed -f json',
      'port create a1 --network sgn1 -f json',
      'port create a2 --network sgn1 -f json',
      'port create x --network sgn1 --security-group lonely -f json',
      'port create t --network sgn1 --security-group web -f json',
      'port create z --network sgn1 --security-group sl -f json',
      'port create p --network sgn1 --disable-port-security --no-security-group -f json',
      'port create b --network sgn2 --security-group routed -f json',
      'security group rule list sl -f json',
    ],
    17,
  )
  const [, , , , , , , sl, , a1, a2, x, tp, z, p, b, slRules] = docs as Obj[] as [
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj,
    Obj[],
  ]
  const ports = { a1, a2, x, t: tp, z, p, b }
  type Name = keyof typeof ports
  const ip = (name: Name): string => ports[name].fixed_ips[0].ip_address as string
  t.equal(sl.stateful, false, 'sl was created stateless')
  t.same(a1.security_group_ids.length, 1, "a port created with no group is in one group (the project's default)")
  t.same(p.security_group_ids, [], 'p has no group')
  t.equal(p.port_security_enabled, false, 'p has port security off')
  const slEgress = slRules.filter(r => r.Direction === 'egress').map(r => r.ID as string)
  t.equal(slEgress.length, 2, 'a new group comes with two egress rules (IPv4, IPv6), as in Neutron')

  // --- the rules (a1's address is known now); sl loses its egress rules: replies need their own rule
  const rules = await node.openstackBatch(
    [
      'security group rule create web --ingress --protocol icmp --remote-ip 10.51.0.0/24 -f json',
      'security group rule create web --ingress --protocol tcp --dst-port 5001 --remote-group default -f json',
      `security group rule create web --ingress --protocol tcp --dst-port 6000:6010 --remote-ip ${ip('a1')}/32 -f json`,
      'security group rule create web --ingress --protocol udp --dst-port 7001 --remote-ip 10.51.0.0/24 -f json',
      'security group rule create sl --ingress --protocol icmp --remote-ip 10.51.0.0/24 -f json',
      'security group rule create sl --ingress --protocol tcp --dst-port 5001 --remote-ip 10.51.0.0/24 -f json',
      `security group rule delete ${slEgress.join(' ')}`,
      'security group rule create routed --ingress --protocol tcp --dst-port 5001 --remote-ip 10.51.0.0/24 -f json',
      'security group rule create routed --ingress --protocol icmp --remote-group default -f json',
    ],
    8,
  )
  const web5001 = rules[1] as Obj

  // --- workloads, plugged as a hypervisor would; IPv4 only (their IPv6 chatter is noise here)
  const ns = Object.fromEntries(Object.keys(ports).map(k => [k, `sg${k}${tag}`])) as Record<Name, string>
  for (const k of Object.keys(ports) as Name[]) await node.plug(ports[k].id as string, ns[k])
  const status = async (id: string): Promise<string> =>
    ((await (await fetch(`${node.url}/v2.0/ports/${id}`)).json()) as Obj).port.status as string
  for (const k of Object.keys(ports) as Name[])
    await until(`port ${k} ACTIVE`, async () => (await status(ports[k].id as string)) === 'ACTIVE')
  for (const k of Object.keys(ports) as Name[]) await inNs(ns[k], 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')

  // DHCP is always allowed, whatever the groups: x (no ingress rule at all) and z (no egress rule) get leases
  const script = writeUdhcpcScript(node.dir)
  const leases = await Promise.all((Object.keys(ports) as Name[]).map(async k => [k, await leaseIn(ns[k], script)] as const))
  for (const [k, lease] of leases) t.equal(lease.ip, ip(k), `${k} leased its fixed IP over DHCP`)

  await echoServer(t, ns.a1, { tcp: [5001] })
  await echoServer(t, ns.a2, { tcp: [5001] })
  await echoServer(t, ns.x, { tcp: [5001], udp: [7001] })
  await echoServer(t, ns.t, { tcp: [5001, 5002, 6000, 6005, 6010, 6011], udp: [5001, 7001, 7002] })
  await echoServer(t, ns.z, { tcp: [5001] })
  await echoServer(t, ns.p, { tcp: [5002], udp: [7002] })
  await echoServer(t, ns.b, { tcp: [5001, 5002] })

  const ping = (from: Name, to: string): Promise<boolean> => pings(ns[from], to in ports ? ip(to as Name) : to)
  const tcp = (from: Name, to: Name, port: number): Promise<boolean> => tcpProbe(ns[from], ip(to), port)
  const udp = (from: Name, to: Name, port: number): Promise<boolean> => udpProbe(ns[from], ip(to), port)
  /** Checks that must all fail, run side by side (each failure costs its timeout). */
  const blocked = async (t: Test, checks: Array<[string, () => Promise<boolean>]>): Promise<void> => {
    const results = await Promise.all(checks.map(async ([, f]) => await f()))
    checks.forEach(([what], i) => {
      t.notOk(results[i], `${what} does not pass`)
    })
  }

  await t.test('the default group: members reach each other, a port of another group neither way', async t => {
    t.ok(await until('a1 -> a2', async () => await ping('a1', 'a2')), 'ping a1 -> a2 (both in default: ingress from members)')
    t.ok(await ping('a2', 'a1'), 'ping a2 -> a1')
    t.ok(await tcp('a1', 'a2', 5001), 'TCP a1 -> a2:5001')
    t.ok(await tcp('a2', 'a1', 5001), 'TCP a2 -> a1:5001')
    // Neutron: x's egress is open, but a1 takes ingress only from members of default, and x's group has no
    // ingress rule, so a1 cannot reach x either: no traffic either way
    t.ok(await ping('x', '10.51.0.1'), "x's egress is open: it pings the router (answered in place)")
    await blocked(t, [
      ['ping x -> a1 (x is no member of default)', () => ping('x', 'a1')],
      ['TCP x -> a1:5001', () => tcp('x', 'a1', 5001)],
      ['ping a1 -> x (lonely has no ingress rule)', () => ping('a1', 'x')],
      ['TCP a1 -> x:5001', () => tcp('a1', 'x', 5001)],
      ['UDP a1 -> x:7001', () => udp('a1', 'x', 7001)],
    ])
    await node.checkFlows(t)
  })

  await t.test('rules: ICMP, a TCP port and a range, UDP, from a CIDR and from a remote group', async t => {
    t.ok(await until('a1 -> t', async () => await ping('a1', 't'), 10_000), 'ping a1 -> t (ICMP from 10.51.0.0/24)')
    t.ok(await ping('x', 't'), 'ping x -> t (the CIDR rule needs no group)')
    t.ok(await tcp('a1', 't', 5001), 'TCP a1 -> t:5001 (from group default)')
    t.ok(await tcp('a2', 't', 5001), 'TCP a2 -> t:5001 (from group default)')
    for (const port of [6000, 6005, 6010]) t.ok(await tcp('a1', 't', port), `TCP a1 -> t:${port} (range 6000-6010 from a1/32)`)
    t.ok(await udp('a1', 't', 7001), 'UDP a1 -> t:7001 and its reply')
    t.ok(await udp('x', 't', 7001), 'UDP x -> t:7001 and its reply')
    await blocked(t, [
      ['TCP x -> t:5001 (x is no member of default)', () => tcp('x', 't', 5001)],
      ['TCP a2 -> t:6005 (the range admits a1/32 only)', () => tcp('a2', 't', 6005)],
      ['TCP a1 -> t:6011 (outside the range)', () => tcp('a1', 't', 6011)],
      ['TCP a1 -> t:5002 (no rule)', () => tcp('a1', 't', 5002)],
      ['UDP a1 -> t:7002 (no rule)', () => udp('a1', 't', 7002)],
      ['UDP a1 -> t:5001 (the rule for 5001 is TCP)', () => udp('a1', 't', 5001)],
      // stateful: t's replies above reached a1, whose ingress admits members of default only; t's own
      // connections to a1 do not
      ['ping t -> a1 (a1 admits members of default only)', () => ping('t', 'a1')],
      ['TCP t -> a1:5001', () => tcp('t', 'a1', 5001)],
    ])
    t.pass("the replies of a1 -> t passed a1's ingress without a rule for t (stateful)")
    // the connection table of the netdev datapath holds a1 -> t:5001 in a zone (one per network)
    const ct = (await appctl(node, 'dpctl/dump-conntrack'))
      .split('\n')
      .filter(l => l.startsWith('tcp,') && l.includes(`src=${ip('a1')},dst=${ip('t')},`) && l.includes('dport=5001'))
    t.ok(ct.length > 0 && ct.every(l => /zone=\d+/.test(l)), `conntrack holds a1 -> t:5001 in a zone: ${ct[0] ?? 'none'}`)
    await node.checkFlows(t)
  })

  await t.test('removing a rule cuts an open TCP connection; adding it back lets connections through again', async t => {
    const s = tcpStream(t, ns.a1, ip('t'), 5001)
    await until('the stream to carry data', async () => s.received() > 0, 10_000)
    const r0 = s.received()
    await until('the stream to keep carrying data', async () => s.received() > r0, 5_000)
    t.pass('a1 -> t:5001 carries a line every 200 ms, echoed back')
    await cli('security', 'group', 'rule', 'delete', web5001.id as string)
    // How the test knows data stopped: the client keeps writing a line every 200 ms (sent() grows) while the
    // echoed bytes received stay put. The window starts 1 s after the delete returned.
    await sleep(1000)
    const [r1, s1] = [s.received(), s.sent()]
    await until('a1 to write 5 more lines', async () => s.sent() >= s1 + 5, 5_000)
    t.equal(
      s.received(),
      r1,
      `within 1 s of the delete the connection carries nothing: ${s.sent() - s1} lines sent, ${s.received() - r1} bytes back`,
    )
    await blocked(t, [
      ['a new TCP connection a1 -> t:5001', () => tcp('a1', 't', 5001)],
      ['a new TCP connection a2 -> t:5001', () => tcp('a2', 't', 5001)],
    ])
    t.ok(await tcp('a1', 't', 6005), 'the other rules still hold (TCP a1 -> t:6005)')
    const again = await cli(
      'security',
      'group',
      'rule',
      'create',
      'web',
      '--ingress',
      '--protocol',
      'tcp',
      '--dst-port',
      '5001',
      '--remote-group',
      'default',
      '-f',
      'json',
    )
    t.ok(again?.id, 'the rule is back')
    t.ok(
      await until('a new connection a1 -> t:5001', async () => await tcp('a1', 't', 5001), 10_000),
      'new connections a1 -> t:5001 work again',
    )
    // BEHAVIOUR.md: the blocked connection resumes when a rule allows it again (at TCP's next retransmission)
    const r2 = s.received()
    t.ok(
      await until('the old connection to resume', async () => s.received() > r2, 30_000).catch(() => false),
      'the open connection carries data again',
    )
    await s.stop()
    await node.checkFlows(t)
  })

  await t.test('a stateless group: replies need their own rule', async t => {
    const icmp = async (): Promise<{ inEchos: number; outEchoReps: number }> => {
      // the namespace's own ICMP counters (/proc/net/snmp is per network namespace)
      const lines = (await inNs(ns.z, 'cat', '/proc/net/snmp')).stdout.split('\n').filter(l => l.startsWith('Icmp:'))
      const [names, values] = lines.map(l => l.split(/\s+/).slice(1)) as [string[], string[]]
      const v = (n: string): number => Number(values[names.indexOf(n)])
      return { inEchos: v('InEchos'), outEchoReps: v('OutEchoReps') }
    }
    const before = await icmp()
    t.notOk(await ping('a1', 'z'), 'ping a1 -> z fails: z has no egress rule for its replies')
    const after = await icmp()
    t.ok(
      after.inEchos - before.inEchos >= 2,
      `the requests reached z (its ingress rule admits them): ${after.inEchos - before.inEchos} echo requests in`,
    )
    t.ok(after.outEchoReps - before.outEchoReps >= 2, 'z answered them; the answers were dropped on the way out')
    t.notOk(await tcp('a1', 'z', 5001), 'TCP a1 -> z:5001 fails the same way (the SYN-ACK has no rule)')
    await cli('security', 'group', 'rule', 'create', 'sl', '--egress', '--protocol', 'icmp', '-f', 'json')
    t.ok(await until('ping a1 -> z', async () => await ping('a1', 'z'), 10_000), 'with an egress ICMP rule, the replies pass')
    t.notOk(await tcp('a1', 'z', 5001), 'TCP still fails: the ICMP rule does not cover TCP replies')
    // the reply goes to a1's ephemeral port: a stateless rule for it must cover every destination port
    await cli('security', 'group', 'rule', 'create', 'sl', '--egress', '--protocol', 'tcp', '-f', 'json')
    t.ok(await until('TCP a1 -> z', async () => await tcp('a1', 'z', 5001), 10_000), 'with an egress TCP rule, TCP a1 -> z:5001 works')
    await node.checkFlows(t)
  })

  await t.test('port security off: everything passes, no anti-spoofing', async t => {
    t.ok(await until('x -> p', async () => await ping('x', 'p'), 10_000), "ping x -> p (nothing filters p's ingress)")
    t.ok(await tcp('x', 'p', 5002), 'TCP x -> p:5002')
    t.ok(await udp('x', 'p', 7002), 'UDP x -> p:7002')
    t.ok(await ping('p', '10.52.0.1'), "p reaches the router's far side")
    t.ok(await ping('p', 't'), 'ping p -> t (t admits ICMP from 10.51.0.0/24)')
    t.notOk(await ping('p', 'a1'), "the other end's groups still apply: a1 admits members of default only")
    // no anti-spoofing on p: another source IP and MAC reach t (which admits ICMP from 10.51.0.0/24), and t's
    // replies find the spoofer (its ARP answer and the flooded unknown MAC)
    const mac = p.mac_address as string
    await inNs(ns.p, 'ip', 'addr', 'add', '10.51.0.222/24', 'dev', 'eth0')
    await inNs(ns.p, 'ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:99:99:98')
    t.ok(
      await until('spoofed p -> t', async () => await pings(ns.p, ip('t'), 2, { from: '10.51.0.222' }), 10_000),
      'p, with a source IP and MAC not its own, reaches t and gets replies',
    )
    await inNs(ns.p, 'ip', 'addr', 'del', '10.51.0.222/24', 'dev', 'eth0')
    await inNs(ns.p, 'ip', 'link', 'set', 'eth0', 'address', mac)
    // the control: the same spoof from a port with port security (a2) gets nowhere
    await inNs(ns.a2, 'ip', 'addr', 'add', '10.51.0.223/24', 'dev', 'eth0')
    t.notOk(await pings(ns.a2, ip('t'), 2, { from: '10.51.0.223' }), 'the same spoof from a2 (port security on) is dropped')
    await inNs(ns.a2, 'ip', 'addr', 'del', '10.51.0.223/24', 'dev', 'eth0')
    await node.checkFlows(t)
  })

  await t.test("across the router: the destination's rules apply to routed traffic", async t => {
    t.ok(await until('a1 -> b', async () => await ping('a1', 'b'), 10_000), 'ping a1 -> b, routed (ICMP from group default)')
    t.ok(await tcp('a1', 'b', 5001), 'TCP a1 -> b:5001, routed (from 10.51.0.0/24)')
    t.ok(await tcp('x', 'b', 5001), 'TCP x -> b:5001, routed (the CIDR rule needs no group)')
    await blocked(t, [
      ['routed ping x -> b (x is no member of default)', () => ping('x', 'b')],
      ['routed TCP a1 -> b:5002 (no rule)', () => tcp('a1', 'b', 5002)],
      ["routed ping b -> a1 (a1 admits members of default only; its own pings' replies came back)", () => ping('b', 'a1')],
      ['routed TCP b -> a1:5001', () => tcp('b', 'a1', 5001)],
    ])
    await node.checkFlows(t)
  })

  const warnings = node
    .log()
    .split('\n')
    .filter(l => /^agent: .*(failed|refused|reported|further)|^packet-in:|^openflow:/.test(l))
  t.same(warnings, [], 'no unexpected warning in the agent log')
})
