// Router advertisements answering router solicitations, with real kernel IPv6 stacks (needs root), issue 15.
//
// `dragonflow serve` with its private OVS; through the real `openstack` CLI a router on two IPv6-only networks: a
// slaac subnet with a DNS server and a dhcpv6-stateful subnet. Each workload is a namespace whose kernel accepts
// RAs (accept_ra=2, autoconf=1); its eth0 is bounced once its port is ACTIVE, so the kernel solicits (RFC 4861
// 6.3.7) after the port's flows are in. What is proven:
// - the solicitation is punted (n_packets of the ls_in_arp_nd_rsp RS flow grows) and answered by the slow path;
// - on slaac the kernel configures the EUI-64 address the API shows for the port (its DAD succeeds: the responder
//   does not answer the owner's own probe) and a default route via the router port's link-local address; the
//   advertisement carries the MTU and RDNSS options (tcpdump decodes them);
// - on dhcpv6-stateful the kernel takes the default route but forms no address (A = 0, M = 1);
// - the switch's flows equal a fresh recompute at the end.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { MacAddress } from '../../datapath/host/addresses.js'
import { linkLocalOf } from '../conformance/lib/vector-kit.js'
import { capture, exec, inNs, startNode, until } from './serve-node.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')

t.test('router advertisements to kernel SLAAC through real OVS', { timeout: 600_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = await startNode(t, `7${tag}`)
  const fail = (what: string): never => node.fail(what)

  const docs = await node.openstackBatch(
    [
      'network create ra1 -f json',
      'subnet create ra1v6 --network ra1 --ip-version 6 --subnet-range fd71::/64 --ipv6-ra-mode slaac --ipv6-address-mode slaac --dns-nameserver fd71::53 -f json',
      'network create ra2 -f json',
      'subnet create ra2v6 --network ra2 --ip-version 6 --subnet-range fd72::/64 --ipv6-ra-mode dhcpv6-stateful --ipv6-address-mode dhcpv6-stateful -f json',
      'router create r1 -f json',
      'router add subnet r1 ra1v6',
      'router add subnet r1 ra2v6',
      'port create p1 --network ra1 -f json',
      'port create p2 --network ra2 -f json',
    ],
    7,
  )
  const [n1, s1, n2, , , p1, p2] = docs as [Obj, Obj, Obj, Obj, Obj, Obj, Obj]
  t.equal(s1.ipv6_ra_mode, 'slaac', 'the slaac subnet was created with its ra mode')
  const slaacIp = (p1.fixed_ips as Obj[])[0]?.ip_address as string
  t.ok(slaacIp?.startsWith('fd71::'), `the API gave p1 its EUI-64 address ${slaacIp}`)

  // the router interface ports: their link-local addresses are where the advertisements come from
  const all = ((await (await fetch(`${node.url}/v2.0/ports`)).json()) as Obj).ports as Obj[]
  const routerLl = (net: Obj): string => {
    const rp = all.find(p => p.network_id === net.id && p.device_owner === 'network:router_interface')
    if (rp === undefined) return fail(`no router interface on ${net.name as string}`)
    return linkLocalOf(MacAddress.parse(rp.mac_address as string)).toString()
  }
  const ll = { p1: routerLl(n1), p2: routerLl(n2) }

  const ns = { p1: `d7a${tag}`, p2: `d7b${tag}` }
  const status = async (id: string): Promise<string> =>
    ((await (await fetch(`${node.url}/v2.0/ports/${id}`)).json()) as Obj).port.status as string
  for (const [k, p] of Object.entries({ p1, p2 })) {
    const n = ns[k as keyof typeof ns]
    await node.plug(p.id as string, n)
    const s = await inNs(n, 'sysctl', '-w', 'net.ipv6.conf.eth0.accept_ra=2', 'net.ipv6.conf.eth0.autoconf=1')
    if (s.code !== 0) fail(`sysctl in ${k}: ${s.stderr}`)
    await until(`port ${k} ACTIVE`, async () => (await status(p.id as string)) === 'ACTIVE')
  }

  /** n_packets of the router solicitation punt flow(s) on br-int. */
  const rsPunts = async (): Promise<number> => {
    const d = await exec('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-flows', 'br-int', 'icmp6,icmpv6_type=133'], { env: node.ovsEnv() })
    return d.stdout
      .split('\n')
      .filter(l => l.includes('CONTROLLER'))
      .reduce((n, l) => n + Number(/n_packets=(\d+)/.exec(l)?.[1] ?? 0), 0)
  }
  const bounce = async (k: keyof typeof ns): Promise<void> => {
    for (const state of ['down', 'up']) {
      const r = await inNs(ns[k], 'ip', 'link', 'set', 'eth0', state)
      if (r.code !== 0) fail(`ip link set eth0 ${state} in ${k}: ${r.stderr}`)
    }
  }
  const globals = async (k: keyof typeof ns): Promise<string> =>
    (await inNs(ns[k], 'ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global')).stdout
  const defaultRoute = async (k: keyof typeof ns): Promise<string> =>
    (await inNs(ns[k], 'ip', '-6', 'route', 'show', 'default')).stdout.trim()

  // --- slaac: the EUI-64 address and the default route from our advertisement
  const punted = await rsPunts()
  const cap = await capture(ns.p1, 'icmp6 and ip6[40] == 134', 25, { verbose: true })
  await bounce('p1')
  const addr = await until(
    'p1 to configure its SLAAC address',
    async () => {
      const a = await globals('p1')
      return a.includes(`inet6 ${slaacIp}/64`) && !a.includes('tentative') && a
    },
    20_000,
    200,
  ).catch(async () => fail(`p1 has no SLAAC address ${slaacIp}:\n${await globals('p1')}`))
  t.notMatch(addr, /dadfailed/, `p1 formed ${slaacIp} (the API's EUI-64 address) and its DAD succeeded`)
  const route1 = await until('p1 default route', async () => (await defaultRoute('p1')) || undefined, 10_000, 200)
  t.match(route1, new RegExp(`via ${ll.p1} dev eth0 proto ra`), `p1's default route is via the router's link-local address (${route1})`)
  t.ok((await rsPunts()) > punted, 'the solicitation went to the packet-in path (the RS punt flow counted it)')
  const ra = await cap.done
  t.match(ra, new RegExp(`${ll.p1} > `), "the advertisement came from the router port's link-local address")
  t.match(ra, /hop limit 64, Flags \[none\]/, 'cur hop limit 64, M = 0, O = 0')
  t.match(ra, /router lifetime 1800s/, 'router lifetime 1800 s')
  t.match(
    ra,
    new RegExp(`mtu option \\(5\\), length 8 \\(1\\):\\s+${String(n1.mtu)}\\b`),
    `the MTU option carries the network MTU (${String(n1.mtu)})`,
  )
  t.match(ra, /rdnss option[\s\S]*fd71::53/, "the RDNSS option carries the subnet's DNS server")
  t.match(ra, /prefix info option[\s\S]*fd71::\/64, Flags \[onlink, auto\]/, 'the prefix is on-link and autonomous')

  // --- dhcpv6-stateful: the default route, but no address from the prefix
  await bounce('p2')
  const route2 = await until('p2 default route', async () => (await defaultRoute('p2')) || undefined, 20_000, 200).catch(() =>
    fail('p2 got no default route from the advertisement'),
  )
  t.match(route2, new RegExp(`via ${ll.p2} dev eth0 proto ra`), `p2's default route is via its router's link-local address (${route2})`)
  t.notMatch(await globals('p2'), /inet6 fd72:/, 'p2 formed no address: the prefix is not autonomous (M = 1: addresses come from DHCPv6)')

  await node.checkFlows(t)
})
