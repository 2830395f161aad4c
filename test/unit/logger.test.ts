// The logger's lines: JSON fields every line carries, level filtering, children's bindings, the text shape.
import t from 'tap'
import { PassThrough } from 'node:stream'
import { createLogger, type LoggingOptions } from '../../log/logger.js'

function capture(component: string, opts: LoggingOptions): { log: ReturnType<typeof createLogger>; lines: () => string[] } {
  const stream = new PassThrough()
  let out = ''
  stream.on('data', (d: Buffer) => {
    out += d.toString()
  })
  return { log: createLogger(component, { ...opts, destination: stream }), lines: () => out.split('\n').filter(l => l !== '') }
}

t.test('a JSON line has time, level, component and msg, plus the given fields', async t => {
  const { log, lines } = capture('agent', { format: 'json' })
  log.info('resync: 3 flows added', { added: 3 })
  const [line, ...more] = lines()
  t.same(more, [], 'one line per call')
  const obj = JSON.parse(line ?? '{}') as Record<string, unknown>
  t.equal(obj.level, 'info')
  t.equal(obj.component, 'agent')
  t.equal(obj.msg, 'resync: 3 flows added')
  t.equal(obj.added, 3)
  t.match(obj.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'an ISO time stamp')
})

t.test('a child keeps the component and adds its bindings; the component appears once', async t => {
  const { log, lines } = capture('agent', { format: 'json' })
  log.child({ port: 'p1' }).warn('refused')
  log.child({ component: 'openflow' }).error('bad message')
  const [a, b] = lines()
  t.match(JSON.parse(a ?? '{}'), { level: 'warn', component: 'agent', port: 'p1', msg: 'refused' }, 'warn line with the binding')
  t.equal((b?.match(/"component"/g) ?? []).length, 1, 'a rebound component is not written twice')
  t.equal((JSON.parse(b ?? '{}') as { component: string }).component, 'openflow')
})

t.test('lines below the level are dropped; silent drops all', async t => {
  const warn = capture('store', { format: 'json', level: 'warn' })
  warn.log.debug('d')
  warn.log.info('i')
  warn.log.warn('w')
  warn.log.error('e')
  t.same(
    warn.lines().map(l => (JSON.parse(l) as { msg: string }).msg),
    ['w', 'e'],
  )
  const debug = capture('store', { format: 'json', level: 'debug' })
  debug.log.debug('d')
  debug.log.info('i')
  t.same(
    debug.lines().map(l => (JSON.parse(l) as { level: string }).level),
    ['debug', 'info'],
  )
  const silent = capture('store', { format: 'json', level: 'silent' })
  silent.log.error('e')
  t.same(silent.lines(), [])
  const dflt = capture('store', { format: 'json' })
  dflt.log.debug('d')
  dflt.log.info('i')
  t.same(
    dflt.lines().map(l => (JSON.parse(l) as { msg: string }).msg),
    ['i'],
    'info by default',
  )
})

t.test('text lines read "component: msg" with time and level', async t => {
  const { log, lines } = capture('agent', { format: 'text', colorize: false })
  log.info('resync: 3 flows added', { added: 3 })
  const [line] = lines()
  t.match(line, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] INFO.*agent: resync: 3 flows added/)
  t.match(line, /"added":3/, 'the fields on the same line')
  t.notMatch(line, /"component"/, 'the component is not repeated as a field')
})
