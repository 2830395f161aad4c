// The one address module: each kind's accepted text, what it refuses and why, round trips, and the bigint views
// IPAM and the OpenFlow builders compute with.
import t from 'tap'
import type { Test } from 'tap'
import {
  AddressError,
  Cidr,
  Ipv4Address,
  Ipv6Address,
  MacAddress,
  normalizeIp,
  parseIp,
  tryParseIp,
} from '../../datapath/host/addresses.js'

const refuses = (t: Test, parse: (s: string) => unknown, bad: string[]): void => {
  for (const text of bad) t.throws(() => parse(text), AddressError, `refuses ${JSON.stringify(text)}`)
}

t.test('MAC: colon or dash, any case, printed lower case with colons', async t => {
  t.equal(MacAddress.parse('FA:16:3E:00:0A:01').toString(), 'fa:16:3e:00:0a:01')
  t.equal(MacAddress.parse('fa-16-3e-00-0a-01').toString(), 'fa:16:3e:00:0a:01')
  t.equal(MacAddress.parse('fa:16:3e:00:0a:01').value, 0xfa163e000a01n)
  t.equal(MacAddress.of(0xfa163e000a01n).toString(), 'fa:16:3e:00:0a:01')
  t.same([...MacAddress.parse('01:00:5e:00:00:01').bytes], [1, 0, 0x5e, 0, 0, 1])
  t.ok(MacAddress.parse('01:00:5e:00:00:01').isMulticast)
  t.notOk(MacAddress.parse('fa:16:3e:00:00:01').isMulticast)
  refuses(t, s => MacAddress.parse(s), [
    'fa:16:3e:0:0:1',
    'fa:16:3e:00:00',
    'fa:16:3e:00:00:01:02',
    'fa:16-3e:00:00:01',
    'fa:16:3e:00:00:0g',
    'fa163e000001',
    ' fa:16:3e:00:00:01',
    '',
  ])
  t.equal(MacAddress.tryParse('nope'), undefined)
  t.equal(MacAddress.tryParse(42), undefined)
  t.throws(() => MacAddress.of(1n << 48n), AddressError)
})

t.test('IPv4: dotted quad without leading zeros', async t => {
  const a = Ipv4Address.parse('192.168.0.10')
  t.equal(a.toString(), '192.168.0.10')
  t.equal(a.value, 0xc0a8000an)
  t.equal(a.u32, 0xc0a8000a)
  t.equal(Ipv4Address.of(0xc0a8000an).toString(), '192.168.0.10')
  t.equal(Ipv4Address.parse('0.0.0.0').value, 0n)
  refuses(t, s => Ipv4Address.parse(s), [
    '010.0.0.1',
    '10.0.0.01',
    '10.0.0',
    '10.0.0.1.2',
    '256.0.0.1',
    '10.0.0.-1',
    '10.0.0.1 ',
    '0x0a.0.0.1',
    '',
    '1..2.3',
  ])
  t.equal(Ipv4Address.tryParse('1.2.3'), undefined)
  t.equal(Ipv4Address.tryParse(undefined), undefined)
})

t.test('IPv6: RFC 4291 text in, RFC 5952 text out', async t => {
  t.equal(Ipv6Address.parse('2001:0DB8:0000:0000:0000:0000:0002:0001').toString(), '2001:db8::2:1')
  t.equal(Ipv6Address.parse('2001:db8:0:1:1:1:1:1').toString(), '2001:db8:0:1:1:1:1:1', 'one zero group stays')
  t.equal(Ipv6Address.parse('2001:0:0:1:0:0:0:1').toString(), '2001:0:0:1::1', 'the longest run compresses')
  t.equal(Ipv6Address.parse('2001:db8:0:0:1:0:0:1').toString(), '2001:db8::1:0:0:1', 'the first on a tie')
  t.equal(Ipv6Address.parse('::').toString(), '::')
  t.equal(Ipv6Address.parse('::1').value, 1n)
  t.equal(Ipv6Address.parse('fe80::').toString(), 'fe80::')
  t.equal(Ipv6Address.parse('::ffff:10.0.0.1').toString(), '::ffff:a00:1', 'embedded IPv4')
  t.equal(Ipv6Address.parse('64:ff9b:0:0:0:0:192.0.2.33').value, 0x0064ff9b0000000000000000c0000221n)
  t.equal(Ipv6Address.of(0xff020000000000000000000000000001n).toString(), 'ff02::1')
  refuses(t, s => Ipv6Address.parse(s), [
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4::5:6:7:8',
    '12345::',
    'g::1',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '::ffff:010.0.0.1',
    '::10.0.0.1:1',
    '10.0.0.1::',
    '',
    ':::',
  ])
  t.equal(Ipv6Address.tryParse('::1::'), undefined)
  t.equal(Ipv6Address.parse('ff02::1').isMulticast, true)
  t.equal(Ipv6Address.parse('2001:db8::1:2:3').solicitedNode().toString(), 'ff02::1:ff02:3')
  t.equal(Ipv6Address.parse('ff02::1:ff02:3').multicastMac().toString(), '33:33:ff:02:00:03')
})

t.test('either family by the text', async t => {
  t.equal(parseIp('10.0.0.1').family, 4)
  t.equal(parseIp('::1').family, 6)
  t.equal(tryParseIp('10.0.0.1/24'), undefined)
  t.equal(tryParseIp({}), undefined)
  t.equal(normalizeIp('2001:DB8::0:1'), '2001:db8::1')
  t.equal(normalizeIp('x'), undefined)
  t.throws(() => parseIp('10.0.0'), /'10\.0\.0' is not an IPv4 or IPv6 address/)
})

t.test('prefixes: lengths, host bits, and the views IPAM needs', async t => {
  const c = Cidr.parse('10.0.0.1/24')
  t.equal(c.toString(), '10.0.0.1/24', 'the address is kept as given')
  t.equal(c.canonical().toString(), '10.0.0.0/24')
  t.equal(c.network().toString(), '10.0.0.0')
  t.ok(c.hasHostBits)
  t.equal(c.mask, 0xffffff00n)
  t.equal(c.hostMask, 0xffn)
  t.equal(c.first, 0x0a000000n)
  t.equal(c.last, 0x0a0000ffn)
  t.equal(c.size, 256n)
  t.equal(c.nth(2n).toString(), '10.0.0.2')
  t.throws(() => c.nth(256n), AddressError)
  t.ok(c.contains(Ipv4Address.parse('10.0.0.255')))
  t.notOk(c.contains(Ipv4Address.parse('10.0.1.0')))
  t.notOk(c.contains(Ipv6Address.parse('::a00:1')), 'another family is never contained')
  t.ok(Cidr.parse('10.0.0.0/16').overlaps(Cidr.parse('10.0.5.0/24')))
  t.notOk(Cidr.parse('10.0.0.0/24').overlaps(Cidr.parse('10.0.1.0/24')))
  t.ok(Cidr.parse('10.0.0.0/16').covers(Cidr.parse('10.0.5.0/24')))
  t.notOk(Cidr.parse('10.0.5.0/24').covers(Cidr.parse('10.0.0.0/16')))
  t.equal(Cidr.parse('0.0.0.0/0').size, 1n << 32n)

  const v6 = Cidr.parse('2001:db8::/64', { strict: true })
  t.equal(v6.family, 6)
  t.equal(v6.last, 0x20010db800000000ffffffffffffffffn)
  t.equal(v6.nth(1n).toString(), '2001:db8::1')
  t.equal(ipLast(v6), '2001:db8::ffff:ffff:ffff:ffff')

  t.throws(() => Cidr.parse('10.0.0.1/24', { strict: true }), /host bits/)
  t.equal(Cidr.tryParse('10.0.0.1/24', { strict: true }), undefined)
  t.throws(() => Cidr.parse('10.0.0.0/33'), /length 0\.\.32/)
  t.throws(() => Cidr.parse('2001:db8::/129'), /length 0\.\.128/)
  refuses(t, s => Cidr.parse(s), [
    '10.0.0.0/024',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/24/1',
    '10.0.0/24',
    '10.0.0.1',
    '1::2::/64',
    '10.0.0.0/ 24',
  ])
  t.equal(Cidr.parse('10.0.0.1', { bareIsHost: true }).toString(), '10.0.0.1/32')
  t.equal(Cidr.parse('::1', { bareIsHost: true }).length, 128)
  t.equal(Cidr.host(Ipv6Address.parse('::1')).toString(), '::1/128')
  t.equal(Cidr.of(Ipv4Address.parse('10.1.0.0'), 16).toString(), '10.1.0.0/16')
  t.throws(() => Cidr.of(Ipv4Address.parse('10.1.0.0'), 33), AddressError)
  t.equal(Cidr.parseIpv4('10.0.0.0/8').address.family, 4)
  t.throws(() => Cidr.parseIpv4('::/0'), /IPv4 prefix/)
  t.throws(() => Cidr.parseIpv6('0.0.0.0/0'), /IPv6 prefix/)
})

t.test('errors name the input, cut to 60 characters', async t => {
  const long = 'x'.repeat(5000)
  try {
    Ipv4Address.parse(long)
    t.fail('accepted')
  } catch (e) {
    t.ok(e instanceof AddressError)
    const err = e as AddressError
    t.equal(err.text, `${'x'.repeat(60)}...`)
    t.ok(err.message.length < 120, err.message)
  }
  t.throws(() => MacAddress.parse('zz'), { message: "'zz' is not a MAC address (xx:xx:xx:xx:xx:xx)" })
})

t.test('round trips: canonical text parses back to the same value', async t => {
  for (const text of ['0.0.0.0', '255.255.255.255', '10.20.30.40']) t.equal(Ipv4Address.parse(text).toString(), text)
  for (const text of ['::', '::1', '1::', '2001:db8::2:1', '1:2:3:4:5:6:7:8', 'fe80::1:0:0:0', '1:0:0:2::3']) {
    const a = Ipv6Address.parse(text)
    t.equal(a.toString(), text)
    t.equal(Ipv6Address.of(a.value).toString(), text)
    t.same(Ipv6Address.fromBytes(a.bytes).value, a.value)
  }
  for (let i = 0; i < 200; i++) {
    const v = (BigInt(Math.floor(Math.random() * 2 ** 32)) << 96n) | (BigInt(i * 7919) << 16n)
    t.equal(Ipv6Address.parse(Ipv6Address.of(v).toString()).value, v)
  }
  for (const text of ['fa:16:3e:00:00:01', 'ff:ff:ff:ff:ff:ff']) t.equal(MacAddress.parse(text).toString(), text)
  for (const text of ['10.0.0.0/8', '2001:db8::/32', '::/0', '10.0.0.7/32']) t.equal(Cidr.parse(text).toString(), text)
})

function ipLast(c: Cidr): string {
  return c.family === 6 ? Ipv6Address.of(c.last).toString() : Ipv4Address.of(c.last).toString()
}
