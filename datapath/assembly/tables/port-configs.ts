// port u32 -> an entry's body followed by zeroed per-port state (a token bucket): the table of each slow-path
// server that answers a port from its own entry (DHCPv4, DHCPv6).
import { ExactTable, clearKey, key } from './exact-table'

@inline function portKey(port: u32): void {
  clearKey()
  store<u32>(key, port)
}

@final export class PortConfigs {
  private readonly table: ExactTable

  constructor(private readonly valueBytes: i32) {
    this.table = new ExactTable(valueBytes, 256)
  }

  /** Adds or replaces a port's configuration from an entry body of `len` bytes whose first u32 is the port (checked by the caller). */
  add(body: usize, len: i32): void {
    portKey(load<u32>(body))
    const v = this.table.upsert()
    memory.fill(v, 0, <usize>this.valueBytes) // a replaced entry also gets a full bucket
    memory.copy(v, body, <usize>len)
  }

  remove(port: u32): bool {
    portKey(port)
    return this.table.remove()
  }

  clear(): void {
    this.table.clear()
  }

  /** The port's configuration and state, or 0. */
  find(port: u32): usize {
    portKey(port)
    return this.table.find()
  }
}
