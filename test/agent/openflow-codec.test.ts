// The OpenFlow 1.3 codec: struct sizes, round trips, OVS's own parser reading our bytes, and bad input
// turned into typed errors. Runs without root (ovs-ofctl ofp-print needs no switch).
import t from 'tap'
import { needTool } from '../helpers/requirements.js'
import { decodeMessage, encodeMessage, registeredTypes } from '../../agent/openflow/codec.js'
import { registerMessage } from '../../agent/openflow/registry.js'
import { Reader, Writer } from '../../agent/openflow/bytes.js'
import { OFP_TYPES, OFPP_ANY, OFPP_CONTROLLER, OFPG_ANY, OFPTT_ALL, OFPMPF_REPLY_MORE } from '../../agent/openflow/constants.js'
import { encodeAction, decodeAction, type Action } from '../../agent/openflow/actions.js'
import { encodeInstruction, type Instruction } from '../../agent/openflow/instructions.js'
import { encodeMatch, decodeMatch, matchGet, oxm, oxmValue } from '../../agent/openflow/oxm.js'
import { flowAdd, flowDeleteByCookie, flowDeleteStrict, flowModify } from '../../agent/openflow/messages/flow-mod.js'
import { packetOut } from '../../agent/openflow/messages/packet-out.js'
import { errorName } from '../../agent/openflow/error-names.js'
import { OfpErrorReply } from '../../agent/openflow/error-reply.js'
import { OfError } from '../../agent/openflow/errors.js'
import { OfFramer } from '../../agent/openflow/framer.js'
import { encodePort, OFP_PORT_LEN, type OfpPort } from '../../agent/openflow/port.js'
import type { OfMessage } from '../../agent/openflow/messages.js'
import { describeDiff, ofctlParseFlow, ofpPrint } from './golden.js'

const ARP = Buffer.from('ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002', 'hex')
const PORT: OfpPort = {
  portNo: 3,
  hwAddr: '02:00:00:00:00:03',
  name: 'tap3',
  config: 0,
  state: 1,
  curr: 0,
  advertised: 0,
  supported: 0,
  peer: 0,
  currSpeed: 10_000_000,
  maxSpeed: 0,
}
const bucket = (port: number): { weight: number; watchPort: number; watchGroup: number; actions: Action[] } => ({
  weight: 0,
  watchPort: OFPP_ANY,
  watchGroup: OFPG_ANY,
  actions: [{ type: 'OFPAT_OUTPUT', port }],
})

const actionBytes = (a: Action): Buffer => {
  const w = new Writer()
  encodeAction(w, a)
  return w.finish()
}
const instructionBytes = (i: Instruction): Buffer => {
  const w = new Writer()
  encodeInstruction(w, i)
  return w.finish()
}

t.test('every struct has the size the spec gives it', async t => {
  const size = (m: OfMessage): number => encodeMessage(m).length
  const sizes: Array<[string, number, number]> = [
    ['ofp_header (OFPT_BARRIER_REQUEST)', size({ type: 'OFPT_BARRIER_REQUEST' }), 8],
    ['ofp_hello with a one-word version bitmap', size({ type: 'OFPT_HELLO', versions: [4] }), 16],
    [
      'ofp_switch_features',
      size({ type: 'OFPT_FEATURES_REPLY', datapathId: 1n, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: 0 }),
      32,
    ],
    ['ofp_switch_config', size({ type: 'OFPT_SET_CONFIG', flags: 0, missSendLen: 0xffff }), 12],
    ['ofp_flow_mod (empty match)', size(flowAdd({})), 56],
    ['ofp_group_mod', size({ type: 'OFPT_GROUP_MOD', command: 0, groupType: 0, groupId: 1, buckets: [] }), 16],
    [
      'ofp_group_mod + ofp_bucket with one output',
      size({ type: 'OFPT_GROUP_MOD', command: 0, groupType: 0, groupId: 1, buckets: [bucket(1)] }),
      16 + 16 + 16,
    ],
    [
      'ofp_packet_in (empty match) + 2 pad',
      size({ type: 'OFPT_PACKET_IN', bufferId: 0, totalLen: 0, reason: 0, tableId: 0, cookie: 0n, match: [], data: Buffer.alloc(0) }),
      32 + 2,
    ],
    ['ofp_packet_out', size(packetOut(Buffer.alloc(0), [])), 24],
    ['ofp_error_msg', size({ type: 'OFPT_ERROR', errType: 1, code: 1, data: Buffer.alloc(0) }), 12],
    [
      'ofp_error_experimenter_msg',
      size({ type: 'OFPT_ERROR', errType: 0xffff, code: 2300, experimenter: 0x4f4e4600, data: Buffer.alloc(0) }),
      16,
    ],
    ['ofp_multipart_request (port desc)', size({ type: 'OFPT_MULTIPART_REQUEST', flags: 0, body: { mpType: 'OFPMP_PORT_DESC' } }), 16],
    [
      'ofp_multipart_request + ofp_flow_stats_request',
      size({
        type: 'OFPT_MULTIPART_REQUEST',
        flags: 0,
        body: { mpType: 'OFPMP_FLOW', tableId: OFPTT_ALL, outPort: OFPP_ANY, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match: [] },
      }),
      16 + 40,
    ],
    [
      'ofp_multipart_reply + ofp_flow_stats',
      size({
        type: 'OFPT_MULTIPART_REPLY',
        flags: 0,
        body: {
          mpType: 'OFPMP_FLOW',
          flows: [
            {
              tableId: 0,
              durationSec: 0,
              durationNsec: 0,
              priority: 0,
              idleTimeout: 0,
              hardTimeout: 0,
              flags: 0,
              cookie: 0n,
              packetCount: 0n,
              byteCount: 0n,
              match: [],
              instructions: [],
            },
          ],
        },
      }),
      16 + 56,
    ],
    [
      'ofp_multipart_reply + ofp_desc',
      size({
        type: 'OFPT_MULTIPART_REPLY',
        flags: 0,
        body: { mpType: 'OFPMP_DESC', mfrDesc: '', hwDesc: '', swDesc: '', serialNum: '', dpDesc: '' },
      }),
      16 + 1056,
    ],
    ['ofp_port_status', size({ type: 'OFPT_PORT_STATUS', reason: 0, port: PORT }), 80],
    ['onf_bundle_ctrl_msg', size({ type: 'ONF_ET_BUNDLE_CONTROL', bundleId: 1, ctrlType: 'ONF_BCT_OPEN_REQUEST', flags: 1 }), 24],
    [
      'onf_bundle_add_msg around a barrier',
      size({ type: 'ONF_ET_BUNDLE_ADD_MESSAGE', bundleId: 1, flags: 1, message: { type: 'OFPT_BARRIER_REQUEST' } }),
      24 + 8,
    ],
    ['ofp_action_output', actionBytes({ type: 'OFPAT_OUTPUT', port: 1 }).length, 16],
    ['ofp_action_push', actionBytes({ type: 'OFPAT_PUSH_VLAN', ethertype: 0x8100 }).length, 8],
    ['ofp_action_generic (pop_vlan)', actionBytes({ type: 'OFPAT_POP_VLAN' }).length, 8],
    ['ofp_action_generic (dec_nw_ttl)', actionBytes({ type: 'OFPAT_DEC_NW_TTL' }).length, 8],
    ['ofp_action_group', actionBytes({ type: 'OFPAT_GROUP', groupId: 1 }).length, 8],
    ['ofp_action_set_field (4-byte field, padded)', actionBytes({ type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_REG0', 1) }).length, 16],
    [
      'ofp_action_set_field (6-byte field, padded)',
      actionBytes({ type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_ETH_DST', '02:00:00:00:00:01') }).length,
      16,
    ],
    ['nx_action_resubmit', actionBytes({ type: 'NXAST_RESUBMIT_TABLE', table: 1 }).length, 16],
    ['ofp_instruction_goto_table', instructionBytes({ type: 'OFPIT_GOTO_TABLE', table: 1 }).length, 8],
    ['ofp_instruction_write_metadata', instructionBytes({ type: 'OFPIT_WRITE_METADATA', metadata: 1n, mask: 1n }).length, 24],
    ['ofp_instruction_actions (empty)', instructionBytes({ type: 'OFPIT_APPLY_ACTIONS', actions: [] }).length, 8],
    [
      'ofp_port',
      (() => {
        const w = new Writer()
        encodePort(w, PORT)
        return w.length
      })(),
      OFP_PORT_LEN,
    ],
  ]
  for (const [what, got, want] of sizes) t.equal(got, want, `${what} is ${want} bytes`)
  const w = new Writer()
  encodeMatch(w, [])
  t.equal(w.length, 8, 'an empty ofp_match is 8 bytes (4 + pad)')
  const w2 = new Writer()
  encodeMatch(w2, [oxm('OXM_OF_IN_PORT', 1)])
  t.equal(w2.length, 16, 'ofp_match with in_port: 4 + 8, padded to 16')
  t.equal(w2.finish().readUInt16BE(2), 12, 'ofp_match.length excludes the padding')
})

t.test("the spec's message types have codecs, and the registry refuses a second codec for a name or a code", async t => {
  const codes = registeredTypes()
  for (const name of [
    'OFPT_HELLO',
    'OFPT_ERROR',
    'OFPT_ECHO_REQUEST',
    'OFPT_FEATURES_REPLY',
    'OFPT_SET_CONFIG',
    'OFPT_PACKET_IN',
    'OFPT_PORT_STATUS',
    'OFPT_PACKET_OUT',
    'OFPT_FLOW_MOD',
    'OFPT_GROUP_MOD',
    'OFPT_MULTIPART_REPLY',
    'OFPT_BARRIER_REPLY',
  ] as const) {
    t.ok(codes.includes(OFP_TYPES[name]), `${name} (${OFP_TYPES[name]}) has a codec`)
  }
  const echo = encodeMessage({ type: 'OFPT_ECHO_REQUEST', data: Buffer.from('hi') }, 7)
  const fake = {
    encode: (): void => {},
    decode: (): never => {
      throw new Error('the fake codec was used')
    },
  }
  t.throws(
    () => registerMessage<'OFPT_ECHO_REQUEST'>({ name: 'OFPT_ECHO_REQUEST', ofpType: 99, ...fake }),
    /OFPT_ECHO_REQUEST is already registered/,
    'a second codec under a name',
  )
  // a new name on a taken code: the cast stands for a message type some future module might declare
  t.throws(
    () =>
      registerMessage<'OFPT_ECHO_REQUEST'>({
        name: 'TEST_SECOND_ECHO' as 'OFPT_ECHO_REQUEST',
        ofpType: OFP_TYPES.OFPT_ECHO_REQUEST,
        ...fake,
      }),
    /ofp_type 2 is already registered for OFPT_ECHO_REQUEST/,
    'a second codec for an ofp_type',
  )
  t.same(decodeMessage(echo), { type: 'OFPT_ECHO_REQUEST', xid: 7, data: Buffer.from('hi') }, 'the refused codecs changed nothing')
  t.same(registeredTypes(), codes, 'no code was added')
})

const flowMods = {
  'a pipeline flow with registers, resubmit and output': [
    flowAdd({
      tableId: 3,
      priority: 100,
      match: [oxm('OXM_OF_IN_PORT', 1), oxm('NXM_NX_REG0', 5)],
      instructions: [
        {
          type: 'OFPIT_APPLY_ACTIONS',
          actions: [
            { type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_REG1', 1) },
            { type: 'NXAST_RESUBMIT_TABLE', table: 4 },
            { type: 'OFPAT_OUTPUT', port: 2 },
          ],
        },
      ],
    }),
    'table=3,priority=100,in_port=1,reg0=5,actions=set_field:0x1->reg1,resubmit(,4),output:2',
  ],
  'an L3 flow with a masked destination, dec_ttl, a VLAN push and a group': [
    flowAdd({
      tableId: 1,
      priority: 5,
      cookie: 0x55n,
      match: [oxm('OXM_OF_ETH_TYPE', 0x0800), oxm('OXM_OF_IPV4_DST', '10.0.0.0', '255.0.0.0')],
      instructions: [
        {
          type: 'OFPIT_APPLY_ACTIONS',
          actions: [
            { type: 'OFPAT_DEC_NW_TTL' },
            { type: 'OFPAT_PUSH_VLAN', ethertype: 0x8100 },
            { type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_VLAN_VID', 0x1064) },
            { type: 'OFPAT_GROUP', groupId: 3 },
          ],
        },
      ],
    }),
    'table=1,priority=5,cookie=0x55,ip,nw_dst=10.0.0.0/8,actions=dec_ttl,push_vlan:0x8100,set_field:4196->vlan_vid,group:3',
  ],
  'metadata, tunnel id, goto_table and write_actions': [
    flowAdd({
      tableId: 10,
      priority: 200,
      match: [oxm('OXM_OF_TUNNEL_ID', 0x64n), oxm('OXM_OF_METADATA', 0x10n, 0xffn)],
      instructions: [
        { type: 'OFPIT_GOTO_TABLE', table: 11 },
        { type: 'OFPIT_WRITE_METADATA', metadata: 0x20n, mask: 0xf0n },
        { type: 'OFPIT_WRITE_ACTIONS', actions: [{ type: 'OFPAT_POP_VLAN' }] },
      ],
    }),
    'table=10,priority=200,tun_id=0x64,metadata=0x10/0xff,actions=write_actions(pop_vlan),write_metadata:0x20/0xf0,goto_table:11',
  ],
  'the table-miss flow to the controller': [
    flowAdd({
      priority: 0,
      instructions: [{ type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_OUTPUT', port: OFPP_CONTROLLER, maxLen: 0xffff }] }],
    }),
    'priority=0,actions=CONTROLLER:65535',
  ],
  'a tunnel egress flow setting tun_dst and MAC addresses': [
    flowAdd({
      tableId: 17,
      priority: 1,
      match: [oxm('NXM_NX_REG7', 9)],
      instructions: [
        {
          type: 'OFPIT_APPLY_ACTIONS',
          actions: [
            { type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_TUN_IPV4_DST', '192.168.1.2') },
            { type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_TUNNEL_ID', 0x1234n) },
            { type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_ETH_SRC', '02:aa:bb:cc:dd:ee') },
            { type: 'OFPAT_OUTPUT', port: 4 },
          ],
        },
      ],
    }),
    'table=17,priority=1,reg7=9,actions=set_field:192.168.1.2->tun_dst,set_field:0x1234->tun_id,set_field:02:aa:bb:cc:dd:ee->eth_src,output:4',
  ],
} satisfies Record<string, [OfMessage, string]>

t.test('OVS reads our FLOW_MODs as the same flows it parses from text', { skip: needTool('ovs-ofctl') }, async t => {
  for (const [what, [m, text]] of Object.entries(flowMods)) {
    t.equal(ofpPrint(encodeMessage(m, 1)), ofctlParseFlow(text), what)
  }
})

t.test('OVS reads our other messages as we meant them', { skip: needTool('ovs-ofctl') }, async t => {
  const cases: Array<[OfMessage, string]> = [
    [{ type: 'OFPT_HELLO', versions: [4] }, 'OFPT_HELLO (OF1.3) (xid=0x1):\n version bitmap: 0x04'],
    [{ type: 'OFPT_FEATURES_REQUEST' }, 'OFPT_FEATURES_REQUEST (OF1.3) (xid=0x1):'],
    [{ type: 'OFPT_SET_CONFIG', flags: 0, missSendLen: 0xffff }, 'OFPT_SET_CONFIG (OF1.3) (xid=0x1): frags=normal miss_send_len=65535'],
    [{ type: 'OFPT_BARRIER_REQUEST' }, 'OFPT_BARRIER_REQUEST (OF1.3) (xid=0x1):'],
    [flowDeleteByCookie(0x100n, 0xff00n), 'OFPT_FLOW_MOD (OF1.3) (xid=0x1): DEL table:255 cookie:0x100/0xff00 actions=drop'],
    [
      flowDeleteStrict({ tableId: 2, priority: 7, match: [oxm('OXM_OF_IN_PORT', 3)] }),
      'OFPT_FLOW_MOD (OF1.3) (xid=0x1): DEL_STRICT table:2 priority=7,in_port=3 actions=drop',
    ],
    [
      flowModify({
        tableId: 2,
        priority: 7,
        match: [oxm('OXM_OF_IN_PORT', 3)],
        instructions: [{ type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_OUTPUT', port: 9 }] }],
      }),
      'OFPT_FLOW_MOD (OF1.3) (xid=0x1): MOD_STRICT table:2 priority=7,in_port=3 actions=output:9',
    ],
    [
      { type: 'OFPT_GROUP_MOD', command: 0, groupType: 0, groupId: 3, buckets: [bucket(1), bucket(2)] },
      'OFPT_GROUP_MOD (OF1.3) (xid=0x1):\n ADD group_id=3,type=all,bucket=actions=output:1,bucket=actions=output:2',
    ],
    [
      packetOut(ARP, [{ type: 'OFPAT_OUTPUT', port: 1 }]),
      'OFPT_PACKET_OUT (OF1.3) (xid=0x1): in_port=CONTROLLER actions=output:1 data_len=42\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00',
    ],
    [
      { type: 'ONF_ET_BUNDLE_CONTROL', bundleId: 1, ctrlType: 'ONF_BCT_OPEN_REQUEST', flags: 1 },
      'ONFT_BUNDLE_CONTROL (OF1.3) (xid=0x1):\n bundle_id=0x1 type=OPEN_REQUEST flags=atomic',
    ],
    [
      { type: 'ONF_ET_BUNDLE_CONTROL', bundleId: 1, ctrlType: 'ONF_BCT_COMMIT_REQUEST', flags: 3 },
      'ONFT_BUNDLE_CONTROL (OF1.3) (xid=0x1):\n bundle_id=0x1 type=COMMIT_REQUEST flags=atomic ordered',
    ],
    [
      { type: 'ONF_ET_BUNDLE_ADD_MESSAGE', bundleId: 1, flags: 1, message: flowAdd({ priority: 0, match: [oxm('OXM_OF_IN_PORT', 1)] }) },
      'ONFT_BUNDLE_ADD_MESSAGE (OF1.3) (xid=0x1):\n bundle_id=0x1 flags=atomic\nOFPT_FLOW_MOD (OF1.3) (xid=0x1): ADD priority=0,in_port=1 actions=drop',
    ],
    [
      {
        type: 'OFPT_MULTIPART_REQUEST',
        flags: 0,
        body: { mpType: 'OFPMP_FLOW', tableId: OFPTT_ALL, outPort: OFPP_ANY, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match: [] },
      },
      'OFPST_FLOW request (OF1.3) (xid=0x1):',
    ],
    [
      { type: 'OFPT_MULTIPART_REQUEST', flags: 0, body: { mpType: 'OFPMP_PORT_DESC' } },
      'OFPST_PORT_DESC request (OF1.3) (xid=0x1): port=ANY',
    ],
    [
      {
        type: 'OFPT_PACKET_IN',
        bufferId: 0xffffffff,
        totalLen: 42,
        reason: 0,
        tableId: 0,
        cookie: 0n,
        match: [oxm('OXM_OF_IN_PORT', 1), oxm('OXM_OF_METADATA', 0x77n), oxm('NXM_NX_REG3', 9), oxm('OXM_OF_TUNNEL_ID', 0x64n)],
        data: ARP,
      },
      'OFPT_PACKET_IN (OF1.3) (xid=0x1): cookie=0x0 total_len=42 reg3=0x9,tun_id=0x64,metadata=0x77,in_port=1 (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00',
    ],
    [
      {
        type: 'OFPT_MULTIPART_REPLY',
        flags: 0,
        body: {
          mpType: 'OFPMP_FLOW',
          flows: [
            {
              tableId: 1,
              durationSec: 2,
              durationNsec: 0,
              priority: 9,
              idleTimeout: 0,
              hardTimeout: 0,
              flags: 0,
              cookie: 5n,
              packetCount: 1n,
              byteCount: 60n,
              match: [oxm('OXM_OF_IN_PORT', 1)],
              instructions: [
                { type: 'OFPIT_WRITE_METADATA', metadata: 5n, mask: 0xffn },
                { type: 'OFPIT_GOTO_TABLE', table: 2 },
              ],
            },
          ],
        },
      },
      'OFPST_FLOW reply (OF1.3) (xid=0x1):\n cookie=0x5, duration=2s, table=1, n_packets=1, n_bytes=60, priority=9,in_port=1 actions=write_metadata:0x5/0xff,goto_table:2',
    ],
  ]
  for (const [m, text] of cases) t.equal(ofpPrint(encodeMessage(m, 1)), text, m.type)
})

t.test('decode then encode gives back the same bytes', async t => {
  const msgs: OfMessage[] = [
    ...Object.values(flowMods).map(([m]) => m),
    { type: 'OFPT_HELLO', versions: [1, 4, 5] },
    { type: 'OFPT_ECHO_REQUEST', data: Buffer.from('ping') },
    { type: 'OFPT_FEATURES_REPLY', datapathId: 0xfedcba9876543210n, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: 0x4f },
    { type: 'OFPT_GET_CONFIG_REPLY', flags: 0, missSendLen: 128 },
    { type: 'OFPT_GROUP_MOD', command: 0, groupType: 0, groupId: 3, buckets: [bucket(1), bucket(2)] },
    {
      type: 'OFPT_PACKET_IN',
      bufferId: 0xffffffff,
      totalLen: 42,
      reason: 1,
      tableId: 3,
      cookie: 7n,
      match: [oxm('OXM_OF_IN_PORT', 1), oxm('NXM_NX_REG15', 0xffffffff)],
      data: ARP,
    },
    { type: 'OFPT_PORT_STATUS', reason: 2, port: PORT },
    { type: 'OFPT_MULTIPART_REPLY', flags: 0, body: { mpType: 'OFPMP_PORT_DESC', ports: [PORT, { ...PORT, portNo: 4, name: 'tap4' }] } },
    {
      type: 'OFPT_MULTIPART_REPLY',
      flags: OFPMPF_REPLY_MORE,
      body: { mpType: 'OFPMP_DESC', mfrDesc: 'Nicira, Inc.', hwDesc: 'Open vSwitch', swDesc: '3.1.0', serialNum: 'None', dpDesc: 'None' },
    },
    { type: 'OFPT_ERROR', errType: 0xffff, code: 2313, experimenter: 0x4f4e4600, data: Buffer.from('0404001800000009', 'hex') },
    { type: 'ONF_ET_BUNDLE_ADD_MESSAGE', bundleId: 9, flags: 3, message: flowDeleteByCookie(1n, 0xffn) },
    { type: 'OFPT_EXPERIMENTER', experimenter: 0x2320, expType: 99, data: Buffer.from('00000000', 'hex') },
    { type: 'raw', ofpType: OFP_TYPES.OFPT_FLOW_REMOVED, name: 'OFPT_FLOW_REMOVED', body: Buffer.alloc(40) },
    // larger than the writer's first buffer: growth must keep every byte
    { type: 'OFPT_ECHO_REPLY', data: Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff)) },
    flowAdd({
      match: [oxm('OXM_OF_IN_PORT', 1)],
      instructions: [
        {
          type: 'OFPIT_APPLY_ACTIONS',
          actions: Array.from({ length: 40 }, (_, i): Action => ({ type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_REG0', i + 1) })),
        },
      ],
    }),
  ]
  for (const m of msgs) {
    const bytes = encodeMessage(m, 0x42)
    const back = decodeMessage(bytes)
    t.equal(back.type, m.type)
    t.equal(back.xid, 0x42)
    t.equal(describeDiff(encodeMessage(back), bytes), '', `${m.type} survives a round trip`)
  }
})

t.test('match fields read back as typed values', async t => {
  const w = new Writer()
  encodeMatch(w, [
    oxm('OXM_OF_IN_PORT', 7),
    oxm('OXM_OF_ETH_SRC', '02:00:00:00:00:0a'),
    oxm('OXM_OF_IPV4_SRC', '10.1.2.3', '255.255.255.0'),
    oxm('OXM_OF_IPV6_DST', 'fe80::1'),
    oxm('OXM_OF_METADATA', 0xdeadbeefcafen),
    oxm('NXM_NX_REG5', 0x80000000),
  ])
  const fields = decodeMatch(new Reader(w.finish()))
  t.equal(matchGet(fields, 'OXM_OF_IN_PORT'), 7)
  t.equal(matchGet(fields, 'OXM_OF_ETH_SRC'), '02:00:00:00:00:0a')
  t.equal(matchGet(fields, 'OXM_OF_IPV4_SRC'), '10.1.2.3')
  t.equal(matchGet(fields, 'OXM_OF_IPV6_DST'), 'fe80:0:0:0:0:0:0:1')
  t.equal(matchGet(fields, 'OXM_OF_METADATA'), 0xdeadbeefcafen)
  t.equal(matchGet(fields, 'NXM_NX_REG5'), 0x80000000)
  const ipv4 = fields.find(f => f.name === 'OXM_OF_IPV4_SRC')
  t.same(ipv4?.mask, Buffer.from([255, 255, 255, 0]))
  t.equal(matchGet(fields, 'OXM_OF_TUNNEL_ID'), undefined)
  t.equal(oxmValue(oxm('OXM_OF_VLAN_VID', 0x1005)), 0x1005)
})

t.test('values that do not fit their field are refused', async t => {
  t.throws(() => oxm('OXM_OF_IN_PORT', 2 ** 32), { code: 'OF_BAD_VALUE' })
  t.throws(() => oxm('OXM_OF_ETH_DST', '02:00:00:00:00'), { code: 'OF_BAD_VALUE' })
  t.throws(() => oxm('OXM_OF_IPV4_DST', '10.0.0.256'), { code: 'OF_BAD_VALUE' })
  t.throws(() => oxm('OXM_OF_IN_PORT', 1, 1), { code: 'OF_BAD_VALUE' }, 'in_port is not maskable')
  t.throws(() => oxm('OXM_OF_NO_SUCH_FIELD', 1), { code: 'OF_BAD_VALUE' })
  t.throws(() => encodeMessage({ type: 'OFPT_ECHO_REQUEST', data: Buffer.alloc(70_000) }), { code: 'OF_BAD_VALUE' })
})

t.test('bad messages become typed errors with a code, never crashes', async t => {
  const good = encodeMessage(
    flowAdd({
      match: [oxm('OXM_OF_IN_PORT', 1)],
      instructions: [{ type: 'OFPIT_APPLY_ACTIONS', actions: [{ type: 'OFPAT_OUTPUT', port: 2 }] }],
    }),
    1,
  )
  const cut = (n: number): Buffer => {
    const b = Buffer.from(good.subarray(0, n))
    b.writeUInt16BE(n, 2)
    return b
  }
  for (let n = 8; n < good.length; n += 4) {
    if (n === 64) continue // the match ends here: a FLOW_MOD without instructions is valid
    t.throws(() => decodeMessage(cut(n)), OfError, `a FLOW_MOD cut to ${n} bytes`)
  }
  t.throws(() => decodeMessage(good.subarray(0, 20)), { code: 'OF_BAD_LENGTH' }, 'length field larger than the message')
  const v = Buffer.from(good)
  v[0] = 1
  t.throws(() => decodeMessage(v), { code: 'OF_BAD_VERSION' })
  const u = Buffer.from('04ee000800000001', 'hex')
  t.throws(() => decodeMessage(u), { code: 'OF_UNKNOWN_TYPE' })
  const badOxm = Buffer.from(good)
  badOxm[55] = 8 // in_port oxm_length 4 -> 8
  t.throws(() => decodeMessage(badOxm), OfError, 'an OXM length that does not fit its field')
  const badAction = Buffer.from(good)
  badAction.writeUInt16BE(12, 74) // output action len 16 -> 12
  t.throws(() => decodeMessage(badAction), { code: 'OF_BAD_LENGTH' }, 'an action length not a multiple of 8')
  t.throws(() => decodeAction(new Reader(Buffer.from('0000', 'hex'))), { code: 'OF_TRUNCATED' })
  // Random bytes with a right header: only OfError may come out
  let seed = 7
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed & 0xff
  }
  for (let i = 0; i < 500; i++) {
    const len = 8 + (rnd() % 64)
    const b = Buffer.from(Array.from({ length: len }, rnd))
    b[0] = 4
    b[1] = [0, 1, 6, 10, 12, 14, 15, 19, 4][i % 9] ?? 0
    b.writeUInt16BE(len, 2)
    try {
      decodeMessage(b)
    } catch (err) {
      if (!(err instanceof OfError)) t.fail(`non-OfError for ${b.toString('hex')}: ${String(err)}`)
    }
  }
})

t.test('the framer finds messages whatever the read sizes', async t => {
  const stream = Buffer.concat([
    encodeMessage({ type: 'OFPT_HELLO', versions: [4] }, 1),
    encodeMessage(packetOut(ARP, []), 2),
    encodeMessage({ type: 'OFPT_BARRIER_REPLY' }, 3),
  ])
  for (const step of [1, 3, 7, 8, 50, stream.length]) {
    const f = new OfFramer()
    const got: Buffer[] = []
    for (let i = 0; i < stream.length; i += step) got.push(...f.push(stream.subarray(i, i + step)))
    t.same(
      got.map(b => decodeMessage(b).xid),
      [1, 2, 3],
      `reads of ${step} bytes`,
    )
  }
  t.throws(() => new OfFramer().push(Buffer.from('0400000400000000', 'hex')), { code: 'OF_BAD_LENGTH' })
})

t.test('errors read as the spec names them', async t => {
  t.same(errorName(4, 9), { type: 'OFPET_BAD_MATCH', code: 'OFPBMC_BAD_PREREQ' })
  t.same(errorName(5, 2), { type: 'OFPET_FLOW_MOD_FAILED', code: 'OFPFMFC_BAD_TABLE_ID' })
  t.same(errorName(0xffff, 2313, 0x4f4e4600), { type: 'OFPET_EXPERIMENTER', code: 'ONFBFC_MSG_FAILED' })
  t.same(errorName(99, 1), { type: 'OFPET_99', code: '1' })
  const req = encodeMessage(flowAdd({ match: [oxm('OXM_OF_IPV4_DST', '10.0.0.1')] }), 5)
  const e = new OfpErrorReply({ type: 'OFPT_ERROR', xid: 5, errType: 4, code: 9, data: req.subarray(0, 64) })
  t.equal(e.message, 'OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ for OFPT_FLOW_MOD xid=0x5')
  if (needTool('ovs-ofctl') === false)
    t.match(ofpPrint(encodeMessage(e.msg, 5)), /^OFPT_ERROR \(OF1.3\) \(xid=0x5\): OFPBMC_BAD_PREREQ/, 'OVS agrees')
})
