// The differential test must be able to fail: a TC flower MODEL run on deliberately broken rules (no TTL
// decrement on routed packets; port-security IP drops turned into a different reason) has to disagree with the
// WASM pipeline on the same random packets, and the reproducer has to name the packet.
import t from 'tap'
import type { TcAction, TcProgram } from '../../../offload/targets/tc/flower-rule.js'
import { emitTc } from '../../../offload/targets/tc/emit-tc.js'
import { FlowerModel } from '../../../offload/targets/tc/flower-model.js'
import { verdictDiff } from '../../../offload/targets/verdict-diff.js'
import { REASON_PORT_SEC_IP, REASON_PORT_SEC_MAC } from '../../../datapath/spec/verdicts.js'
import { randomPacket, randomTopology, rng } from './random-topology.js'
import { profilesOf } from './vector-equivalence.js'

const PACKETS = 3000
const { createDatapath } = await import('../../../datapath/host/index.js')
const dp = await createDatapath({ backend: 'core' })
const topo = randomTopology(1)
dp.clear()
dp.load(topo.topology)
const r = rng(11)
const packets = Array.from({ length: PACKETS }, () => randomPacket(topo, r))
const wasm = dp.process(packets)
const profile = profilesOf(['tc-flower']).find(p => p.tunnels.decap.length > 0 && p.actions.supported.includes('dec_ttl'))

const mutations: { name: string; change: (a: TcAction) => TcAction | undefined }[] = [
  { name: 'routed packets keep their TTL', change: a => (a.kind === 'dec_ttl' ? undefined : a) },
  {
    name: 'port-security IP drops say port_sec_mac',
    change: a =>
      a.kind === 'drop' && a.note.reason === REASON_PORT_SEC_IP ? { kind: 'drop', note: { ...a.note, reason: REASON_PORT_SEC_MAC } } : a,
  },
]

for (const m of mutations) {
  t.test(`TC flower MODEL with a planted bug (${m.name}) disagrees with the WASM pipeline`, async t => {
    if (profile === undefined) {
      t.fail('no tc-flower profile that routes on the target')
      return
    }
    const good = emitTc(topo.topology.entries, profile)
    const broken: TcProgram = {
      ...good,
      rules: good.rules.map(rule => ({
        ...rule,
        actions: rule.actions.flatMap(a => {
          const b = m.change(a)
          return b === undefined ? [] : [b]
        }),
      })),
    }
    const model = new FlowerModel(broken)
    const diffs = packets.flatMap((p, i) => {
      const out = model.run(p)
      const w = wasm[i]
      return out.verdict !== undefined && w !== undefined && verdictDiff(w, out.verdict) !== undefined ? [i] : []
    })
    t.ok(diffs.length > 0, `${diffs.length} of ${PACKETS} packets disagree`)
  })
}
