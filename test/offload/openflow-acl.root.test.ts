// Needs root: the security-group flows of a topology (test/offload/openflow-acl-fixture.ts) installed into a
// private OVS through the agent's own path (DesiredFlows -> FlowSync -> OpenFlow bundle over our codec), then
// checked with ofproto/trace, conntrack states simulated with --ct-next, against BEHAVIOUR.md "Security
// groups": allowed new connections are committed, replies pass, invalid and blocked packets and packets no
// rule allows drop with their reason's cookie. Then a second agent (a restart) reads the switch back and must
// find every flow equal: nothing added, nothing deleted.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { join } from 'node:path'
import { DesiredFlows } from '../../agent/flows/desired-flows.js'
import { FlowSync } from '../../agent/flows/flow-sync.js'
import { OfController } from '../../agent/openflow/controller.js'
import { STAGE_IN_ACL, STAGE_OUT_ACL } from '../../datapath/spec/stages.js'
import { REASON_ACL_DENY, REASON_CT_BLOCKED, REASON_CT_INVALID } from '../../datapath/spec/verdicts.js'
import { makeCookie } from '../../offload/openflow/layout.js'
import { type Workload, startOvs } from '../helpers/ovs.js'
import { TUNNEL_OFPORT, twoNetworksOn } from './two-networks-bridge.js'
import { withAcls } from './openflow-acl-fixture.js'

const dropCookie = (stage: number, reason: number): string =>
  `cookie 0x${makeCookie({ generation: 1, stage, subject: { reason } }).toString(16)}`

if (needRoot('private OVS in a network namespace', { wholeFile: true }) === false) {
  t.test('security groups in a real OVS', async t => {
    const ovs = await startOvs()
    const ctl = new OfController({ echoIntervalMs: 2000 })
    t.teardown(async () => {
      await ctl.close()
      await ovs.stop()
    })
    const path = join(ovs.dir, 'acl.sock')
    await ctl.listen({ path })
    const next = ctl.nextSwitch()
    const br = ovs.name('br')
    await ovs.addBridge(br, { controller: path })
    const sw = await next
    const { workloads: w, entries } = await twoNetworksOn(ovs, br, withAcls())
    const install = async (): Promise<{ desired: DesiredFlows; stats: Awaited<ReturnType<FlowSync['resync']>> }> => {
      const desired = new DesiredFlows({ l3: 'proactive', tunnelOfport: TUNNEL_OFPORT })
      desired.applyDelta({ added: entries, removed: [] })
      const stats = await new FlowSync(sw, desired).resync(2)
      return { desired, stats }
    }
    const first = await install()
    t.equal(first.stats.added, first.desired.size, `the switch took all ${first.desired.size} flows in one bundle`)
    const dumped = (await ovs.ofctl('-O', 'OpenFlow13', 'dump-flows', br)).split('\n').filter(l => l.includes('cookie='))
    t.equal(dumped.length, first.desired.size, 'ovs-ofctl dump-flows lists every one')

    await t.test('a restarted agent finds every flow equal: the resync rewrites nothing', async t => {
      const again = await install()
      t.same({ added: again.stats.added, deleted: again.stats.deleted }, { added: 0, deleted: 0 }, 'no FLOW_MOD')
      t.equal(again.stats.unchanged, again.desired.size, 'every desired flow read back equal (match, cookie, instructions)')
    })

    const [a, b, c] = w as [Workload, Workload, Workload]
    const dp = new Map<string, string>()
    for (const m of (await ovs.appctl('dpif/show')).matchAll(/^\s+(\S+) (\d+)\/(\d+):/gm)) dp.set(m[1] as string, m[3] as string)
    const out = (x: Workload): string => dp.get(x.port) ?? '?'
    // with recirculation the trace prints one "Datapath actions:" per pass: `actions` is their concatenation
    // (a ct() of the first pass, then the output of the last), `last` the final pass's
    const trace = async (flow: string, ...states: string[]): Promise<{ actions: string; last: string; text: string }> => {
      const text = await ovs.appctl('ofproto/trace', br, flow, ...states.flatMap(s => ['--ct-next', s]))
      const passes = [...text.matchAll(/^Datapath actions: (.*)$/gm)].map(m => m[1] as string)
      return { actions: passes.join(','), last: passes.at(-1) ?? '', text }
    }
    const tcp = (from: Workload, fromIp: string, toMac: string, toIp: string, dport: number, sport = 40000): string =>
      `in_port=${from.ofport},tcp,dl_src=${from.mac},dl_dst=${toMac},nw_src=${fromIp},nw_dst=${toIp},nw_ttl=64,tp_src=${sport},tp_dst=${dport}`
    const delivered = (r: { last: string }, to: Workload): boolean => r.last.split(/,(?![^(]*\))/).includes(out(to))

    await t.test('a new connection a rule allows is committed and delivered', async t => {
      // b (stateless, may send TCP) -> a (web: SSH from the clients)
      const r = await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 22), 'trk,new')
      t.ok(delivered(r, a), `delivered to a\n${r.text}`)
      t.match(r.last, /^ct\(commit,zone=100,mark=0x2\/0xffffffff\),/, "committed in network 100's zone, not blocked")
    })

    await t.test('a port range piece admits 8000..8080 and nothing next to it', async t => {
      t.ok(delivered(await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 8080), 'trk,new'), a), '8080 passes')
      t.ok(delivered(await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 8000), 'trk,new'), a), '8000 passes')
      const r = await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 8081), 'trk,new')
      t.equal(r.last, 'drop', '8081 drops')
      t.ok(r.text.includes(dropCookie(STAGE_OUT_ACL, REASON_ACL_DENY)), 'by ls_out_acl with acl_deny')
    })

    await t.test('a new connection no rule allows drops acl_deny, committing nothing', async t => {
      const r = await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 23), 'trk,new')
      t.equal(r.last, 'drop', r.text)
      t.ok(r.text.includes(dropCookie(STAGE_OUT_ACL, REASON_ACL_DENY)), 'the acl_deny drop of ls_out_acl')
    })

    await t.test('an established connection no rule allows any more is marked blocked, then dropped', async t => {
      const r = await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 23), 'trk,est')
      t.equal(r.last, 'ct(commit,zone=100,mark=0x3/0xffffffff)', `the blocked mark committed, nothing delivered\n${r.text}`)
      t.notOk(delivered(r, a), 'not delivered')
    })

    await t.test('an open connection still +new (no reply yet) that no rule allows is marked blocked too', async t => {
      // ct_mark CMT (layout.ts): an acl stage committed the connection, so the lookup found one
      const r = await trace(`${tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 23)},ct_mark=0x2`, 'trk,new')
      t.equal(r.last, 'ct(commit,zone=100,mark=0x3/0xffffffff)', `the blocked mark committed, nothing delivered\n${r.text}`)
      const fresh = await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 23), 'trk,new')
      t.equal(fresh.last, 'drop', `a lookup that found no connection commits nothing\n${fresh.text}`)
    })

    await t.test('a reply passes without any rule; a reply of a blocked connection drops ct_blocked', async t => {
      // a (stateful) answers b's SSH in the reply direction; b (stateless) takes TCP from web members
      const reply = tcp(a, '10.0.0.5', b.mac, '10.0.0.6', 40000, 22)
      const r = await trace(reply, 'trk,est,rpl')
      t.ok(delivered(r, b), `a's reply reaches b\n${r.text}`)
      const blocked = await trace(`${reply},ct_mark=0x3`, 'trk,est,rpl')
      t.equal(blocked.last, 'drop', blocked.text)
      t.ok(blocked.text.includes(dropCookie(STAGE_IN_ACL, REASON_CT_BLOCKED)), 'dropped ct_blocked by ls_in_acl')
    })

    await t.test('conntrack saying invalid drops ct_invalid before any rule', async t => {
      const r = await trace(tcp(b, '10.0.0.6', a.mac, '10.0.0.5', 22), 'trk,inv')
      t.equal(r.last, 'drop', r.text)
      t.ok(r.text.includes(dropCookie(STAGE_OUT_ACL, REASON_CT_INVALID)), 'the ct_invalid drop of ls_out_acl')
    })

    await t.test("a stateless port's own egress rules apply to every packet", async t => {
      const ping = `in_port=${b.ofport},icmp,dl_src=${b.mac},dl_dst=${a.mac},nw_src=10.0.0.6,nw_dst=10.0.0.5,nw_ttl=64,icmp_type=8,icmp_code=0`
      const r = await trace(ping)
      t.equal(r.actions, 'drop', `b may send TCP and DNS only\n${r.text}`)
      t.ok(r.text.includes(dropCookie(STAGE_IN_ACL, REASON_ACL_DENY)), 'dropped acl_deny by ls_in_acl')
      t.notMatch(r.text, /ct\(/, 'and never sent through conntrack')
    })

    await t.test("routed between two stateful ports: each network's zone, both rules", async t => {
      // a -> c across the router: a's egress (any IPv4) in zone 100, c's ingress (any from web members) in zone 200
      const r = await trace(tcp(a, '10.0.0.5', 'fa:16:3e:00:00:10', '10.1.0.5', 5000), 'trk,new', 'trk,new')
      t.ok(delivered(r, c), `delivered to c\n${r.text}`)
      t.match(r.actions, /ct\(commit,zone=100/, 'committed in zone 100')
      t.match(r.actions, /ct\(commit,zone=200/, 'and in zone 200')
    })

    await t.test('non-IP traffic passes the security-group stages', async t => {
      const arp = `in_port=${b.ofport},arp,dl_src=${b.mac},dl_dst=${a.mac},arp_op=2,arp_sha=${b.mac},arp_spa=10.0.0.6,arp_tha=${a.mac},arp_tpa=10.0.0.5`
      t.ok(delivered(await trace(arp), a), 'an ARP reply from b reaches a')
    })
  })
}
