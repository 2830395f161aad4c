// A plain hand-written SVG bar chart for bench/offload.ts: modelled Mpps per profile, one bar per topology.
// No chart package: a few rects and texts are enough, and the file stays readable as text.

export interface BarGroup {
  label: string
  /** one value per series; undefined = no modelled figure (drawn as a note, not a zero bar) */
  values: (number | undefined)[]
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759']

export function barChartSvg(o: {
  title: string
  subtitle: string
  yLabel: string
  xLabel: string
  series: string[]
  groups: BarGroup[]
}): string {
  const left = 70,
    right = 20,
    top = 60,
    bottom = 150
  const groupW = 90
  const plotW = Math.max(1, o.groups.length) * groupW
  const plotH = 320
  const width = left + plotW + right
  const height = top + plotH + bottom
  const max = Math.max(1, ...o.groups.flatMap(g => g.values.filter((v): v is number => v !== undefined)))
  // a round axis maximum so the ticks read as plain numbers
  const step = 10 ** Math.floor(Math.log10(max))
  const axisMax = Math.ceil(max / step) * step
  const y = (v: number): number => top + plotH - (v / axisMax) * plotH
  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  )
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`)
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`)
  out.push(`<text x="${width / 2}" y="38" text-anchor="middle">${esc(o.subtitle)}</text>`)
  for (let i = 0; i <= 5; i++) {
    const v = (axisMax * i) / 5
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`)
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`)
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="black"/>`)
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="black"/>`)
  out.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`)
  out.push(`<text x="${left + plotW / 2}" y="${height - 40}" text-anchor="middle">${esc(o.xLabel)}</text>`)
  const barW = (groupW - 20) / Math.max(1, o.series.length)
  o.groups.forEach((g, gi) => {
    const gx = left + gi * groupW + 10
    g.values.forEach((v, si) => {
      const x = gx + si * barW
      if (v === undefined) {
        out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH - 4}" text-anchor="middle" font-size="9" fill="#888">n/a</text>`)
        return
      }
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${COLOURS[si % COLOURS.length] ?? '#888'}"><title>${esc(`${g.label} / ${o.series[si] ?? ''}: ${v.toFixed(2)} Mpps (MODELLED)`)}</title></rect>`,
      )
      out.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${v >= 10 ? v.toFixed(0) : v.toFixed(1)}</text>`,
      )
    })
    const lx = gx + (groupW - 20) / 2
    out.push(`<text transform="translate(${lx.toFixed(1)} ${top + plotH + 12}) rotate(35)" text-anchor="start">${esc(g.label)}</text>`)
  })
  o.series.forEach((s, si) => {
    const lx = left + si * Math.max(160, plotW / Math.max(1, o.series.length))
    out.push(`<rect x="${lx}" y="${height - 24}" width="10" height="10" fill="${COLOURS[si % COLOURS.length] ?? '#888'}"/>`)
    out.push(`<text x="${lx + 14}" y="${height - 15}">${esc(s)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
