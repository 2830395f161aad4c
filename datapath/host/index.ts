// The WASM datapath for TypeScript: createDatapath() and the types of its contract.
import type { Datapath } from './api.js'
import { loadComponentBackend } from './component-backend.js'
import { loadCoreBackend } from './core-backend.js'
import { WasmDatapath } from './datapath.js'

export type * from './api.js'
export type * from './entries.js'
export { EntryError, type EntryErrorCode } from './entry-error.js'

export interface CreateDatapathOptions {
  /** 'core' (default): build/datapath.wasm; 'component': the jco-transpiled component in build/component/. */
  backend?: 'core' | 'component'
  /** The core module's bytes, instead of reading build/datapath.wasm (core backend only). */
  wasm?: Uint8Array
}

export async function createDatapath(opts: CreateDatapathOptions = {}): Promise<Datapath> {
  const backend = opts.backend ?? 'core'
  const abi = backend === 'component' ? await loadComponentBackend() : await loadCoreBackend(opts.wasm)
  return new WasmDatapath(abi, backend)
}
