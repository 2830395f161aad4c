// Child process for test/store/embedded.test.ts. DF_WRITER_MODE=write: create ports as fast as possible, 16 in
// flight (ids prefixed with DF_WRITER_PREFIX), printing "ack <id>" once each is acknowledged (until killed). DF_WRITER_MODE=hold: open the store,
// print "ready", and wait to be killed. Without DF_WRITER_DIR (tap running this file) it does nothing.
import { openStore } from '../../store/registry.js'

const dir = process.env.DF_WRITER_DIR
if (dir) {
  const store = await openStore({ driver: 'embedded', dir })
  if (process.env.DF_WRITER_MODE === 'hold') {
    process.stdout.write('ready\n')
    setInterval(() => undefined, 60_000) // keep running until the parent kills us
  } else {
    let next = 0
    const worker = async (): Promise<void> => {
      for (;;) {
        const id = `${process.env.DF_WRITER_PREFIX ?? ''}p${next++}`
        await store.create('port', id, { payload: 'x'.repeat(2000) }, ['project:crash'])
        process.stdout.write(`ack ${id}\n`)
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
  }
}
