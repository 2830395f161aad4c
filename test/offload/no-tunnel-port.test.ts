// A node without a tunnel port (an agent started without --tunnel-ip, or whose tunnel port got no ofport) whose
// network also has a port on another chassis: the emitter must still give the local ports their flows (the remote
// port is unreachable: its frames end at ls_out_dispatch's miss, egress_no_port). Before, emitting threw, so the
// agent installed nothing at all and retried every second.
import t from 'tap'
import type { Entry } from '../../datapath/host/entries.js'
import { STAGE_EGRESS, STAGE_L2_LOOKUP } from '../../datapath/spec/stages.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { renderFlows } from '../../offload/openflow/text.js'

const entries: Entry[] = [
  { stage: 'classify', tunnel_key: 7, network: 7 },
  { stage: 'classify', in_port: 3, network: 7, port: 21 },
  { stage: 'l2', network: 7, mac: 'fa:16:3e:00:00:21', port: 21 },
  { stage: 'l2', network: 7, mac: 'fa:16:3e:00:00:22', port: 22 },
  { stage: 'egress', port: 21, local: 3 },
  { stage: 'egress', port: 22, remote: '172.31.9.2' },
]

t.test('without a tunnel port, remote ports get no flows and local ones keep theirs', async t => {
  const flows = emitOpenFlow(entries, { generation: 4 })
  const text = renderFlows(flows)
  const egress = flows.filter(f => f.table === STAGE_EGRESS + 10)
  t.ok(
    egress.some(f => /output:3/.test(renderFlows([f]))),
    'the local port is delivered to its ofport',
  )
  t.notMatch(text, /tun_dst|->tun_id|NXM_NX_TUN_ID/, 'no flow sets tunnel metadata (the classify flow may still match tun_id)')
  t.ok(
    flows.some(f => f.table === STAGE_L2_LOOKUP + 10 && /output:3/.test(renderFlows([f]))),
    'flooding still reaches the local port',
  )
})

t.test('with a tunnel port, the remote port is tunnelled to its chassis', async t => {
  const text = renderFlows(emitOpenFlow(entries, { generation: 4, tunnelOfport: 9 }))
  t.match(text, /set_field:172\.31\.9\.2->tun_dst,output:9/, 'egress and flood tunnel to the remote chassis')
})
