// Warnings are counted per code and logged once per code, so a flapping connection cannot flood the log.
import t from 'tap'
import { WarningLog } from '../../store/warning-log.js'
import { StoreError } from '../../store/types.js'
import { lineLogger } from '../../log/logger.js'

t.test('logged once per code, every one counted', async t => {
  const logged: string[] = []
  {
    const log = new WarningLog(
      'test',
      undefined,
      lineLogger('store', line => {
        logged.push(line)
      }),
    )
    for (let i = 0; i < 5; i++) log.report(new StoreError('unavailable', `connect refused ${i}`))
    log.report(new StoreError('bad_record', 'garbled'))
    t.same(logged, [
      'store: test: connect refused 0 (further \'unavailable\' warnings are only counted) {"code":"unavailable"}',
      'store: test: garbled (further \'bad_record\' warnings are only counted) {"code":"bad_record"}',
    ])
    t.equal(log.counts.get('unavailable'), 5)
    t.equal(log.counts.get('bad_record'), 1)
  }
})

t.test('a sink of its own gets every warning', async t => {
  const got: string[] = []
  const log = new WarningLog('test', e => got.push(e.message))
  log.report(new StoreError('invalid', 'a'))
  log.report(new StoreError('invalid', 'b'))
  t.same(got, ['a', 'b'])
  t.equal(log.counts.get('invalid'), 2)
})
