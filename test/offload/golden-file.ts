// Golden text files: the text a test produces must equal the committed file. A missing file FAILS (it is never
// written silently); `UPDATE_GOLDEN=1` is the only way a golden file is written, and the review of its diff is
// the point. A mismatch prints a line diff and the command that regenerates the file.
import type { Test } from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'

export const updatingGolden = (): boolean => process.env['UPDATE_GOLDEN'] === '1'

/** Asserts `got` equals the golden file `file`; with UPDATE_GOLDEN=1 writes `got` there first. */
export function checkGolden(t: Test, file: string, got: string, opts: { testFile: string }): void {
  const regenerate = `UPDATE_GOLDEN=1 npx tap ${opts.testFile} (then review the diff with git diff)`
  if (updatingGolden()) writeFileSync(file, got)
  if (!existsSync(file)) {
    t.fail(`the golden file ${relative(process.cwd(), file)} is missing: write it with ${regenerate}`)
    return
  }
  const want = readFileSync(file, 'utf8')
  const diff = lineDiff(want, got)
  t.equal(
    diff,
    '',
    diff === ''
      ? `${relative(process.cwd(), file)} matches`
      : `the output differs from ${relative(process.cwd(), file)} (- golden, + now):\n${diff}\nIf the change is intended, regenerate: ${regenerate}`,
  )
}

/** '' when equal; else the differing lines as `-`/`+` hunks with a line of context (at most `limit` lines). */
export function lineDiff(want: string, got: string, limit = 60): string {
  if (want === got) return ''
  const a = want.split('\n')
  const b = got.split('\n')
  // Longest common subsequence over lines: golden files are a few hundred lines, the table stays small.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[]
      row[j] = a[i] === b[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, row[j + 1] ?? 0)
    }
  }
  // Each op: its mark ('  ' same, '- ' golden only, '+ ' now only) and its line number in the golden file
  // (for '+', in the new text).
  const ops: { mark: string; line: number; text: string }[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ mark: '  ', line: i + 1, text: a[i] ?? '' })
      i++
      j++
    } else if (i < a.length && (j === b.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      ops.push({ mark: '- ', line: i + 1, text: a[i] ?? '' })
      i++
    } else {
      ops.push({ mark: '+ ', line: j + 1, text: b[j] ?? '' })
      j++
    }
  }
  const changed = (k: number): boolean => ops[k] !== undefined && ops[k]?.mark !== '  '
  const out: string[] = []
  ops.forEach((op, k) => {
    if (changed(k) || changed(k - 1) || changed(k + 1)) out.push(`${op.mark}${String(op.line).padStart(4)}: ${op.text}`)
    else if (changed(k - 2)) out.push('  ...')
  })
  return out.length > limit ? [...out.slice(0, limit), `  ... ${out.length - limit} more lines`].join('\n') : out.join('\n')
}
