// The NAT part of an offload plan: which translations of BEHAVIOUR.md "Ways in and out" a profile can hold.
// 1:1 (floating IPs) is stateless header rewriting, placed like any stage (lr_in_dnat, lr_out_snat); SNAT with
// port translation (not implemented yet) needs the target's connection tracking to do NAT, which the profile
// declares (conntrack.nat and the ct_nat action, HARDWARE-FACTS.md §1.3); the planner reads it, never a name.
import type { Entry } from '../datapath/host/entries.js'
import { STAGE_DNAT, STAGE_SNAT } from '../datapath/spec/stages.js'
import type { StagePlan } from './planner.js'
import type { Profile } from './profile.js'

export interface NatVerdict {
  offload: boolean
  why: string
}

export interface NatReport {
  /** nat entries (floating IPs on this chassis) */
  floatingIps: number
  /** target rules both NAT stages need */
  rules: number
  oneToOne: { dnat: NatVerdict; snat: NatVerdict }
  portTranslation: NatVerdict
}

function stageVerdict(stage: StagePlan | undefined): NatVerdict {
  if (stage === undefined) return { offload: false, why: 'stage missing from the plan' }
  const why = stage.why.join('; ')
  return { offload: stage.placement !== 'software', why: `${stage.stage} ${stage.placement}${why !== '' ? `: ${why}` : ''}` }
}

export function natReport(entries: Entry[], stages: StagePlan[], profile: Profile): NatReport {
  const dnat = stages.find(s => s.id === STAGE_DNAT)
  const snat = stages.find(s => s.id === STAGE_SNAT)
  const ctNat = profile.conntrack.nat === true && profile.actions.supported.includes('ct_nat')
  return {
    floatingIps: entries.filter(e => e.stage === 'nat').length,
    rules: (dnat?.rules ?? 0) + (snat?.rules ?? 0),
    oneToOne: { dnat: stageVerdict(dnat), snat: stageVerdict(snat) },
    portTranslation: ctNat
      ? {
          offload: true,
          why: "the profile's connection tracking does NAT (conntrack.nat, action ct_nat): it could hold port-translated connections once the datapath implements them",
        }
      : {
          offload: false,
          why: `the profile has no connection-tracking NAT (conntrack.nat ${String(profile.conntrack.nat ?? false)}, ct_nat ${profile.actions.supported.includes('ct_nat') ? 'listed' : 'not listed'}): port translation would stay in software`,
        },
  }
}

/** The report in words, for `dragonflow offload plan`. */
export function describeNat(r: NatReport): string[] {
  const yes = (v: NatVerdict): string => `${v.offload ? 'yes' : 'no'} (${v.why})`
  return [
    `NAT: ${r.floatingIps} floating IP(s), ${r.rules} rule(s)`,
    `  1:1 DNAT (floating IP -> fixed IP) on the target: ${yes(r.oneToOne.dnat)}`,
    `  1:1 SNAT (fixed IP -> floating IP) on the target: ${yes(r.oneToOne.snat)}`,
    `  SNAT with port translation on the target: ${yes(r.portTranslation)}`,
  ]
}
