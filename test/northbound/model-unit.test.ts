// Unit tests of the model: addresses and CIDRs, attribute validation, IPAM decisions, prefix allocation.
import t from 'tap'
import { Cidr, normalizeIp } from '../../datapath/host/addresses.js'
import { mac as macAttribute } from '../../model/attributes.js'
import { NETWORK_ATTRIBUTES } from '../../model/attributes/networks.js'
import { PORT_ATTRIBUTES } from '../../model/attributes/ports.js'
import { SUBNET_ATTRIBUTES } from '../../model/attributes/subnets.js'
import { ApiError } from '../../model/errors.js'
import { checkPools, defaultGateway, defaultPools, eui64Address, pickAddress, poolSize } from '../../model/ipam.js'
import { randomMac } from '../../model/mac.js'
import { allocatePrefix } from '../../model/prefixes.js'
import { ipAllocationId } from '../../model/tables.js'
import { validateCreate, validateUpdate } from '../../model/validate.js'

function apiError(fn: () => unknown): ApiError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ApiError) return e
    throw e
  }
  throw new Error('expected an ApiError')
}

t.test('addresses are parsed and printed canonically (RFC 5952 for IPv6)', async t => {
  t.equal(normalizeIp('10.0.0.1'), '10.0.0.1')
  t.equal(normalizeIp('FD00:0:0:0:0:0:0:1'), 'fd00::1')
  t.equal(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1', 'the first longest zero run is compressed')
  t.equal(normalizeIp('::ffff:1.2.3.4'), '::ffff:102:304')
  t.equal(normalizeIp('::'), '::')
  for (const bad of ['10.0.0.256', '10.0.0', '1:2:3:4:5:6:7:8:9', 'fd00:::1', 'abc', '', '01.2.3.4.5'])
    t.equal(normalizeIp(bad), undefined, `${bad} refused`)
  t.equal(Cidr.parse('10.0.0.1/24').canonical().toString(), '10.0.0.0/24')
  t.equal(Cidr.tryParse('10.0.0.1/24', { strict: true }), undefined, 'host bits refused when strict')
  t.equal(Cidr.tryParse('10.0.0.0/33'), undefined)
})

t.test('MACs: generated with the OpenStack prefix, unicast only', async t => {
  t.match(randomMac(), /^fa:16:3e(:[0-9a-f]{2}){3}$/)
  t.equal(macAttribute('FA-16-3E-00-00-01', 'mac_address'), 'fa:16:3e:00:00:01')
  t.throws(() => macAttribute('01:00:5e:00:00:01', 'mac_address'), ApiError, 'multicast refused')
  t.throws(() => macAttribute('00:00:00:00:00:00', 'mac_address'), ApiError, 'all-zero refused')
  t.throws(() => macAttribute('fa:16:3e:0:0:1', 'mac_address'), ApiError, 'one-digit groups refused')
})

t.test('validation converts what Neutron accepts and names the field otherwise', async t => {
  const opts = { member: 'network' }
  const n = validateCreate(NETWORK_ATTRIBUTES, { name: 'x', mtu: '1400', admin_state_up: 'True', shared: 'false' }, opts)
  t.equal(n.mtu, 1400, 'integer given as a string')
  t.equal(n.admin_state_up, true)
  t.equal(n.shared, false)
  t.equal(n.port_security_enabled, true, 'defaults applied')
  t.match(
    apiError(() => validateCreate(NETWORK_ATTRIBUTES, { mtu: 'abc' }, opts)).message,
    "Invalid input for mtu. Reason: 'abc' is not an integer.",
  )
  t.match(apiError(() => validateCreate(NETWORK_ATTRIBUTES, { mtu: 20 }, opts)).message, 'Invalid input for mtu')
  t.match(apiError(() => validateCreate(NETWORK_ATTRIBUTES, { colour: 'red' }, opts)).message, "Unrecognized attribute(s) 'colour'")
  t.match(apiError(() => validateCreate(NETWORK_ATTRIBUTES, { status: 'DOWN' }, opts)).message, "Attribute 'status' not allowed in POST")
  t.match(
    apiError(() => validateUpdate(NETWORK_ATTRIBUTES, { 'provider:network_type': 'vlan' }, opts)).message,
    'Cannot update read-only attribute provider:network_type',
  )
  // Who may set provider attributes is the policy's decision (create_network:provider:*, policy-api.test.ts), not the validator's.
  t.equal(
    validateCreate(NETWORK_ATTRIBUTES, { 'provider:network_type': 'vlan', shared: true }, opts)['provider:network_type'],
    'vlan',
    'provider attributes are converted, not refused',
  )
  t.match(
    apiError(() => validateCreate(SUBNET_ATTRIBUTES, { ip_version: 4 }, { member: 'subnet' })).message,
    "Required attribute 'network_id' not specified",
  )
  t.match(
    apiError(() => validateCreate(SUBNET_ATTRIBUTES, { network_id: 'nope', ip_version: 4 }, { member: 'subnet' })).message,
    "Invalid input for network_id. Reason: 'nope' is not a valid UUID",
  )
  t.match(
    apiError(() =>
      validateCreate(SUBNET_ATTRIBUTES, { network_id: '3d6f2ef4-9a86-4a54-8a0f-8c5e3d0f6f2a', ip_version: 5 }, { member: 'subnet' }),
    ).message,
    'Invalid input for ip_version',
  )
  const p = validateCreate(
    PORT_ATTRIBUTES,
    { network_id: '3d6f2ef4-9a86-4a54-8a0f-8c5e3d0f6f2a', fixed_ips: [{ ip_address: 'FD00::0001' }], mac_address: 'FA:16:3E:00:00:01' },
    { member: 'port' },
  )
  t.same(p.fixed_ips, [{ ip_address: 'fd00::1' }], 'addresses normalized')
  t.equal(p.mac_address, 'fa:16:3e:00:00:01')
  t.match(
    apiError(() =>
      validateCreate(
        PORT_ATTRIBUTES,
        { network_id: '3d6f2ef4-9a86-4a54-8a0f-8c5e3d0f6f2a', fixed_ips: [{ ip: '1.2.3.4' }] },
        { member: 'port' },
      ),
    ).message,
    "Invalid input for fixed_ips. Reason: Unrecognized key(s) 'ip'",
  )
  t.match(apiError(() => validateCreate(NETWORK_ATTRIBUTES, [1, 2], opts)).message, 'the body must be an object')
})

t.test('IPAM: gateway, default pools and pool checks as Neutron', async t => {
  t.equal(defaultGateway('10.0.0.0/24'), '10.0.0.1')
  t.equal(defaultGateway('10.0.0.0/31'), null)
  t.same(defaultPools('10.0.0.0/24', '10.0.0.1'), [{ start: '10.0.0.2', end: '10.0.0.254' }])
  t.same(
    defaultPools('10.0.0.0/24', '10.0.0.100'),
    [
      { start: '10.0.0.1', end: '10.0.0.99' },
      { start: '10.0.0.101', end: '10.0.0.254' },
    ],
    'a gateway inside the range splits it',
  )
  t.same(defaultPools('fd00::/64', 'fd00::1'), [{ start: 'fd00::2', end: 'fd00::ffff:ffff:ffff:ffff' }], 'IPv6 has no broadcast')
  t.equal(poolSize(defaultPools('10.0.0.0/24', '10.0.0.1')), 253n)
  t.match(
    apiError(() => checkPools('10.0.0.0/24', [{ start: '10.0.0.1', end: '10.0.0.9' }], '10.0.0.1')).type,
    'GatewayConflictWithAllocationPools',
  )
  t.match(apiError(() => checkPools('10.0.0.0/24', [{ start: '10.0.1.1', end: '10.0.1.9' }], null)).type, 'OutOfBoundsAllocationPool')
  t.match(
    apiError(() =>
      checkPools(
        '10.0.0.0/24',
        [
          { start: '10.0.0.2', end: '10.0.0.9' },
          { start: '10.0.0.9', end: '10.0.0.20' },
        ],
        null,
      ),
    ).type,
    'OverlappingAllocationPools',
  )
  t.match(apiError(() => checkPools('10.0.0.0/24', [{ start: '10.0.0.9', end: '10.0.0.2' }], null)).type, 'InvalidAllocationPool')
  const used = new Set(['10.0.0.2', '10.0.0.3'])
  t.equal(
    pickAddress(defaultPools('10.0.0.0/24', '10.0.0.1'), ip => used.has(ip)),
    '10.0.0.4',
    'the lowest free address',
  )
  t.equal(
    pickAddress([{ start: '10.0.0.2', end: '10.0.0.3' }], ip => used.has(ip)),
    undefined,
    'exhausted',
  )
  t.equal(eui64Address('fd00:1::/64', 'fa:16:3e:11:22:33'), 'fd00:1::f816:3eff:fe11:2233', 'RFC 4291 modified EUI-64')
  t.equal(ipAllocationId('s', 'fd00::1'), 's_fd00--1', 'record ids avoid ":"')
})

t.test('subnet pools hand out the first free aligned prefix', async t => {
  t.equal(allocatePrefix(['10.0.0.0/16'], [], 24), '10.0.0.0/24')
  t.equal(allocatePrefix(['10.0.0.0/16'], ['10.0.0.0/24', '10.0.1.0/24'], 24), '10.0.2.0/24')
  t.equal(allocatePrefix(['10.0.0.0/16'], ['10.0.0.0/20'], 24), '10.0.16.0/24', 'skips past a bigger block')
  t.equal(allocatePrefix(['10.0.0.0/24'], ['10.0.0.0/24'], 26), undefined)
  t.equal(allocatePrefix(['2001:db8::/32'], ['2001:db8::/48'], 64), '2001:db8:1::/64', 'large IPv6 pools are skipped through, not scanned')
})
