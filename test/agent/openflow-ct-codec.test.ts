// The codec's conntrack and conjunction actions and fields (Nicira extensions): struct sizes, OVS's own parser
// reading our FLOW_MOD bytes as the flow it parses from our text (every security-group flow of a topology),
// decode-then-encode giving back the same bytes, and the typed decode of ct's nested actions.
import t from 'tap'
import { needTool } from '../helpers/requirements.js'
import { decodeBody, flowBody } from '../../agent/flows/desired-flows.js'
import { Reader, Writer } from '../../agent/openflow/bytes.js'
import { type Action, decodeAction, encodeAction, NX_CT_RECIRC_NONE } from '../../agent/openflow/actions.js'
import { decodeMessage, encodeMessage } from '../../agent/openflow/codec.js'
import { matchGet } from '../../agent/openflow/oxm.js'
import { OF_TABLE_BASE, STAGE_IN_ACL, STAGE_IN_CT, STAGE_OUT_ACL, STAGE_OUT_CT } from '../../datapath/spec/stages.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { renderFlow } from '../../offload/openflow/text.js'
import { withAcls } from '../offload/openflow-acl-fixture.js'
import { describeDiff, ofctlParseFlow, ofpPrint } from './golden.js'

const actionBytes = (a: Action): Buffer => {
  const w = new Writer()
  encodeAction(w, a)
  return w.finish()
}
const aclTables = [STAGE_IN_CT, STAGE_IN_ACL, STAGE_OUT_CT, STAGE_OUT_ACL].map(s => OF_TABLE_BASE + s)
const aclFlows = emitOpenFlow(withAcls(), { tunnelOfport: 100 }).filter(f => aclTables.includes(f.table))

t.test('Nicira action structs have their sizes (nicira-ext.h, ofp-actions.c)', async t => {
  t.equal(actionBytes({ type: 'NXAST_CONJUNCTION', id: 1, clause: 0, nClauses: 2 }).length, 16, 'nx_action_conjunction')
  t.equal(
    actionBytes({ type: 'NXAST_CT', flags: 0, zoneSrc: 0, zoneOfsNbits: 0, recircTable: NX_CT_RECIRC_NONE, alg: 0, actions: [] }).length,
    24,
    'nx_action_conntrack',
  )
  t.equal(actionBytes({ type: 'NXAST_CT_CLEAR' }).length, 16, 'nx_action_header (ct_clear)')
})

t.test(
  'OVS reads our FLOW_MODs of every security-group flow as the flow it parses from our text',
  { skip: needTool('ovs-ofctl') },
  async t => {
    t.ok(aclFlows.length > 100, `${aclFlows.length} flows`)
    for (const f of aclFlows) {
      const m = decodeBody(flowBody(f))
      t.equal(ofpPrint(encodeMessage(m, 1)), ofctlParseFlow(renderFlow(f)), renderFlow(f))
    }
  },
)

t.test('decode then encode gives back the same bytes', async t => {
  for (const f of aclFlows) {
    const bytes = encodeMessage(decodeBody(flowBody(f)), 7)
    t.equal(describeDiff(encodeMessage(decodeMessage(bytes)), bytes), '', renderFlow(f))
  }
})

t.test('ct and conjunction decode as typed actions; ct_state and conj_id as typed fields', async t => {
  const commit = aclFlows.find(f => f.match.some(x => x.field === 'conj_id') && f.actions.some(a => a.type === 'NXAST_CT' && a.commit))
  const m = decodeBody(flowBody(commit ?? (aclFlows[0] as never)))
  const acts = m.instructions.flatMap(i => (i.type === 'OFPIT_APPLY_ACTIONS' ? i.actions : []))
  const ct = acts.find(a => a.type === 'NXAST_CT')
  t.ok(ct !== undefined && ct.type === 'NXAST_CT' && (ct.flags & 1) === 1, 'a committing ct')
  if (ct?.type === 'NXAST_CT') {
    t.equal(ct.zoneSrc, 0x00010004, 'zone from NXM_NX_REG0')
    t.equal(ct.zoneOfsNbits, 15, 'bits 0..15')
    t.equal(ct.recircTable, NX_CT_RECIRC_NONE, 'no recirculation')
    t.same(
      ct.actions.map(a => (a.type === 'OFPAT_SET_FIELD' ? a.field.name : a.type)),
      ['NXM_NX_CT_MARK'],
      'exec(set_field ct_mark)',
    )
  }
  t.ok(matchGet(m.match, 'NXM_NX_CONJ_ID') !== undefined, 'conj_id is a known field')
  t.ok(matchGet(m.match, 'NXM_NX_CT_STATE') !== undefined, 'ct_state is a known field')
  const conj = aclFlows.find(f => f.actions.some(a => a.type === 'NXAST_CONJUNCTION'))
  const first = decodeBody(flowBody(conj ?? (aclFlows[0] as never))).instructions.flatMap(i =>
    i.type === 'OFPIT_APPLY_ACTIONS' ? i.actions : [],
  )[0]
  t.equal(first?.type, 'NXAST_CONJUNCTION', 'conjunction() decodes typed')
  // a ct whose padding is not zero stays bytes, so that re-encoding cannot change it
  const odd = actionBytes({ type: 'NXAST_CT', flags: 0, zoneSrc: 0, zoneOfsNbits: 5, recircTable: 3, alg: 0, actions: [] })
  odd[19] = 1
  const back = decodeAction(new Reader(odd))
  t.equal(back.type, 'unknown', 'kept as bytes')
  t.equal(describeDiff(actionBytes(back), odd), '', 'and written back unchanged')
})
