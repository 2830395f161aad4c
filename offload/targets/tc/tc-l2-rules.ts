// ls_in_l2_lkup and ls_out_dispatch on TC (BEHAVIOUR.md §9, §10). A flood is one rule: a mirred mirror per local
// port of the network (not the ingress port) and a tunnel_key set + mirror per remote chassis (not for frames that
// came from a tunnel), then a drop whose cookie says "flood network N". Past the profile's action limit the
// flood is trapped to software.
import { STAGE_EGRESS, STAGE_L2_LOOKUP } from '../../../datapath/spec/stages.js'
import { REASON_EGRESS_NO_PORT, REASON_HAIRPIN, REASON_NONE } from '../../../datapath/spec/verdicts.js'
import type { TcAction } from './flower-rule.js'
import { type StageEnv, inSoftware } from './emit-tc.js'
import { drop, goto, trap } from './tc-actions.js'
import type { PathContext, RuleSink } from './tc-context.js'
import { GROUP_BIT } from './tc-ingress-rules.js'
import { PRIO } from './tc-prio.js'
import { beforeEgress } from './tc-acl-rules.js'

export function l2Rules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  if (inSoftware(env, STAGE_L2_LOOKUP)) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('ls_in_l2_lkup stays in software on this profile')] })
    return
  }
  const flood = floodActions(env, ctx)
  add({ prio: PRIO.GUARD, match: { eth_dst: GROUP_BIT, eth_dst_mask: GROUP_BIT }, actions: flood })
  for (const e of env.idx.of('l2').filter(e => e.network === ctx.network)) {
    const hairpin = !ctx.routed && e.port === ctx.srcPort
    add({
      prio: PRIO.ENTRY,
      match: { eth_dst: e.mac },
      actions: hairpin ? [drop(REASON_HAIRPIN)] : [goto(beforeEgress(env, { ...ctx, dstPort: e.port }))],
    })
  }
  add({ prio: PRIO.MISS, match: {}, actions: flood })
}

/** An output through an uplink: with the tag pushed for a VLAN (and popped after a mirror, for the next copies). */
function viaUplink(vid: number, out: Extract<TcAction, { kind: 'mirred' }>): TcAction[] {
  if (vid === 0) return [out]
  const push: TcAction = { kind: 'vlan_push', vid }
  return out.mode === 'mirror' ? [push, out, { kind: 'vlan_pop' }] : [push, out]
}

function floodActions(env: StageEnv, ctx: PathContext): TcAction[] {
  const ports = new Set<number>([
    ...env.idx
      .of('l2')
      .filter(e => e.network === ctx.network)
      .map(e => e.port),
    ...env.idx.of('classify').flatMap(e => ('in_port' in e && e.network === ctx.network ? [e.port] : [])),
  ])
  const egress = new Map(env.idx.of('egress').map(e => [e.port, e]))
  const actions: TcAction[] = []
  // out of the uplink once, tagged (ports behind it are `egress uplink`); never back to where it came from
  const uplink = env.idx.of('uplink').find(u => u.network === ctx.network)
  if (uplink !== undefined && ctx.fromUplink !== true)
    actions.push(...viaUplink(uplink.vlan ?? 0, { kind: 'mirred', mode: 'mirror', to: uplink.ofport }))
  const remotes = new Set<string>()
  for (const p of [...ports].sort((a, b) => a - b)) {
    const e = egress.get(p)
    if (p === ctx.srcPort && !ctx.routed) continue
    if (e?.local !== undefined) actions.push({ kind: 'mirred', mode: 'mirror', to: e.local })
    else if (e?.remote !== undefined && !ctx.fromTunnel) remotes.add(e.remote)
  }
  const canEncap = env.profile.tunnels.encap.includes(env.tunnel)
  if (remotes.size > 0 && !canEncap) return [trap(`flooding to remote chassis needs ${env.tunnel} encapsulation`)]
  for (const r of [...remotes].sort()) {
    actions.push({ kind: 'tunnel_key_set', id: ctx.network, dst: r }, { kind: 'mirred', mode: 'mirror', to: 'tunnel' })
  }
  actions.push({ kind: 'drop', note: { action: 'flood', reason: REASON_NONE, network: ctx.network } })
  const max = env.profile.actions.maxActionsPerEntry.value
  if (max !== undefined && actions.length > max)
    return [trap(`flooding network ${ctx.network} needs ${actions.length} actions (at most ${max})`)]
  return actions
}

export function egressRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  if (inSoftware(env, STAGE_EGRESS)) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('ls_out_dispatch stays in software on this profile')] })
    return
  }
  const port = ctx.dstPort ?? 0
  const e = env.idx.of('egress').find(x => x.port === port)
  let actions: TcAction[]
  if (e?.local !== undefined) {
    actions = [{ kind: 'mirred', mode: 'redirect', to: e.local, note: { action: 'output', reason: REASON_NONE } }]
  } else if (e?.uplink === true) {
    const uplink = env.idx.of('uplink').find(u => u.network === ctx.network)
    actions =
      uplink === undefined
        ? [drop(REASON_EGRESS_NO_PORT)]
        : viaUplink(uplink.vlan ?? 0, {
            kind: 'mirred',
            mode: 'redirect',
            to: uplink.ofport,
            note: { action: 'output', reason: REASON_NONE },
          })
  } else if (e?.remote !== undefined) {
    actions = env.profile.tunnels.encap.includes(env.tunnel)
      ? [
          { kind: 'tunnel_key_set', id: ctx.network, dst: e.remote },
          { kind: 'mirred', mode: 'redirect', to: 'tunnel', note: { action: 'tunnel', reason: REASON_NONE, network: ctx.network, port } },
        ]
      : [trap(`the profile cannot encapsulate ${env.tunnel}`)]
  } else {
    actions = [drop(REASON_EGRESS_NO_PORT)]
  }
  add({ prio: PRIO.MISS, match: {}, actions })
}
