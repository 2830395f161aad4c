// IPv6 neighbour discovery through real OVS with real kernel IPv6 stacks (needs root), issue 5.
//
// `dragonflow serve` with its private OVS; through the real `openstack` CLI two networks, each with an IPv4 and an
// IPv6 subnet, a router on all four subnets, ports created after the subnets (so each gets one address of each
// family). The IPv6 subnets are created with neither --ipv6-ra-mode nor --ipv6-address-mode: Neutron then
// allocates every port a fixed address from the pool and promises nothing on the wire (no RA, no DHCPv6). That
// keeps this test about neighbour discovery alone (router advertisements on slaac and dhcpv6 subnets are proven
// by ipv6-ra.root.test.ts): workloads set their IPv6 address statically from the port's fixed_ips, with `nodad`
// (DAD would only delay the test: nothing else claims the address), and a default route to the router's IPv6
// interface address. IPv4 comes from our DHCP server (busybox udhcpc with our own script), which must lease the
// IPv4 fixed IP of a dual-stack port.
//
// What is proven with the kernels' own neighbour caches:
// - ping -6 within a network; the sender learned the peer's MAC from an NA built by our responder: the NS was
//   punted (n_packets of the ls_in_arp_nd_rsp punt flow for that target grows) and the peer never saw it;
// - ping -6 to the router's IPv6 address; its NA carries the router flag (`ip -6 neigh` shows `router`);
// - ping -6 across the router (a separate subtest);
// - port security: an NA claiming another port's address, an NS sourced from another port's address and a ping
//   from an IPv6 source the port does not own are dropped; link-local traffic and the port's own NA/NS pass;
// - an NS for an unknown target is not answered by the responder (nobody answers it);
// - duplicate address detection: the responder's NA to a DAD probe for another port's address makes it fail.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { Ipv6Address as PktIpv6, MacAddress as PktMac } from '../../datapath/host/addresses.js'
import { buildFrame, ethernet, ip6, ndNa, ndNs } from '../../datapath/host/packet-builder.js'
import { capture, startNode, exec, inNs, until } from './serve-node.js'
import { leaseIn, writeUdhcpcScript } from './udhcpc.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')

const v4of = (p: Obj): string => (p.fixed_ips as Obj[]).find(f => !(f.ip_address as string).includes(':'))?.ip_address as string
const v6of = (p: Obj): string => (p.fixed_ips as Obj[]).find(f => (f.ip_address as string).includes(':'))?.ip_address as string

/** Send one raw Ethernet frame out of eth0 of a namespace (AF_PACKET from the system python). */
const sendFrame = async (ns: string, frame: Uint8Array): Promise<void> => {
  const py = 'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind(("eth0",0))\ns.send(bytes.fromhex(sys.argv[1]))'
  const r = await inNs(ns, '/usr/bin/python3', '-c', py, Buffer.from(frame).toString('hex'))
  if (r.code !== 0) throw new Error(`raw send in ${ns}: ${r.stderr}`)
}

/** Solicited-node multicast address (RFC 4291 2.7.1) and its MAC (RFC 2464 7). */
const solicitedNode = (ip: string): { ip: PktIpv6; mac: PktMac } => {
  const b = PktIpv6.parse(ip).bytes
  const tail = [b[13] ?? 0, b[14] ?? 0, b[15] ?? 0]
  const hex = (n: number): string => n.toString(16)
  return {
    ip: PktIpv6.parse(`ff02::1:ff${hex(tail[0] ?? 0)}:${hex(((tail[1] ?? 0) << 8) | (tail[2] ?? 0))}`),
    mac: PktMac.parse(`33:33:ff:${tail.map(x => x.toString(16).padStart(2, '0')).join(':')}`),
  }
}

t.test('IPv6 neighbour discovery through real OVS', { timeout: 600_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = await startNode(t, `6${tag}`)
  const fail = (what: string): never => node.fail(what)

  // --- the topology through the real CLI (one interactive session: one Python start)
  const docs = await node.openstackBatch(
    [
      'network create n1 -f json',
      'network create n2 -f json',
      'subnet create s1 --network n1 --subnet-range 10.61.0.0/24 -f json',
      'subnet create s1v6 --network n1 --ip-version 6 --subnet-range fd61::/64 -f json',
      'subnet create s2 --network n2 --subnet-range 10.62.0.0/24 -f json',
      'subnet create s2v6 --network n2 --ip-version 6 --subnet-range fd62::/64 -f json',
      'router create r1 -f json',
      'router add subnet r1 s1',
      'router add subnet r1 s2',
      'router add subnet r1 s1v6',
      'router add subnet r1 s2v6',
      'port create a1 --network n1 -f json',
      'port create a2 --network n1 -f json',
      'port create a3 --network n1 -f json',
      'port create b1 --network n2 -f json',
      // the default group admits its members' fixed IPs only (as Neutron's): link-local traffic between the
      // workloads needs its own rule
      'security group rule create default --ingress --ethertype IPv6 --protocol ipv6-icmp --remote-ip fe80::/10 -f json',
    ],
    12,
  )
  const [, , , s1v6, , s2v6, , a1, a2, a3, b1] = docs as [Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj, Obj]
  t.equal(s1v6.ipv6_address_mode, null, 'the IPv6 subnet has no address mode (addresses from fixed_ips only)')
  const ports = { a1, a2, a3, b1 }
  for (const [k, p] of Object.entries(ports)) {
    t.ok(v4of(p) !== undefined && v6of(p) !== undefined, `${k} got an IPv4 and an IPv6 fixed IP (${String(v4of(p))}, ${String(v6of(p))})`)
  }
  const gw6 = { n1: s1v6.gateway_ip as string, n2: s2v6.gateway_ip as string }

  // --- workloads: IPv4 from our DHCP server (on dual-stack ports it must lease the IPv4 fixed IP), IPv6 static
  const ns = { a1: `d6a${tag}`, a2: `d6b${tag}`, a3: `d6c${tag}`, b1: `d6d${tag}` }
  const script = writeUdhcpcScript(node.dir)
  for (const [k, p] of Object.entries(ports)) {
    const n = ns[k as keyof typeof ns]
    await node.plug(p.id as string, n)
    const onN1 = k.startsWith('a')
    const a = await inNs(n, 'ip', '-6', 'addr', 'add', `${v6of(p)}/64`, 'dev', 'eth0', 'nodad')
    if (a.code !== 0) fail(`ip -6 addr add in ${k}: ${a.stderr}`)
    const rt = await inNs(n, 'ip', '-6', 'route', 'add', 'default', 'via', onN1 ? gw6.n1 : gw6.n2, 'dev', 'eth0')
    if (rt.code !== 0) fail(`ip -6 route add in ${k}: ${rt.stderr}`)
  }
  const status = async (id: string): Promise<string> =>
    ((await (await fetch(`${node.url}/v2.0/ports/${id}`)).json()) as Obj).port.status as string
  for (const p of Object.values(ports))
    await until(`port ${p.name as string} ACTIVE`, async () => (await status(p.id as string)) === 'ACTIVE')
  for (const [k, p] of Object.entries(ports)) {
    const lease = await leaseIn(ns[k as keyof typeof ns], script)
    t.same(
      { ip: lease.ip, router: lease.router },
      { ip: v4of(p), router: k.startsWith('a') ? '10.61.0.1' : '10.62.0.1' },
      `${k} leased its IPv4 fixed IP over DHCP on a dual-stack port`,
    )
  }

  /** n_packets of the ND punt flow (ls_in_arp_nd_rsp, NS for `target`, to the controller). */
  const puntCount = async (target: string): Promise<number | undefined> => {
    const d = await exec('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-flows', 'br-int', `icmp6,icmpv6_type=135,nd_target=${target}`], {
      env: node.ovsEnv(),
    })
    const line = d.stdout.split('\n').find(l => l.includes('CONTROLLER'))
    const m = line === undefined ? null : /n_packets=(\d+)/.exec(line)
    return m === null ? undefined : Number(m[1])
  }
  const ping6 = async (from: keyof typeof ns, to: string, count = 2): Promise<boolean> =>
    (await inNs(ns[from], 'ping', '-6', '-c', String(count), '-i', '0.2', '-W', '2', to)).code === 0
  const neigh = async (from: keyof typeof ns, ip: string): Promise<string> =>
    (await inNs(ns[from], 'ip', '-6', 'neigh', 'show', ip, 'dev', 'eth0')).stdout.trim()

  // --- same network: the NS is punted and answered by the responder with a2's port MAC
  const a2v6 = v6of(a2)
  const before = await puntCount(a2v6)
  if (before === undefined) fail(`no ND punt flow for ${a2v6}:\n${(await node.flows()).join('\n')}`)
  // a2 listens: a solicitation for its address must not reach it (the responder answers in its place)
  const cap = await capture(ns.a2, 'icmp6 and ip6[40] == 135', 6)
  t.ok(await until('ping -6 a1 -> a2', async () => await ping6('a1', a2v6)), 'ping -6 a1 -> a2 (same network)')
  const learned = await neigh('a1', a2v6)
  t.match(learned, new RegExp(`lladdr ${(a2.mac_address as string).toLowerCase()}`), `a1 learned a2's port MAC (${learned})`)
  const after = (await puntCount(a2v6)) ?? 0
  t.ok(after > (before ?? 0), `the NS for a2 went to the packet-in path (punt flow n_packets ${String(before)} -> ${after})`)
  const seen = await cap.done
  t.notMatch(seen, new RegExp(`who has ${a2v6.replace(/\./g, '\\.')}`), 'a2 itself never saw the solicitation for its address')

  // --- the router: its NA carries the router flag
  const gwBefore = await puntCount(gw6.n1)
  if (gwBefore === undefined) fail(`no ND punt flow for the router address ${gw6.n1}`)
  t.ok(await until('ping -6 the router', async () => await ping6('a1', gw6.n1)), `ping -6 a1 -> the router's address ${gw6.n1}`)
  const gwAfter = (await puntCount(gw6.n1)) ?? 0
  t.ok(
    gwAfter > (gwBefore ?? 0),
    `the NS for the router address was answered through the packet-in path (n_packets ${String(gwBefore)} -> ${gwAfter})`,
  )
  t.match(await neigh('a1', gw6.n1), /\brouter\b/, 'the router\'s NA carried the router flag (ip -6 neigh shows "router")')

  // --- across the router (kept as its own subtest: the routing tables are being restructured)
  await t.test('ping -6 across the router', async t => {
    t.ok(await until('ping -6 a1 -> b1', async () => await ping6('a1', v6of(b1)), 20_000), `ping -6 a1 -> b1 (${v6of(b1)}, other network)`)
    t.ok(await ping6('b1', v6of(a1)), 'ping -6 b1 -> a1 (the other way)')
    t.match(await neigh('b1', gw6.n2), /\brouter\b/, 'b1 resolved its gateway, a router')
  })

  // --- an NS for an unknown target: no NA comes back (the responder has no entry; nobody owns it)
  const unknown = 'fd61::dead:beef'
  const sn = solicitedNode(unknown)
  const a1mac = PktMac.parse(a1.mac_address as string)
  const a1ll = (await inNs(ns.a1, 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link')).stdout
  const a1llAddr = /inet6 (fe80::[0-9a-f:]+)\//.exec(a1ll)?.[1]
  if (a1llAddr === undefined) fail(`a1 has no link-local address: ${a1ll}`)
  const naCap = await capture(ns.a1, 'icmp6 and ip6[40] == 136', 3)
  const unknownBefore = await puntCount(unknown)
  await sendFrame(
    ns.a1,
    buildFrame([
      ethernet({ src: a1mac, dst: sn.mac }),
      ip6({ src: PktIpv6.parse(a1llAddr as string), dst: sn.ip, hopLimit: 255 }),
      ndNs({ target: PktIpv6.parse(unknown), sll: a1mac }),
    ]),
  )
  const naSeen = await naCap.done
  t.equal(unknownBefore, undefined, 'there is no punt flow for an unknown target')
  t.notMatch(naSeen, /advertisement/, 'no neighbour advertisement answered the NS for an unknown target')

  // --- port security: a2 claims a1's address in an NA; a3 (holding a1 in its cache) must not see it
  const a1v6 = v6of(a1)
  t.ok(await until('ping -6 a3 -> a1', async () => await ping6('a3', a1v6)), 'ping -6 a3 -> a1 (a3 caches a1)')
  const a2mac = PktMac.parse(a2.mac_address as string)
  const a2ll = /inet6 (fe80::[0-9a-f:]+)\//.exec(
    (await inNs(ns.a2, 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link')).stdout,
  )?.[1]
  if (a2ll === undefined) fail('a2 has no link-local address')
  const allNodes = { ip: PktIpv6.parse('ff02::1'), mac: PktMac.parse('33:33:00:00:00:01') }
  const na = (target: string, tll: PktMac): Uint8Array =>
    buildFrame([
      ethernet({ src: a2mac, dst: allNodes.mac }),
      ip6({ src: PktIpv6.parse(a2ll as string), dst: allNodes.ip, hopLimit: 255 }),
      ndNa({ target: PktIpv6.parse(target), override: true, tll }),
    ])
  const watch = async (): Promise<{ done: Promise<string> }> => await capture(ns.a3, 'icmp6 and (ip6[40] == 136 or ip6[40] == 135)', 3)
  let w = await watch()
  await sendFrame(ns.a2, na(a1v6, a2mac))
  await sendFrame(ns.a2, na(a2v6, a2mac)) // the control: a2's NA for its own address
  let got = await w.done
  t.match(got, new RegExp(`tgt is ${a2v6}`), "a2's NA for its own address (from its link-local) reached a3")
  t.notMatch(got, new RegExp(`tgt is ${a1v6}`), "a2's NA claiming a1's address was dropped")
  t.match(
    await neigh('a3', a1v6),
    new RegExp(`lladdr ${(a1.mac_address as string).toLowerCase()}`),
    "a3 still maps a1's address to a1's MAC",
  )

  // an NS from a2 claiming a1's address as its source (receivers would cache a1 -> a2's MAC from its source
  // link-layer option), and the same NS from a2's own link-local address (the control)
  const nsFrame = (src: string, target: string): Uint8Array =>
    buildFrame([
      ethernet({ src: a2mac, dst: solicitedNode(target).mac }),
      ip6({ src: PktIpv6.parse(src), dst: solicitedNode(target).ip, hopLimit: 255 }),
      ndNs({ target: PktIpv6.parse(target), sll: a2mac }),
    ])
  const a3ll = /inet6 (fe80::[0-9a-f:]+)\//.exec(
    (await inNs(ns.a3, 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link')).stdout,
  )?.[1]
  if (a3ll === undefined) fail('a3 has no link-local address')
  w = await watch()
  await sendFrame(ns.a2, nsFrame(a1v6, a3ll as string))
  await sendFrame(ns.a2, nsFrame(a2ll as string, a3ll as string))
  got = await w.done
  const asked = got.split('\n').filter(l => l.includes(`who has ${a3ll as string}`))
  t.ok(
    asked.some(l => l.includes(`${a2ll as string} >`)),
    "a2's NS from its own link-local address reached a3",
  )
  t.notOk(
    asked.some(l => l.includes(`${a1v6} >`)),
    "a2's NS claiming a1's address as its source was dropped",
  )

  // a source address a2 does not own is dropped; its link-local traffic passes
  await inNs(ns.a2, 'ip', '-6', 'addr', 'add', 'fd61::2:222/64', 'dev', 'eth0', 'nodad')
  t.notOk(
    (await inNs(ns.a2, 'ping', '-6', '-c', '2', '-W', '1', '-I', 'fd61::2:222', a1v6)).code === 0,
    'ping -6 from a source a2 does not own gets nowhere',
  )
  await inNs(ns.a2, 'ip', '-6', 'addr', 'del', 'fd61::2:222/64', 'dev', 'eth0')
  const a1llNow = a1llAddr as string
  t.ok(
    await until(
      'link-local ping a2 -> a1',
      async () => (await inNs(ns.a2, 'ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', `${a1llNow}%eth0`)).code === 0,
    ),
    "ping -6 a2 -> a1's link-local address passes",
  )

  // --- duplicate address detection (RFC 4862 5.4): a3 trying a1's address hears the responder's NA (to ff02::1,
  // answering a solicitation from ::) and gives the address up; an address nobody has passes DAD
  const addr6 = async (ip: string): Promise<string> =>
    (await inNs(ns.a3, 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'to', `${ip}/128`)).stdout
  const dadBefore = (await puntCount(a1v6)) ?? 0
  await inNs(ns.a3, 'ip', '-6', 'addr', 'add', `${a1v6}/64`, 'dev', 'eth0')
  await inNs(ns.a3, 'ip', '-6', 'addr', 'add', 'fd61::77/64', 'dev', 'eth0')
  t.ok(
    await until("DAD to fail for a1's address in a3", async () => (await addr6(a1v6)).includes('dadfailed')),
    "a3's DAD for a1's address failed: the responder answered the solicitation from ::",
  )
  t.ok(((await puntCount(a1v6)) ?? 0) > dadBefore, 'the DAD solicitation went through the packet-in path')
  t.ok(
    await until('DAD to pass for fd61::77', async () => {
      const a = await addr6('fd61::77')
      return a !== '' && !a.includes('tentative')
    }),
    'an address nobody owns passes DAD (nothing answers for it)',
  )
  await inNs(ns.a3, 'ip', '-6', 'addr', 'del', `${a1v6}/64`, 'dev', 'eth0')
  await inNs(ns.a3, 'ip', '-6', 'addr', 'del', 'fd61::77/64', 'dev', 'eth0')

  // --- `dragonflow flows` names the port each NA check belongs to, and the punt flow of the responder
  // each flow line is followed by its annotation line (`    # gen N stage object-or-reason`)
  const lines = (await node.dragonflow('flows', '--data-dir', node.dir)).stdout.split('\n')
  const annotated = lines.flatMap((l, i) => (l.includes('cookie=') ? [`${l} ${lines[i + 1] ?? ''}`] : []))
  t.ok(
    annotated.some(
      l => /icmp(v6)?_type=136/.test(l) && l.includes(`nd_target=${a1v6} `) && l.includes(`ls_in_port_sec ports/${a1.id as string} (a1)`),
    ),
    "the NA check for a1's address is annotated with port a1",
  )
  const naDrop = annotated.find(
    l => /icmp(v6)?_type=136 actions=drop/.test(l) && l.includes(`dl_src=${(a2.mac_address as string).toLowerCase()}`),
  )
  t.match(naDrop ?? '', /n_packets=[1-9].*ls_in_port_sec port_sec_ip/, "a2's spoofed NA was counted by its port_sec_ip drop flow")
  t.ok(
    annotated.some(l => l.includes(`nd_target=${a2v6}`) && l.includes('CONTROLLER') && l.includes('ls_in_arp_nd_rsp')),
    "the ND punt flow for a2's address is annotated with its stage",
  )

  // --- the agent's log holds no warning
  await node.checkFlows(t)
  const warnings = node
    .log()
    .split('\n')
    .filter(l => /^agent: .*(failed|refused|reported|further)|^packet-in:|^openflow:/.test(l))
  t.same(warnings, [], 'no unexpected warning in the agent log')
})
