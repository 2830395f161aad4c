// The packet builders are the conformance oracle, so they are checked against references that are not
// themselves: RFC examples, and tcpdump's own checksum verification of the frames they build.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { needTool } from '../helpers/requirements.js'
import { Cidr, bytesOfHex, hexOf, ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import { internetChecksum } from '../../datapath/host/packet-checksum.js'
import {
  arp,
  buildFrame,
  dhcp,
  echo4,
  ethernet,
  geneve,
  ip4,
  ip6,
  ip6Ext,
  ndNs,
  raw,
  tcp,
  udp,
  vxlan,
} from '../../datapath/host/packet-builder.js'
import { decodeClasslessRoutes, decodeFrame } from '../../datapath/host/packet-decoder.js'

t.test('RFC 1071 4.1: the checksum of the example bytes', async t => {
  // The example sums 0001 f203 f4f5 f6f7 to 0xddf2 (after the end-around carry); the checksum is its complement.
  t.equal(internetChecksum(bytesOfHex('0001f203f4f5f6f7')), 0xffff - 0xddf2)
})

t.test('RFC 5952 4: IPv6 text is canonical', async t => {
  t.equal(ipv6('2001:0db8:0:0:0:0:2:1').toString(), '2001:db8::2:1')
  t.equal(ipv6('2001:db8:0:0:1:0:0:1').toString(), '2001:db8::1:0:0:1', 'the first of two equal runs is compressed')
  t.equal(ipv6('2001:db8:0:1:1:1:1:1').toString(), '2001:db8:0:1:1:1:1:1', 'a single zero group is not compressed')
  t.equal(ipv6('::').toString(), '::')
  t.equal(ipv6('::ffff:10.0.0.1').toString(), '::ffff:a00:1')
  t.equal(ipv6('2001:db8::1').solicitedNode().toString(), 'ff02::1:ff00:1', 'RFC 4291 2.7.1')
  t.equal(ipv6('ff02::1:ff00:1').multicastMac().toString(), '33:33:ff:00:00:01', 'RFC 2464 7')
})

t.test('addresses reject what they are not', async t => {
  t.throws(() => ipv4('10.0.0'), /'10.0.0' is not an IPv4 address/)
  t.throws(() => ipv4('10.0.0.256'))
  t.throws(() => ipv6('1::2::3'))
  t.throws(() => ipv6('1:2:3:4:5:6:7:8:9'))
  t.throws(() => mac('fa:16:3e:00:00'))
  t.throws(() => Cidr.parse('10.0.0.0/33'))
  t.ok(Cidr.parse('10.0.5.0/24').contains(ipv4('10.0.5.255')))
  t.notOk(Cidr.parse('10.0.5.0/24').contains(ipv4('10.0.6.0')))
  t.equal(Cidr.parse('10.0.0.1/24').network().toString(), '10.0.0.0')
})

t.test('RFC 3442 option 121 decodes to sorted routes', async t => {
  // 0.0.0.0/0 via 10.0.0.1; 10.0.0.0/8 via 10.0.0.254; 192.168.1.0/25 via 10.0.0.253 (width, significant octets, router)
  t.equal(
    decodeClasslessRoutes(bytesOfHex('000a000001' + '080a0a0000fe' + '19c0a801000a0000fd')),
    '0.0.0.0/0>10.0.0.1,10.0.0.0/8>10.0.0.254,192.168.1.0/25>10.0.0.253',
  )
  t.equal(decodeClasslessRoutes(bytesOfHex('21')), 'invalid')
})

const A = mac('fa:16:3e:00:00:01')
const B = mac('fa:16:3e:00:00:02')
const frames: Record<string, Uint8Array> = {
  arp: buildFrame(
    [ethernet({ src: A, dst: mac('ff:ff:ff:ff:ff:ff') }), arp({ op: 1, sha: A, spa: ipv4('10.0.0.5'), tpa: ipv4('10.0.0.1') })],
    { padTo: 60 },
  ),
  udp: buildFrame([
    ethernet({ src: A, dst: B }),
    ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6'), id: 7 }),
    udp({ sport: 1000, dport: 2000 }),
    raw(bytesOfHex('010203')),
  ]),
  options: buildFrame([
    ethernet({ src: A, dst: B }),
    ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6'), options: bytesOfHex('94040000') }),
    udp({ sport: 1, dport: 2 }),
  ]),
  tcp: buildFrame([
    ethernet({ src: A, dst: B }),
    ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6') }),
    tcp({ sport: 40000, dport: 22, seq: 5, options: bytesOfHex('020405b4') }),
    raw(bytesOfHex('abcd')),
  ]),
  icmp: buildFrame([
    ethernet({ src: A, dst: B }),
    ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.1') }),
    echo4({ id: 3, seq: 4, data: bytesOfHex('6162') }),
  ]),
  udp6: buildFrame([
    ethernet({ src: A, dst: B }),
    ip6({ src: ipv6('2001:db8::5'), dst: ipv6('2001:db8::6') }),
    ip6Ext({ ext: 'hop-by-hop' }),
    ip6Ext({ ext: 'fragment', id: 9 }),
    udp({ sport: 1, dport: 2 }),
    raw(bytesOfHex('00ff')),
  ]),
  ns: buildFrame([
    ethernet({ src: A, dst: mac('33:33:ff:00:00:01') }),
    ip6({ src: ipv6('fe80::1'), dst: ipv6('ff02::1:ff00:1'), hopLimit: 255 }),
    ndNs({ target: ipv6('2001:db8::1'), sll: A }),
  ]),
  dhcp: buildFrame([
    ethernet({ src: A, dst: mac('ff:ff:ff:ff:ff:ff') }),
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp(),
    dhcp({ xid: 0x3903f326, chaddr: A, type: 'request', requestedIp: ipv4('10.0.0.5'), paramRequestList: [1, 3, 121], padTo: 300 }),
  ]),
  vxlan: buildFrame([
    ethernet({ src: A, dst: B }),
    ip4({ src: ipv4('192.168.100.1'), dst: ipv4('192.168.100.2') }),
    udp({ sport: 50000 }),
    vxlan({ vni: 100 }),
    ethernet({ src: B, dst: A }),
    ip4({ src: ipv4('10.0.0.6'), dst: ipv4('10.0.0.5') }),
    udp({ sport: 3, dport: 4 }),
  ]),
  geneve: buildFrame([
    ethernet({ src: A, dst: B }),
    ip4({ src: ipv4('192.168.100.1'), dst: ipv4('192.168.100.2') }),
    udp({ sport: 50000 }),
    geneve({ vni: 200, options: bytesOfHex('0102800100000001') }),
    ethernet({ src: B, dst: A }),
    ip6({ src: ipv6('2001:db8::6'), dst: ipv6('2001:db8::5') }),
    udp({ sport: 3, dport: 4 }),
  ]),
}

t.test('the decoder reads back what the builder wrote', async t => {
  const d = decodeFrame(frames.dhcp as Uint8Array)
  t.match(d, {
    dhcp_type: 'request',
    dhcp_xid: 0x3903f326,
    dhcp_requested_ip: '10.0.0.5',
    dhcp_options: '53,50,55,255',
    udp_checksum_ok: true,
    ip_checksum_ok: true,
  })
  t.match(decodeFrame(frames.geneve as Uint8Array), { tun_vni: 200, inner_ip_src: '2001:db8::6', inner_udp_checksum_ok: true })
  t.match(decodeFrame(frames.ns as Uint8Array), { icmp_type: 135, nd_target: '2001:db8::1', nd_sll: A.toString(), icmp_checksum_ok: true })
  t.equal(decodeFrame(bytesOfHex('0102')).malformed, 'ethernet: needs 14 bytes at offset 0, frame has 2')
  t.equal(hexOf(frames.arp as Uint8Array).length, 120, 'padded to 60 bytes')
})

t.test('tcpdump agrees with every checksum the builder computes', { skip: needTool('tcpdump') }, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'packet-builder-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // pcap (libpcap format): global header, then per frame a 16-byte record header; link type 1 = Ethernet.
  const header = new DataView(new ArrayBuffer(24))
  header.setUint32(0, 0xa1b2c3d4, true)
  header.setUint16(4, 2, true)
  header.setUint16(6, 4, true)
  header.setUint32(16, 65535, true)
  header.setUint32(20, 1, true)
  const parts: Uint8Array[] = [new Uint8Array(header.buffer)]
  for (const f of Object.values(frames)) {
    const rec = new DataView(new ArrayBuffer(16))
    rec.setUint32(8, f.length, true)
    rec.setUint32(12, f.length, true)
    parts.push(new Uint8Array(rec.buffer), f)
  }
  const pcap = join(dir, 'frames.pcap')
  writeFileSync(pcap, Buffer.concat(parts))
  const text = execFileSync('tcpdump', ['-nn', '-vvv', '-r', pcap], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  t.notMatch(text, /bad cksum|wrong|incorrect|bad udp|\[bad/i, 'no checksum tcpdump calls wrong')
  // tcpdump verifies UDP over IPv4 with and without options, DHCP, and the outer and inner headers of both
  // tunnels (it does not verify UDP behind an IPv6 fragment header).
  t.equal((text.match(/udp sum ok/g) ?? []).length, 7, 'seven UDP checksums verified')
  t.match(text, /icmp6 sum ok/)
  t.match(text, /cksum 0x[0-9a-f]+ \(correct\)/, 'the TCP checksum is correct')
  t.match(text, /who-has 10\.0\.0\.1 tell 10\.0\.0\.5/)
  t.match(text, /DHCP-Message \(53\), length 1: Request/)
})
