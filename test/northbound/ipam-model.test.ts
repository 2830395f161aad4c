// model/ipam.ts freeAddresses: the scan the allocator's first fit and its contended window both use.
import t from 'tap'
import { freeAddresses, pickAddress } from '../../model/ipam.js'
import { tryParseIp } from '../../datapath/host/addresses.js'

const pools = [
  { start: '10.0.0.2', end: '10.0.0.6' },
  { start: '10.0.0.10', end: '10.0.0.12' },
]
const num = (ip: string): bigint => tryParseIp(ip)?.value ?? -1n

t.test('free addresses in pool order, at most `limit`, across pools', async t => {
  const taken = new Set(['10.0.0.2', '10.0.0.3', '10.0.0.5'])
  const r = freeAddresses(pools, ip => taken.has(ip), { limit: 3 })
  t.same(r.addresses, ['10.0.0.4', '10.0.0.6', '10.0.0.10'], 'the next pool continues the scan')
  t.equal(r.firstFree, num('10.0.0.4'), 'the first free one is where a mark may move to')
  t.same(freeAddresses(pools, () => false, { limit: 100 }).addresses.length, 8, 'a window larger than the pools gives every address')
})

t.test('from a mark: nothing below it is looked at', async t => {
  const seen: string[] = []
  const r = freeAddresses(
    pools,
    ip => {
      seen.push(ip)
      return false
    },
    { from: num('10.0.0.5'), limit: 2 },
  )
  t.same(r.addresses, ['10.0.0.5', '10.0.0.6'])
  t.same(seen, ['10.0.0.5', '10.0.0.6'], 'the scan starts at the mark')
  t.same(
    freeAddresses(pools, () => false, { from: num('10.0.0.8'), limit: 1 }).addresses,
    ['10.0.0.10'],
    'a mark between pools starts the next one',
  )
})

t.test('exhausted: no address and no first free', async t => {
  const r = freeAddresses(pools, () => true, { limit: 5 })
  t.same(r.addresses, [])
  t.equal(r.firstFree, undefined)
  t.equal(
    pickAddress(pools, () => true),
    undefined,
  )
  t.equal(
    pickAddress(pools, ip => ip !== '10.0.0.11'),
    '10.0.0.11',
    'first fit is the window of one',
  )
})
