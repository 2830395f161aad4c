// Field lists (dragonflow trace --fields, conformance inputs): what they build, and errors that name the field.
import t from 'tap'
import { decodeFrame } from '../../datapath/host/packet-decoder.js'
import { parseFields } from '../../datapath/host/packet-fields.js'

const decoded = (text: string) => decodeFrame(parseFields(text).frame)

t.test('an ARP request defaults to broadcast, sha = eth_src', async t => {
  const p = parseFields('in_port=1,eth_src=fa:16:3e:00:00:01,arp_op=1,arp_spa=10.0.0.5,arp_tpa=10.0.0.1')
  t.equal(p.in_port, 1)
  t.match(decodeFrame(p.frame), {
    eth_dst: 'ff:ff:ff:ff:ff:ff',
    arp_op: 1,
    arp_sha: 'fa:16:3e:00:00:01',
    arp_tha: '00:00:00:00:00:00',
    arp_tpa: '10.0.0.1',
  })
})

t.test('an ICMP echo with explicit addresses and TTL', async t => {
  t.match(decoded('in_port=1,eth_src=fa:16:3e:00:00:01,eth_dst=fa:16:3e:00:00:10,ip_src=10.0.0.5,ip_dst=10.0.1.5,ttl=7,icmp_type=8'), {
    ip_src: '10.0.0.5',
    ip_dst: '10.0.1.5',
    ttl: 7,
    icmp_type: 8,
    icmp_checksum_ok: true,
    ip_checksum_ok: true,
  })
})

t.test('a DHCP DISCOVER needs only the MAC', async t => {
  t.match(decoded('in_port=1,eth_src=fa:16:3e:00:00:01,udp_src=68,udp_dst=67,dhcp_type=discover'), {
    eth_dst: 'ff:ff:ff:ff:ff:ff',
    ip_src: '0.0.0.0',
    ip_dst: '255.255.255.255',
    udp_src: 68,
    udp_dst: 67,
    dhcp_type: 'discover',
    dhcp_chaddr: 'fa:16:3e:00:00:01',
    udp_checksum_ok: true,
  })
  t.match(decoded('in_port=1,eth_src=fa:16:3e:00:00:01,dhcp_type=request,dhcp_requested_ip=10.0.0.5,dhcp_xid=0x99'), {
    dhcp_type: 'request',
    dhcp_requested_ip: '10.0.0.5',
    dhcp_xid: 0x99,
  })
})

t.test('neighbour solicitation: solicited-node destination, hop limit 255, no SLLA for DAD', async t => {
  t.match(decoded('in_port=1,eth_src=fa:16:3e:00:00:01,ip_src=2001:db8::5,nd_target=2001:db8::1'), {
    eth_dst: '33:33:ff:00:00:01',
    ip_dst: 'ff02::1:ff00:1',
    hop_limit: 255,
    icmp_type: 135,
    nd_sll: 'fa:16:3e:00:00:01',
    icmp_checksum_ok: true,
  })
  t.notOk('nd_sll' in decoded('in_port=1,eth_src=fa:16:3e:00:00:01,ip_src=::,nd_target=2001:db8::1'), 'RFC 4861 7.2.2')
})

t.test('VLAN tag, tunnel key and padding', async t => {
  const p = parseFields(
    'in_port=40,tunnel_key=100,vlan=10,eth_src=fa:16:3e:10:00:01,eth_dst=fa:16:3e:10:00:02,ip_src=10.0.0.1,ip_dst=10.0.0.2,udp_dst=53,pad=60',
  )
  t.equal(p.tunnel_key, 100)
  t.equal(p.frame.length, 60)
  t.match(decodeFrame(p.frame), { vlan_vid: 10, eth_type: 0x0800, udp_dst: 53 })
})

t.test('errors name the field', async t => {
  const bad: [string, RegExp][] = [
    ['eth_src=fa:16:3e:00:00:01', /field 'in_port': is required/],
    ['in_port=1,arp_spa=10.0.0.5,arp_tpa=10.0.0.1', /field 'eth_src': is required/],
    ['in_port=1,eth_src=fa:16:3e:00:00:01,arp_spa=10.0.0,arp_tpa=10.0.0.1', /field 'arp_spa': '10\.0\.0' is not an IPv4 address/],
    ['in_port=1,eth_src=fa:16:3e:00:00:0g,arp_spa=10.0.0.5,arp_tpa=10.0.0.1', /field 'eth_src': .*is not a MAC address/],
    ['in_port=x', /field 'in_port': 'x' is not a non-negative integer/],
    ['in_port=1,colour=blue', /field 'colour': unknown field \(known: in_port/],
    ['in_port=1,in_port=2', /field 'in_port': given twice/],
    ['in_port=1,eth_src=fa:16:3e:00:00:01,arp_spa=10.0.0.5,ip_dst=10.0.0.1', /arp_\* fields cannot be combined/],
    ['in_port=1,eth_src=fa:16:3e:00:00:01,dhcp_type=offerish', /field 'dhcp_type': 'offerish' is not a DHCP message type/],
    ['in_port=1,eth_src=fa:16:3e:00:00:01,ip_src=10.0.0.5,ip_dst=2001:db8::1', /field 'ip_dst': .*not of the family/],
    ['in_port=1,eth_src=fa:16:3e:00:00:01,ip_src=10.0.0.5,ip_dst=10.0.0.6', /field 'eth_dst': is required/],
    ['in_port=1,eth_src=fa:16:3e:00:00:01,arp_tpa=10.0.0.1', /field 'arp_spa': is required/],
    ['in_port=1,eth_src', /field 'eth_src': expected name=value/],
  ]
  for (const [text, message] of bad) t.throws(() => parseFields(text), { name: 'FieldError', message }, text)
})
