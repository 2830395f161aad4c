// Flow builders refuse what the stage table does not allow; the cookie layout round-trips.
import t from 'tap'
import {
  STAGES,
  STAGE_ARP_ND_RSP,
  STAGE_CLASSIFY,
  STAGE_EGRESS,
  STAGE_L2_LOOKUP,
  STAGE_L3_ROUTE,
  STAGE_OUT_CT,
  STAGE_PORT_SEC,
} from '../../datapath/spec/stages.js'
import { OF_TABLE_BASE } from '../../datapath/spec/stages.js'
import { REASON_NAMES, REASON_PUNT_DHCP } from '../../datapath/spec/verdicts.js'
import { FlowBuilder, FlowError, act } from '../../offload/openflow/builder.js'
import { ETH_TYPE_ARP, ETH_TYPE_IPV4 } from '../../offload/openflow/fields.js'
import { FLAG_FROM_TUNNEL, flagSet, generationMask, makeCookie, parseCookie } from '../../offload/openflow/layout.js'
import { priorityOf } from '../../offload/openflow/priorities.js'
import { renderFlow } from '../../offload/openflow/text.js'
import { Cidr, Ipv4Address, MacAddress } from '../../datapath/host/addresses.js'
import { Key, MATCH_PREFIX, OfPort } from '../../offload/openflow/values.js'

const gen = { generation: 3 }
const mac = MacAddress.parse('fa:16:3e:00:00:01')

t.test('a well-formed flow', async t => {
  const f = FlowBuilder.forStage(STAGE_L2_LOOKUP, gen)
    .priority('ENTRY')
    .cookie({ key: 7 })
    .match('reg0', Key.of(100))
    .match('eth_dst', mac)
    .apply(act.setKey('reg2', Key.of(7)))
    .goto(STAGE_OUT_CT)
    .build()
  t.equal(f.table, OF_TABLE_BASE + STAGE_L2_LOOKUP, 'table derived from the stage id')
  t.equal(f.gotoTable, OF_TABLE_BASE + STAGE_OUT_CT)
  t.equal(f.priority, priorityOf('ENTRY'))
  t.same(parseCookie(f.cookie), { generation: 3, stage: STAGE_L2_LOOKUP, subject: { key: 7 } })
  t.equal(
    renderFlow(f),
    `table=${f.table},priority=1000,cookie=0x${(0x3000000000000n | (BigInt(STAGE_L2_LOOKUP) << 40n) | 7n).toString(16)},reg0=100,eth_dst=fa:16:3e:00:00:01 actions=set_field:7->reg2,goto_table:${f.gotoTable}`,
  )
})

t.test('a match field outside the stage keys is refused', async t => {
  t.throws(() => FlowBuilder.forStage(STAGE_L2_LOOKUP, gen).match('nw_src', Ipv4Address.parse('10.0.0.1')), FlowError)
  t.throws(() => FlowBuilder.forStage(STAGE_EGRESS, gen).match('eth_dst', mac), /may not match eth_dst/)
  t.throws(() => FlowBuilder.forStage(STAGE_CLASSIFY, gen).match('reg0', Key.of(1)), /may not match reg0/)
  t.throws(() => FlowBuilder.forStage(STAGE_L3_ROUTE, gen).match('arp_tpa', Ipv4Address.parse('10.0.0.1')), /may not match arp_tpa/)
})

t.test('a mask on an exact field is refused; maskable keys take prefixes', async t => {
  t.throws(
    () => FlowBuilder.forStage(STAGE_ARP_ND_RSP, gen).match('arp_tpa', Cidr.parseIpv4('10.0.0.0/24', MATCH_PREFIX)),
    /arp_tpa is an exact key; a mask is not allowed/,
  )
  t.throws(
    () => FlowBuilder.forStage(STAGE_CLASSIFY, gen).match('vlan_vid', 5).match('in_port', OfPort.of(1)).match('in_port', OfPort.of(2)),
    /matched twice/,
  )
  t.doesNotThrow(() => FlowBuilder.forStage(STAGE_L3_ROUTE, gen).match('nw_dst', Cidr.parseIpv4('10.0.0.0/24', MATCH_PREFIX)))
  t.doesNotThrow(() => FlowBuilder.forStage(STAGE_PORT_SEC, gen).match('nw_src', Cidr.parseIpv4('10.0.0.0/24', MATCH_PREFIX)))
  t.doesNotThrow(() => FlowBuilder.forStage(STAGE_PORT_SEC, gen).match('reg5', flagSet(FLAG_FROM_TUNNEL)))
  t.throws(
    () =>
      FlowBuilder.forStage(STAGE_L2_LOOKUP, gen)
        .match('reg1', Key.of(1))
        .match('eth_dst', mac)
        .match('reg0', Key.of(1))
        .match('reg5', flagSet(1))
        .match('reg2', Key.of(1)),
    /may not match reg2/,
  )
})

t.test('a goto to a stage not listed as next is refused', async t => {
  t.throws(() => FlowBuilder.forStage(STAGE_CLASSIFY, gen).goto(STAGE_L2_LOOKUP), /may not go to ls_in_l2_lkup \(next: ls_in_port_sec\)/)
  t.throws(() => FlowBuilder.forStage(STAGE_L2_LOOKUP, gen).goto(STAGE_CLASSIFY), /may not go to ls_in_classify/, 'never backwards')
  t.throws(() => FlowBuilder.forStage(STAGE_EGRESS, gen).goto(STAGE_EGRESS), /next: none/, 'the last stage is terminal')
  t.doesNotThrow(() => FlowBuilder.forStage(STAGE_CLASSIFY, gen).goto(STAGE_PORT_SEC))
})

t.test('priorities come from bands; offsets stay inside the band', async t => {
  t.equal(priorityOf('ROUTE', 24) - priorityOf('ROUTE', 0), 24, 'longer prefixes win')
  t.throws(() => priorityOf('ROUTE', 129), /outside band ROUTE/)
  t.throws(() => priorityOf('ENTRY', 1), /outside band ENTRY/)
  t.throws(() => FlowBuilder.forStage(STAGE_EGRESS, gen).cookie({ key: 1 }).build(), /no priority band/)
  t.throws(() => FlowBuilder.forStage(STAGE_EGRESS, gen).priority('ENTRY').build(), /no cookie subject/)
})

t.test('OpenFlow prerequisites are checked', async t => {
  t.throws(
    () =>
      FlowBuilder.forStage(STAGE_ARP_ND_RSP, gen)
        .priority('ENTRY')
        .cookie({ key: 1 })
        .match('arp_tpa', Ipv4Address.parse('10.0.0.1'))
        .build(),
    /arp_tpa needs eth_type=0x806/,
  )
  t.throws(
    () =>
      FlowBuilder.forStage(STAGE_L3_ROUTE, gen)
        .priority('ENTRY')
        .cookie({ key: 1 })
        .match('eth_type', ETH_TYPE_ARP)
        .match('nw_dst', Ipv4Address.parse('10.0.0.1'))
        .build(),
    /nw_dst needs eth_type=0x800/,
  )
  t.doesNotThrow(() =>
    FlowBuilder.forStage(STAGE_L3_ROUTE, gen)
      .priority('ENTRY')
      .cookie({ key: 1 })
      .match('eth_type', ETH_TYPE_IPV4)
      .match('nw_dst', Ipv4Address.parse('10.0.0.1'))
      .build(),
  )
})

t.test('typed values refuse bad text', async t => {
  t.throws(() => MacAddress.parse('fa:16:3e:00:00'), /not a MAC/)
  t.throws(() => Ipv4Address.parse('10.0.0.256'), /not an IPv4/)
  t.throws(() => Ipv4Address.parse('10.0.0.01'), /not an IPv4/)
  t.throws(() => Cidr.parseIpv4('10.0.0.1/24', MATCH_PREFIX), /host bits/)
  t.throws(() => Cidr.parseIpv4('10.0.0.0/33', MATCH_PREFIX), /length 0\.\.32/)
  t.throws(() => OfPort.of(0), /not an OpenFlow port/)
  t.throws(() => Key.of(-1), /out of range/)
  t.equal(Cidr.parseIpv4('10.1.0.0/16', MATCH_PREFIX).mask, 0xffff0000n)
  t.equal(mac.toString(), 'fa:16:3e:00:00:01')
})

t.test('cookie layout: generation | stage | reason-or-key', async t => {
  for (const s of STAGES) {
    const c = makeCookie({ generation: 0xffff, stage: s.id, subject: { reason: REASON_PUNT_DHCP } })
    t.same(parseCookie(c), { generation: 0xffff, stage: s.id, subject: { reason: REASON_PUNT_DHCP } })
  }
  t.equal(
    REASON_NAMES[
      (parseCookie(makeCookie({ generation: 1, stage: 3, subject: { reason: REASON_PUNT_DHCP } })).subject as { reason: number }).reason
    ],
    'punt_dhcp',
  )
  t.same(parseCookie(makeCookie({ generation: 2, stage: 1, subject: { key: 2 ** 38 - 1 } })).subject, { key: 2 ** 38 - 1 })
  t.throws(() => makeCookie({ generation: 0x10000, stage: 0, subject: { key: 0 } }), /generation out of range/)
  t.throws(() => makeCookie({ generation: 0, stage: 0, subject: { key: 2 ** 39 } }), /object key out of range/)
  t.throws(() => makeCookie({ generation: 0, stage: 0, subject: { reason: 999 } }), /unknown reason/)
  t.equal(makeCookie({ generation: 5, stage: 7, subject: { key: 9 } }) & generationMask(), 5n << 48n)
})
