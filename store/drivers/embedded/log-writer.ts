// Appends encoded records to the current log file and makes them durable before returning.
import { open, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fsyncDir } from './data-dir.js'

export class LogWriter {
  readonly path: string
  /** Current size of the file. */
  bytes: number

  private constructor(
    private readonly handle: FileHandle,
    file: { path: string; bytes: number },
  ) {
    this.path = file.path
    this.bytes = file.bytes
  }

  static async open(path: string): Promise<LogWriter> {
    const handle = await open(path, 'a')
    const { size } = await handle.stat()
    fsyncDir(dirname(path)) // a newly created log must survive a crash as a directory entry too
    return new LogWriter(handle, { path, bytes: size })
  }

  /** One write and one fdatasync for a whole batch of records (group commit). */
  async append(chunk: Buffer): Promise<void> {
    let written = 0
    while (written < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, written, chunk.length - written)
      written += bytesWritten
    }
    await this.handle.datasync()
    this.bytes += chunk.length
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}
