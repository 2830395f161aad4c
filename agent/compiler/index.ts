// The topology compiler: model changes and local bindings in, pipeline entry deltas out (see types.ts).
export { TopologyCompiler, type TopologyCompilerOptions } from './topology-compiler.js'
export { compileTopology, compileState, type ModelSnapshot, type CompileResult } from './compile-topology.js'
export type { ChassisIdentity } from './compile-unit.js'
export { entryKey } from './entry-key.js'
export type { CompileProblem, CompileProblemCode } from './problems.js'
export type { EntryDelta, LocalBinding, TopologyCompilerApi } from './types.js'
