// Needs root: installs the emitted flows of a topology into a private OVS (userspace datapath, its own netns)
// with `ovs-ofctl -O OpenFlow13 add-flows`, then checks with ofproto/trace that OVS does what BEHAVIOUR.md says:
// an ARP request for a known IP is answered out of in_port, a frame is switched to the right port, a routed
// packet gets dec_ttl and the MAC rewrite, port security drops a spoofed source.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Topology } from '../../datapath/host/entries.js'
import { STAGE_DHCP } from '../../datapath/spec/stages.js'
import { REASON_PUNT_DHCP } from '../../datapath/spec/verdicts.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { makeCookie } from '../../offload/openflow/layout.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { type Ovs, type Workload, startOvs } from '../helpers/ovs.js'
import { TUNNEL_OFPORT, twoNetworksOn } from './two-networks-bridge.js'

const here = join(process.cwd(), 'test', 'offload')
const topology = JSON.parse(readFileSync(join(here, 'topologies', 'two-networks.json'), 'utf8')) as Topology

if (needRoot('private OVS in a network namespace', { wholeFile: true }) === false) {
  t.test('emitted flows run in a real OVS', async t => {
    const ovs = await startOvs()
    t.teardown(() => ovs.stop())
    const br = ovs.name('br')
    await ovs.addBridge(br)
    const { workloads: w, entries } = await twoNetworksOn(ovs, br, topology.entries)
    const flows = emitOpenFlow(entries, { tunnelOfport: TUNNEL_OFPORT })
    const file = join(ovs.dir, 'flows.txt')
    writeFileSync(file, renderFlows(flows))
    await ovs.ofctl('add-flows', br, file)
    const dumped = (await ovs.ofctl('dump-flows', br)).split('\n').filter(l => l.includes('cookie='))
    t.equal(dumped.length, flows.length, 'every emitted flow is installed')

    const dp = await datapathPorts(ovs)
    const dpOf = (wl: Workload): string => {
      const n = dp.get(wl.port)
      if (n === undefined) throw new Error(`no datapath port for ${wl.port}: ${[...dp.keys()].join(', ')}`)
      return n
    }
    const trace = async (flow: string): Promise<{ final: string; actions: string[]; text: string }> => {
      const text = await ovs.appctl('ofproto/trace', br, flow)
      const final = /^Final flow: (.*)$/m.exec(text)?.[1] ?? ''
      const actions = splitTop(/^Datapath actions: (.*)$/m.exec(text)?.[1] ?? '')
      return { final, actions, text }
    }
    const [a, b, c] = w as [Workload, Workload, Workload]

    await t.test('ARP request for a known IP is answered out of in_port', async t => {
      const r = await trace(
        `in_port=${a.ofport},arp,dl_src=fa:16:3e:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,` +
          'arp_sha=fa:16:3e:00:00:01,arp_spa=10.0.0.5,arp_tpa=10.0.0.6,arp_tha=00:00:00:00:00:00',
      )
      for (const want of [
        'dl_src=fa:16:3e:00:00:02',
        'dl_dst=fa:16:3e:00:00:01',
        'arp_spa=10.0.0.6',
        'arp_tpa=10.0.0.5',
        'arp_op=2',
        'arp_sha=fa:16:3e:00:00:02',
        'arp_tha=fa:16:3e:00:00:01',
      ]) {
        t.ok(r.final.includes(want), `reply has ${want}`)
      }
      t.equal(r.actions.at(-1), dpOf(a), `sent back out of the ingress port\n${r.text}`)
    })

    await t.test('a frame to a known MAC is switched to its port', async t => {
      const r = await trace(
        `in_port=${a.ofport},icmp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02,` + 'nw_src=10.0.0.5,nw_dst=10.0.0.6,nw_ttl=64',
      )
      t.same(r.actions, [dpOf(b)], `output to port 2 only, unchanged\n${r.text}`)
    })

    // ICMP, not bare IP: OVS commits no IPv4 header rewrite for nw_proto=0 (odp-util.c commit_set_nw_action)
    await t.test('a routed packet gets dec_ttl and the MAC rewrite', async t => {
      const r = await trace(
        `in_port=${a.ofport},icmp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:10,` + 'nw_src=10.0.0.5,nw_dst=10.1.0.5,nw_ttl=64',
      )
      for (const want of ['dl_src=fa:16:3e:00:00:11', 'dl_dst=fa:16:3e:00:00:04', 'nw_ttl=63']) {
        t.ok(r.final.includes(want), `routed packet has ${want}`)
      }
      t.ok(r.actions.includes('set(eth(src=fa:16:3e:00:00:11,dst=fa:16:3e:00:00:04))'), `MACs rewritten in the datapath\n${r.text}`)
      t.ok(
        r.actions.some(x => /^set\(ipv4\(.*ttl=63.*\)\)$/.test(x)),
        'TTL decremented in the datapath',
      )
      t.equal(r.actions.at(-1), dpOf(c), `out of the port on the other network\n${r.text}`)
    })

    await t.test('port security drops a spoofed source address', async t => {
      const r = await trace(
        `in_port=${a.ofport},icmp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02,` + 'nw_src=10.9.9.9,nw_dst=10.0.0.6,nw_ttl=64',
      )
      t.same(r.actions, ['drop'], r.text)
    })

    await t.test('real packets: ping on one network and across the router, answered by the flows alone', async t => {
      await ovs.exec(a.ns, 'ip', 'route', 'add', 'default', 'via', '10.0.0.1')
      await ovs.exec(c.ns, 'ip', 'route', 'add', 'default', 'via', '10.1.0.1')
      const ping = async (from: Workload, to: string): Promise<string> =>
        (await ovs.exec(from.ns, 'ping', '-c', '2', '-i', '0.2', '-W', '2', to)).stdout
      t.match(await ping(a, '10.0.0.6'), / 0% packet loss/, 'a -> b switched')
      t.match(await ping(a, '10.1.0.5'), / 0% packet loss/, 'a -> c routed (ARP for the router answered by OVS)')
      const neigh = (await ovs.exec(a.ns, 'ip', 'neigh', 'show', '10.0.0.1')).stdout
      t.match(neigh, /fa:16:3e:00:00:10/, 'the router MAC was learnt from the ARP responder flow')
      const ttl = /ttl=(\d+)/.exec(await ping(a, '10.1.0.5'))?.[1]
      t.equal(ttl, '63', 'one routed hop: TTL 64 - 1 on the reply')
      const fromRouter = await ping(a, '10.0.0.1')
      t.match(fromRouter, / 0% packet loss/, 'the router answers a ping in OVS (checksums fixed by OVS)')
      t.match(fromRouter, /ttl=64/, 'echo reply leaves with TTL 64')
      t.match(await ping(a, '10.1.0.1'), / 0% packet loss/, 'and from its address on the other network')
    })

    await t.test('DHCP from a local port goes to the controller', async t => {
      const r = await trace(
        `in_port=${b.ofport},ip,nw_proto=17,dl_src=fa:16:3e:00:00:02,dl_dst=ff:ff:ff:ff:ff:ff,` +
          'nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67',
      )
      t.match(r.text, /CONTROLLER:65535/, 'punted')
      const cookie = makeCookie({ generation: 1, stage: STAGE_DHCP, subject: { reason: REASON_PUNT_DHCP } })
      t.ok(r.text.includes(`cookie 0x${cookie.toString(16)}`), 'by the flow whose cookie carries punt_dhcp')
    })
  })
}

/** name -> datapath port number, from `ovs-appctl dpif/show` ("    name ofport/dpport: (type)"). */
async function datapathPorts(ovs: Ovs): Promise<Map<string, string>> {
  const out = await ovs.appctl('dpif/show')
  const map = new Map<string, string>()
  for (const m of out.matchAll(/^\s+(\S+) (\d+)\/(\d+):/gm)) map.set(m[1] as string, m[3] as string)
  return map
}

/** Splits a datapath action list at top-level commas (set(eth(src=..,dst=..)) stays one action). */
function splitTop(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  if (cur !== '') out.push(cur)
  return out.map(x => x.trim())
}
