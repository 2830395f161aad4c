// `dragonflow trace` end to end: runs the built CLI (bin/dragonflow.js, so `npm run build` first) on the
// sample topology for the three traces the README shows, and checks the stage lines and verdicts.
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { STAGES, STAGE_ARP_ND_RSP, STAGE_DHCP, STAGE_L3_ROUTE, STAGE_NEXTHOP, STAGE_EGRESS } from '../../datapath/spec/stages.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TOPOLOGY = join(ROOT, 'examples', 'sample-topology.json')
const name = (id: number): string => STAGES[id]?.name ?? `no stage ${id}`

async function dragonflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'dragonflow.js'), ...args], { cwd: ROOT })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string } // execFile's error carries the exit code and output
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** The line of `stage` with `outcome`, as trace prints it: "  <stage>  <outcome> <detail>". */
const stageLine = (stdout: string, stage: string, outcome: string): string | undefined =>
  stdout.split('\n').find(l => new RegExp(`^\\s+${stage}\\s+${outcome}\\s`).test(l))

t.test('an ARP request for the gateway is answered by the responder', async t => {
  const r = await dragonflow(
    'trace',
    '--topology',
    TOPOLOGY,
    '--fields',
    'in_port=1,eth_src=fa:16:3e:00:00:01,arp_op=1,arp_spa=10.0.0.5,arp_tpa=10.0.0.1',
  )
  t.equal(r.code, 0, r.stderr)
  t.match(
    stageLine(r.stdout, name(STAGE_ARP_ND_RSP), 'reply') ?? '',
    /target 10\.0\.0\.1, answer fa:16:3e:00:00:10/,
    'the responder answers',
  )
  t.match(r.stdout, /verdict: back out of the ingress port \(ofport 1\)/)
  t.match(r.stdout, /ARP 10\.0\.0\.1 is-at fa:16:3e:00:00:10/, 'the reply is decoded')
})

t.test('a DHCP DISCOVER gets an OFFER in packet-in mode', async t => {
  const r = await dragonflow(
    'trace',
    '--topology',
    TOPOLOGY,
    '--mode',
    'packet_in',
    '--fields',
    'in_port=1,eth_src=fa:16:3e:00:00:01,dhcp_type=discover',
  )
  t.equal(r.code, 0, r.stderr)
  t.match(stageLine(r.stdout, name(STAGE_DHCP), 'punt') ?? '', /DISCOVER/, 'the DHCP stage takes the DISCOVER')
  t.match(r.stdout, /verdict: punt \(punt_dhcp\)/)
  t.match(r.stdout, /reply 1 out of ofport 1:\n.*DHCP OFFER .*yiaddr 10\.0\.0\.5 .*router 10\.0\.0\.1/, 'the OFFER is decoded')
})

t.test('a routed ping goes through route, next hop and egress', async t => {
  const r = await dragonflow(
    'trace',
    '--topology',
    TOPOLOGY,
    '--fields',
    'in_port=1,eth_src=fa:16:3e:00:00:01,eth_dst=fa:16:3e:00:00:10,ip_src=10.0.0.5,ip_dst=10.0.1.5,ttl=64,icmp_type=8',
  )
  t.equal(r.code, 0, r.stderr)
  t.ok(
    r.stdout.split('\n').some(l => new RegExp(`^\\s+${name(STAGE_L3_ROUTE)}\\s+hit\\s.*matched 10\\.0\\.1\\.0/24`).test(l)),
    'the /24 route matches',
  )
  t.match(stageLine(r.stdout, name(STAGE_NEXTHOP), 'hit') ?? '', /next hop 10\.0\.1\.5, is fa:16:3e:00:01:03/)
  t.match(stageLine(r.stdout, name(STAGE_EGRESS), 'hit') ?? '', /ofport 3/)
  t.match(r.stdout, /verdict: output to ofport 3/)
  t.match(r.stdout, /fa:16:3e:00:00:20 > fa:16:3e:00:01:03, IPv4 10\.0\.0\.5 > 10\.0\.1\.5 ttl 63/, 'MACs rewritten, TTL decremented')
})

t.test('a bad field is a usage error naming the field', async t => {
  const r = await dragonflow(
    'trace',
    '--topology',
    TOPOLOGY,
    '--fields',
    'in_port=1,eth_src=fa:16:3e:00:00:01,arp_spa=10.0.0,arp_tpa=10.0.0.1',
  )
  t.equal(r.code, 2)
  t.match(r.stderr, /field 'arp_spa': '10\.0\.0' is not an IPv4 address/)
})

t.test('a raw frame can be traced with --hex', async t => {
  const r = await dragonflow('trace', '--topology', TOPOLOGY, '--hex', 'fa163e000002fa163e0000010800', '--in-port', '1')
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /verdict: drop \(bad_ipv4_header\)/, 'an IPv4 EtherType with no header is malformed (BEHAVIOUR.md 1)')
})
