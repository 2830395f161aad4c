// The WASM datapath's exports. The pipeline itself lives in stages/, codecs in codec/, tables in tables/.
import { STAGE_COUNT } from '../spec/stages'

export function stageCount(): i32 {
  return STAGE_COUNT
}
