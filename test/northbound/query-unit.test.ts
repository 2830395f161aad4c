// Unit tests of list queries: filters (repeated keys OR), tag filters, fixed_ips, sorting, pagination links, fields.
import t from 'tap'
import { NETWORK_ATTRIBUTES } from '../../model/attributes/networks.js'
import { PORT_ATTRIBUTES } from '../../model/attributes/ports.js'
import { ApiError } from '../../model/errors.js'
import { applyListQuery, parseListQuery } from '../../northbound/query.js'

const nets = [
  { id: 'a', name: 'red', shared: false, mtu: 1500, tags: ['x', 'y'] },
  { id: 'b', name: 'green', shared: true, mtu: 1400, tags: ['x'] },
  { id: 'c', name: 'blue', shared: false, mtu: 1450, tags: [] },
  { id: 'd', name: 'green', shared: false, mtu: 9000, tags: ['y'] },
]

function run(query: string, items: Record<string, unknown>[] = nets, attributes = NETWORK_ATTRIBUTES) {
  const params = new URLSearchParams(query)
  return applyListQuery(items, parseListQuery(params, attributes), {
    attributes,
    base: params,
    link: p => `/v2.0/networks?${p.toString()}`,
  })
}

const ids = (q: string): string[] => run(q).items.map(i => String(i.id))

t.test('filters: one key ANDs with another, repeated values OR', async t => {
  t.same(ids('name=green'), ['b', 'd'])
  t.same(ids('name=green&shared=True'), ['b'], 'booleans as Neutron spells them')
  t.same(ids('name=red&name=blue'), ['a', 'c'])
  t.same(ids('mtu=1400'), ['b'], 'integers compared as numbers')
  t.same(ids('tags=x,y'), ['a'])
  t.same(ids('tags-any=y'), ['a', 'd'])
  t.same(ids('not-tags=x'), ['c', 'd'])
  t.same(ids('not-tags-any=x,y'), ['c'])
  t.throws(() => run('colour=red'), ApiError, 'unknown filters refused (filter-validation)')
})

t.test('fixed_ips filters on ports', async t => {
  const ports = [
    { id: 'p1', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }] },
    { id: 'p2', fixed_ips: [{ subnet_id: 's2', ip_address: '10.0.1.5' }] },
  ]
  const q = (s: string): string[] => run(s, ports, PORT_ATTRIBUTES).items.map(i => String(i.id))
  t.same(q('fixed_ips=ip_address%3D10.0.0.5'), ['p1'])
  t.same(q('fixed_ips=subnet_id%3Ds2'), ['p2'])
  t.same(q('fixed_ips=subnet_id%3Ds2&fixed_ips=ip_address%3D10.0.0.5'), [], 'different sub-keys AND')
  t.same(q('fixed_ips=ip_address_substr%3D.5'), ['p1', 'p2'])
})

t.test('sorting and pagination with links', async t => {
  t.same(ids('sort_key=mtu&sort_dir=desc'), ['d', 'a', 'c', 'b'])
  t.same(ids('sort_key=name&sort_dir=asc&sort_key=mtu&sort_dir=desc'), ['c', 'd', 'b', 'a'], 'secondary key')
  const p1 = run('sort_key=mtu&limit=2')
  t.same(
    p1.items.map(i => i.id),
    ['b', 'c'],
  )
  t.same(
    p1.links.map(l => l.rel),
    ['next', 'previous'],
    'a full forward page has both links, as in Neutron',
  )
  const next = new URL(p1.links[0]!.href, 'http://x').searchParams
  t.equal(next.get('marker'), 'c')
  t.equal(next.get('sort_key'), 'mtu', 'links keep the query')
  const p2 = run(`sort_key=mtu&limit=2&marker=c`)
  t.same(
    p2.items.map(i => i.id),
    ['a', 'd'],
  )
  t.same(
    p2.links.map(l => l.rel),
    ['next', 'previous'],
    'a full last page still has a next link',
  )
  const end = run(`sort_key=mtu&limit=2&marker=d`)
  t.same(end.items, [], 'the page after the last is empty')
  t.same(
    end.links.map(l => l.rel),
    ['previous'],
    'an empty forward page has no next',
  )
  const fromEnd = new URL(end.links[0]!.href, 'http://x').searchParams
  t.equal(fromEnd.get('marker'), null, 'the previous link of an empty page has no marker')
  t.equal(fromEnd.get('page_reverse'), 'True')
  t.same(
    run(fromEnd.toString()).items.map(i => i.id),
    ['a', 'd'],
    'page_reverse without a marker: the last page',
  )
  const back = run(`sort_key=mtu&limit=2&marker=a&page_reverse=True`)
  t.same(
    back.items.map(i => i.id),
    ['b', 'c'],
    'page_reverse returns the page before the marker, in order',
  )
  t.same(
    back.links.map(l => l.rel),
    ['next', 'previous'],
  )
  const first = run(`sort_key=mtu&limit=2&marker=c&page_reverse=True`)
  t.same(
    first.items.map(i => i.id),
    ['b'],
  )
  t.same(
    first.links.map(l => l.rel),
    ['next'],
    'a short reverse page (the start) has no previous',
  )
  t.same(run('sort_key=mtu&marker=c').items.length, 4, 'a marker without a limit is ignored')
  t.same(run('sort_key=mtu&limit=0').links, [], 'limit=0: no paging')
  t.throws(() => run('limit=1&marker=nope'), ApiError, 'an unknown marker is refused')
  t.throws(() => run('limit=-1'), ApiError)
  t.throws(() => run('sort_key=nope'), ApiError)
  t.throws(() => run('sort_key=name&sort_dir=up'), ApiError)
})

t.test('fields= selects attributes', async t => {
  t.same(run('fields=id&fields=name&name=blue').items, [{ id: 'c', name: 'blue' }])
  t.same(run('fields=id,mtu&name=blue').items, [{ id: 'c', mtu: 1450 }])
})
