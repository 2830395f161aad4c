// DHCPv6 with a real client, isc-dhcp-client's `dhclient -6` (needs root), issue 15.
//
// `dragonflow serve` with its private OVS; through the real `openstack` CLI a router on two IPv6-only networks: a
// dhcpv6-stateful subnet and a dhcpv6-stateless one, both with a DNS server. Each workload is a namespace whose
// kernel takes our router advertisement first (M = 1 or O = 1, as a host would before it starts DHCPv6), then:
// - `dhclient -6` on the stateful network is bound to the fixed IPv6 address the API shows for the port, with the
//   subnet's DNS server, from a server DUID-LL;
// - `dhclient -6 -S` on the stateless network gets the DNS server (Information-request);
// - the DHCPv6 punt flow of ls_in_dhcp counted the messages; the switch's flows equal a fresh recompute.
// dhclient runs with our own script (the default one would rewrite the host's /etc/resolv.conf: a namespace
// shares /etc) that only prints what it was given.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { exec, inNs, spawnIn, startNode, until } from './serve-node.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')

t.test(
  'dhclient -6 gets the stateful address and DNS, dhclient -6 -S the stateless DNS, through real OVS',
  { timeout: 600_000, skip },
  async t => {
    const tag = process.pid.toString(36)
    const dir = mkdtempSync(join(tmpdir(), 'df-dhcp6-'))
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true })
    })
    const node = await startNode(t, `8${tag}`)
    const fail = (what: string): never => node.fail(what)

    const docs = await node.openstackBatch(
      [
        'network create d6a -f json',
        'subnet create d6av6 --network d6a --ip-version 6 --subnet-range fd81::/64 --ipv6-ra-mode dhcpv6-stateful --ipv6-address-mode dhcpv6-stateful --dns-nameserver fd81::53 -f json',
        'network create d6b -f json',
        'subnet create d6bv6 --network d6b --ip-version 6 --subnet-range fd82::/64 --ipv6-ra-mode dhcpv6-stateless --ipv6-address-mode dhcpv6-stateless --dns-nameserver fd82::53 -f json',
        'router create r6 -f json',
        'router add subnet r6 d6av6',
        'router add subnet r6 d6bv6',
        'port create q1 --network d6a -f json',
        'port create q2 --network d6b -f json',
      ],
      7,
    )
    const [, sa, , , , q1, q2] = docs as [Obj, Obj, Obj, Obj, Obj, Obj, Obj]
    t.equal(sa.enable_dhcp, true, 'the stateful subnet serves DHCP')
    const fixed = (q1.fixed_ips as Obj[])[0]?.ip_address as string
    t.ok(fixed?.startsWith('fd81::'), `the API gave q1 the address ${fixed}`)

    const ns = { q1: `d8a${tag}`, q2: `d8b${tag}` }
    const status = async (id: string): Promise<string> =>
      ((await (await fetch(`${node.url}/v2.0/ports/${id}`)).json()) as Obj).port.status as string
    for (const [k, p] of Object.entries({ q1, q2 })) {
      const n = ns[k as keyof typeof ns]
      await node.plug(p.id as string, n)
      const s = await inNs(n, 'sysctl', '-w', 'net.ipv6.conf.eth0.accept_ra=2', 'net.ipv6.conf.eth0.autoconf=1')
      if (s.code !== 0) fail(`sysctl in ${k}: ${s.stderr}`)
      await until(`port ${k} ACTIVE`, async () => (await status(p.id as string)) === 'ACTIVE')
    }

    /** n_packets of the DHCPv6 punt flows on br-int. */
    const dhcp6Punts = async (): Promise<number> => {
      const d = await exec('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-flows', 'br-int', 'udp6,tp_dst=547'], { env: node.ovsEnv() })
      return d.stdout
        .split('\n')
        .filter(l => l.includes('CONTROLLER'))
        .reduce((n, l) => n + Number(/n_packets=(\d+)/.exec(l)?.[1] ?? 0), 0)
    }
    /** The router advertisement first (bounce: the kernel solicits), and a link-local address that passed DAD. */
    const ready = async (k: keyof typeof ns): Promise<void> => {
      for (const state of ['down', 'up']) {
        const r = await inNs(ns[k], 'ip', 'link', 'set', 'eth0', state)
        if (r.code !== 0) fail(`ip link set eth0 ${state} in ${k}: ${r.stderr}`)
      }
      await until(
        `${k}: a default route from the advertisement`,
        async () => (await inNs(ns[k], 'ip', '-6', 'route', 'show', 'default')).stdout.includes('proto ra'),
        20_000,
        200,
      )
      await until(
        `${k}: link-local out of DAD`,
        async () => {
          const a = (await inNs(ns[k], 'ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link')).stdout
          return a.includes('inet6 fe80:') && !a.includes('tentative')
        },
        10_000,
        100,
      )
    }
    /** Runs dhclient -6 (plus `flags`) in the foreground until the script saw `reason`; what it was given. */
    const dhclient = async (k: keyof typeof ns, flags: string[], reason: string): Promise<Record<string, string>> => {
      const out = join(dir, `${k}.env`)
      const script = join(dir, `${k}.sh`)
      writeFileSync(script, ['#!/bin/sh', `env | grep -E '^(reason|new_)' >> ${out}`, `echo END >> ${out}`, 'exit 0', ''].join('\n'))
      chmodSync(script, 0o755)
      writeFileSync(out, '')
      const d = spawnIn(t, ns[k], 'dhclient', [
        '-6',
        ...flags,
        '-1',
        '-d',
        '-v',
        '-pf',
        join(dir, `${k}.pid`),
        '-lf',
        join(dir, `${k}.leases`),
        '-sf',
        script,
        'eth0',
      ])
      const text = await until(
        `dhclient in ${k} to report ${reason}`,
        async () => {
          const s = readFileSync(out, 'utf8')
          return s.includes(`reason=${reason}\n`) && s.split(`reason=${reason}\n`)[1]?.includes('END') && s
        },
        60_000,
        200,
      ).catch(() => fail(`dhclient in ${k} reported no ${reason}:\n${readFileSync(out, 'utf8')}\n${d.output()}`))
      await d.stop()
      // one block per script run, ended by END; env prints its variables in any order
      const block = text.split('END\n').find(b => b.includes(`reason=${reason}\n`)) ?? ''
      return Object.fromEntries(
        block
          .split('\n')
          .filter(l => l.includes('='))
          .map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      )
    }

    // --- stateful: Solicit / Advertise / Request / Reply
    await ready('q1')
    const before = await dhcp6Punts()
    const bound = await dhclient('q1', [], 'BOUND6')
    t.equal(bound.new_ip6_address, fixed, `dhclient was bound to the port's fixed address ${fixed}`)
    t.match(bound.new_dhcp6_name_servers ?? '', /fd81::53/, "and given the subnet's DNS server")
    // dhclient does not give the script the server id; its lease file keeps it (RFC 8415 11.4: type 3, hardware 1)
    t.match(readFileSync(join(dir, 'q1.leases'), 'utf8'), /server-id 0:3:0:1:/, 'the server id is a DUID-LL')
    t.ok((await dhcp6Punts()) > before, 'the messages went to the packet-in path (the DHCPv6 punt flow counted them)')

    // --- stateless: Information-request / Reply
    await ready('q2')
    // dhclient 4.4 hands the Reply to an Information-request to its script as RENEW6
    const info = await dhclient('q2', ['-S'], 'RENEW6')
    t.match(info.new_dhcp6_name_servers ?? '', /fd82::53/, "dhclient -S was given the stateless subnet's DNS server")
    t.equal(info.new_ip6_address, undefined, 'and no address')
    t.match(info.new_dhcp6_server_id ?? '', /^0:3:0:1:/, 'from a DUID-LL server id')

    await node.checkFlows(t)
  },
)
