// North-south end to end, with real packets (needs root): one `dragonflow serve --bridge-mappings extnet:br-ex`
// node, the real `openstack` CLI, workloads plugged with `dragonflow plug`, and an "outside" host: a namespace
// plugged into br-ex (`dragonflow plug --bridge br-ex`), on the flat provider network extnet, holding the external
// subnet's gateway address. Semantics: datapath/BEHAVIOUR.md "Ways in and out".
//
//   outside 203.0.113.1 ── br-ex ── patch ── br-int: ext (flat, extnet) 203.0.113.0/24
//                                                     │ gateway port of router nsr (SNAT on, then off)
//                                     nsn 10.61.0.0/24 ── w1, w2 (group open: ICMP, TCP 5001-5002 in)
//
// The outside host knows nothing of 10.61.0.0/24 until SNAT is turned off (then it gets a route via the gateway
// IP): a reply it sends can only come back through a floating IP or the router's SNAT (port translation to the
// gateway IP); tcpdump on the outside host tells which source it saw.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { jsonDocuments, noAuthEnv, openstack } from '../northbound/helpers/api-process.js'
import { echoServer, inNs, pings, spawnIn, startNode, tcpProbe, until } from './serve-node.js'
import { leaseIn, writeUdhcpcScript } from './udhcpc.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')
const UPSTREAM = '203.0.113.1'

t.test(
  'floating IPs, router gateway, SNAT with port translation and off, port and network admin state, with real traffic',
  { timeout: 300_000, skip },
  async t => {
    const tag = process.pid.toString(36)
    const node = await startNode(t, `n${tag}`, ['--bridge-mappings', 'extnet:br-ex'])
    const env = noAuthEnv(node.url)
    const cli = async (...args: string[]): Promise<Obj | undefined> => {
      const r = await openstack(env, args)
      if (r.code !== 0) node.fail(`openstack ${args.join(' ')}: ${r.stderr}`)
      return jsonDocuments(r.stdout)[0] as Obj | undefined
    }
    const show = async (kind: 'port' | 'floating ip' | 'router', id: string): Promise<Obj> =>
      (await cli(...kind.split(' '), 'show', id, '-f', 'json')) as Obj

    const docs = await node.openstackBatch(
      [
        'network create ext --external --provider-network-type flat --provider-physical-network extnet -f json',
        `subnet create exts --network ext --subnet-range 203.0.113.0/24 --gateway ${UPSTREAM} --no-dhcp -f json`,
        'network create nsn -f json',
        'subnet create nss --network nsn --subnet-range 10.61.0.0/24 -f json',
        'router create nsr -f json',
        'router add subnet nsr nss',
        'router set nsr --external-gateway ext',
        'security group create open -f json',
        'security group rule create open --ingress --protocol icmp -f json',
        'security group rule create open --ingress --protocol tcp --dst-port 5001:5002 -f json',
        'port create w1 --network nsn --security-group open -f json',
        'port create w2 --network nsn --security-group open -f json',
        'router show nsr -f json',
      ],
      11,
    )
    const [w1, w2, routerShown] = [docs[8], docs[9], docs[10]] as [Obj, Obj, Obj]
    const gwIp = routerShown.external_gateway_info?.external_fixed_ips?.[0]?.ip_address as string | undefined
    t.ok(gwIp !== undefined && gwIp.startsWith('203.0.113.'), `the router's gateway has an address on ext (${gwIp ?? 'none'})`)
    const ports = { w1, w2 }
    const ip = (name: 'w1' | 'w2'): string => ports[name].fixed_ips[0].ip_address as string

    // --- the outside host and the workloads
    const out = `nso${tag}`
    const plugOut = await node.dragonflow('plug', '--data-dir', node.dir, '--bridge', 'br-ex', '--netns', out)
    if (plugOut.code !== 0) node.fail(`plug --bridge br-ex: ${plugOut.stderr}`)
    node.workloads.push(out)
    await inNs(out, 'ip', 'addr', 'add', `${UPSTREAM}/24`, 'dev', 'eth0')
    await inNs(out, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
    const ns = { w1: `nsw1${tag}`, w2: `nsw2${tag}` }
    for (const k of ['w1', 'w2'] as const) await node.plug(ports[k].id as string, ns[k])
    const portStatus = async (id: string): Promise<string> => (await show('port', id)).status as string
    for (const k of ['w1', 'w2'] as const)
      await until(`port ${k} ACTIVE`, async () => (await portStatus(ports[k].id as string)) === 'ACTIVE')
    const script = writeUdhcpcScript(node.dir)
    for (const k of ['w1', 'w2'] as const) {
      await inNs(ns[k], 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
      t.equal((await leaseIn(ns[k], script)).ip, ip(k), `${k} leased its fixed IP`)
    }
    await echoServer(t, ns.w1, { tcp: [5001] })
    await echoServer(t, ns.w2, { tcp: [5002] })
    const fromOutside = (to: string): Promise<boolean> => pings(out, to)
    await echoServer(t, out, { tcp: [7001], udp: [7002] })
    /** One UDP datagram from `ns`, source port `sport`, to the outside echo server (7002); true when it came back. */
    const fromPort = async (from: string, sport: number): Promise<boolean> => {
      const script = `const s = require('node:dgram').createSocket('udp4'); let n = 0
      const send = () => { if (n++ === 5) process.exit(1); s.send('x', 7002, '${UPSTREAM}'); setTimeout(send, 300) }
      s.on('message', () => process.exit(0)); s.bind(${sport}, send)`
      return (await inNs(from, process.execPath, '-e', script)).code === 0
    }
    /** The source address the outside host sees on a ping from `ns` that is answered (undefined: none came back). */
    const sourceSeenOutside = async (from: string): Promise<string | undefined> => {
      const capture = spawnIn(t, out, 'tcpdump', ['-i', 'eth0', '-nn', '-l', '-q', '--immediate-mode', 'icmp[icmptype] == icmp-echo'])
      await until('tcpdump listening outside', async () => capture.output().includes('listening on'), 10_000, 50)
      const answered = await until(`ping from ${from} answered`, async () => await pings(from, UPSTREAM, 1), 15_000).catch(() => false)
      await until('the request captured', async () => / > 203\.0\.113\.1:/.test(capture.output()), 3000, 50).catch(() => undefined)
      await capture.stop()
      return (
        /IP (\d+\.\d+\.\d+\.\d+) > 203\.0\.113\.1:/.exec(capture.output())?.[1] ??
        `nothing seen (answered ${String(answered)}): ${capture.output()}`
      )
    }

    await t.test('the gateway answers from outside; a port without a floating IP reaches outside through SNAT', async t => {
      t.ok(
        await until('ping the gateway IP', async () => await fromOutside(gwIp as string), 20_000),
        `the outside host pings the router's gateway IP ${gwIp ?? ''}`,
      )
      const arp = await inNs(out, 'ip', 'neigh', 'show', gwIp as string)
      t.match(arp.stdout, /lladdr/, `and resolved it over ARP: ${arp.stdout.trim()}`)
      // the outside host has no route to 10.61.0.0/24: a reply comes back only if the source was translated
      t.equal(
        await sourceSeenOutside(ns.w1),
        gwIp,
        'w1 (no floating IP) reaches outside through SNAT: the outside host sees the gateway IP',
      )
      t.ok(
        await until('TCP out through SNAT', async () => await tcpProbe(ns.w1, UPSTREAM, 7001), 10_000),
        "and TCP to the outside host's echo server (port translation)",
      )
      // w1 and w2 at once from the same source port to the same outside port: two connections of the gateway IP
      const capture = spawnIn(t, out, 'tcpdump', ['-i', 'eth0', '-nn', '-l', '-q', '--immediate-mode', 'udp and dst port 7002'])
      await until('tcpdump listening outside', async () => capture.output().includes('listening on'), 10_000, 50)
      const both = await Promise.all([fromPort(ns.w1, 33333), fromPort(ns.w2, 33333)])
      await until('both captured', async () => (capture.output().match(/ > 203\.0\.113\.1\.7002:/g) ?? []).length >= 2, 3000, 50).catch(
        () => undefined,
      )
      await capture.stop()
      t.same(both, [true, true], 'w1 and w2, both from UDP port 33333 to the same outside port, each get their answer')
      const seen = new Set(
        [...capture.output().matchAll(/IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > 203\.0\.113\.1\.7002:/g)].map(m => `${m[1] ?? ''}:${m[2] ?? ''}`),
      )
      t.equal(seen.size, 2, `the outside host sees two distinct translated sources: ${[...seen].join(', ')}`)
      t.ok(
        [...seen].every(x => x.startsWith(`${gwIp ?? ''}:`)),
        'both from the gateway IP',
      )
      await node.checkFlows(t)
    })

    const fip = (await cli('floating', 'ip', 'create', 'ext', '--port', w1.id as string, '-f', 'json')) as Obj
    const fipIp = fip.floating_ip_address as string

    await t.test('a floating IP: reached from outside, replies from the floating IP, ACTIVE', async t => {
      t.ok(
        await until('floating IP ACTIVE', async () => (await show('floating ip', fip.id as string)).status === 'ACTIVE', 20_000),
        'ACTIVE once the chassis installed it',
      )
      t.ok(await until('ping the floating IP', async () => await fromOutside(fipIp), 20_000), `outside pings w1's floating IP ${fipIp}`)
      const reply = await inNs(out, 'ping', '-c', '1', '-W', '1', fipIp)
      t.match(reply.stdout, new RegExp(`from ${fipIp.replace(/\./g, '\\.')}`), 'the echo reply comes from the floating IP')
      t.ok(
        await tcpProbe(out, fipIp, 5001),
        "TCP to the floating IP reaches w1's echo server (the handshake needs the floating IP as source)",
      )
      t.equal(await sourceSeenOutside(ns.w1), fipIp, 'w1 reaches outside from its floating IP (SNAT 1:1), not the gateway IP')
      const neigh = await inNs(out, 'ip', 'neigh', 'show', fipIp)
      t.match(neigh.stdout, /lladdr/, `the floating IP answered ARP from outside: ${neigh.stdout.trim()}`)
      t.notOk(await tcpProbe(out, fipIp, 5002), 'a port w1 does not listen on is refused (w2 is not behind it)')
      await node.checkFlows(t)
    })

    await t.test('disassociate: unreachable at once; re-associate to w2: w2 answers', async t => {
      await cli('floating', 'ip', 'unset', '--port', fip.id as string)
      t.ok(
        await until('the floating IP no longer answers', async () => !(await fromOutside(fipIp)), 10_000),
        'disassociated: the floating IP no longer answers',
      )
      t.ok(
        await until('floating IP DOWN', async () => (await show('floating ip', fip.id as string)).status === 'DOWN', 10_000),
        'and reads DOWN',
      )
      await cli('floating', 'ip', 'set', '--port', w2.id as string, fip.id as string)
      t.ok(
        await until('w2 behind the floating IP', async () => await tcpProbe(out, fipIp, 5002), 20_000),
        "TCP to the floating IP now reaches w2's echo server",
      )
      t.notOk(await tcpProbe(out, fipIp, 5001), "and no longer w1's")
      t.ok(
        await until('floating IP ACTIVE again', async () => (await show('floating ip', fip.id as string)).status === 'ACTIVE', 20_000),
        'ACTIVE again',
      )
      t.equal(await sourceSeenOutside(ns.w1), gwIp, 'w1 lost its floating IP: it leaves from the gateway IP again (SNAT)')
      await node.checkFlows(t)
    })

    await t.test('admin state: a port set down forwards nothing and answers nothing; up again restores it', async t => {
      await cli('port', 'set', '--disable', w2.id as string)
      t.ok(await until('w2 DOWN', async () => (await portStatus(w2.id as string)) === 'DOWN', 10_000), 'w2 reads DOWN')
      t.ok(await until('w2 unreachable', async () => !(await tcpProbe(out, fipIp, 5002)), 10_000), 'its floating IP no longer reaches it')
      t.notOk(await pings(ns.w2, '10.61.0.1', 2), 'w2 cannot reach its router (nothing answers ARP for it)')
      const dhcp = await inNs(ns.w2, 'busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '2', '-T', '1', '-s', script)
      t.notMatch(dhcp.stdout, /LEASE/, 'DHCP is not answered')
      await cli('port', 'set', '--enable', w2.id as string)
      t.ok(await until('w2 ACTIVE', async () => (await portStatus(w2.id as string)) === 'ACTIVE', 20_000), 'up again: ACTIVE')
      t.ok(await until('w2 reachable', async () => await tcpProbe(out, fipIp, 5002), 40_000), 'and reached through its floating IP again')
      await cli('network', 'set', '--disable', 'nsn')
      t.ok(
        await until(
          'w1 and w2 DOWN',
          async () => (await portStatus(w1.id as string)) === 'DOWN' && (await portStatus(w2.id as string)) === 'DOWN',
          10_000,
        ),
        'network nsn set down: both of its ports read DOWN',
      )
      t.ok(
        await until('w2 unreachable', async () => !(await tcpProbe(out, fipIp, 5002)), 10_000),
        'and w2 is no longer reached through its floating IP',
      )
      t.notOk(await pings(ns.w1, ip('w2'), 2), 'nor does w1 reach w2 on the network')
      await cli('network', 'set', '--enable', 'nsn')
      t.ok(
        await until(
          'w1 and w2 ACTIVE',
          async () => (await portStatus(w1.id as string)) === 'ACTIVE' && (await portStatus(w2.id as string)) === 'ACTIVE',
          20_000,
        ),
        'the network up again: both ACTIVE',
      )
      t.ok(
        await until('w2 reachable', async () => await tcpProbe(out, fipIp, 5002), 40_000),
        'and w2 is reached through its floating IP again',
      )
      await node.checkFlows(t)
    })

    await t.test('SNAT off: a port without a floating IP reaches outside from its fixed IP', async t => {
      await cli('router', 'set', 'nsr', '--external-gateway', 'ext', '--disable-snat')
      await inNs(out, 'ip', 'route', 'add', '10.61.0.0/24', 'via', gwIp as string)
      t.ok(await until('w1 reaches outside untranslated', async () => await pings(ns.w1, UPSTREAM), 20_000), 'w1 pings the outside host')
      t.ok(await tcpProbe(out, ip('w1'), 5001), 'and the outside host reaches w1 at its fixed IP through the gateway')
      await node.checkFlows(t)
    })
  },
)
