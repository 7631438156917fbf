/**
 * Draws the benchmark as an SVG: per scenario, the speed of zmqloop, C
 * libzmq, PyZMQ and zeromq.js relative to C (higher is better; round trips are
 * inverted so that faster is always longer). Called by bench/run.ts; run
 * alone to redraw from saved results:
 *
 *   deno run --allow-read --allow-write bench/chart.ts [results.json] [out.svg]
 *
 * @module
 */

/** One measured row, as bench/run.ts records it. */
export interface BenchRow {
  scenario: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
  ratio: number;
}

interface Group {
  scenario: string;
  unit: string;
  lowerIsBetter: boolean;
  zmqloop: number;
  c?: number;
  pyzmq?: number;
  zeromqjs?: number;
}

const COLORS = {
  zmqloop: "#2f6fdf",
  c: "#8a8f98",
  pyzmq: "#e8912d",
  zeromqjs: "#3ba55c",
};

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Groups rows by scenario, keeping those compared with C, PyZMQ or zeromq.js. */
export function groups(rows: BenchRow[]): Group[] {
  const out = new Map<string, Group>();
  for (const r of rows) {
    const isC = r.baselineName.startsWith("C");
    const isPy = r.baselineName.startsWith("pyzmq");
    const isNode = r.baselineName.startsWith("zeromq.js");
    if (!isC && !isPy && !isNode) continue;
    const g = out.get(r.scenario) ??
      {
        scenario: r.scenario,
        unit: r.unit,
        lowerIsBetter: r.unit === "µs" || r.unit === "ms",
        zmqloop: r.value,
      };
    if (isC) g.c = r.baseline;
    else if (isPy) g.pyzmq = r.baseline;
    else g.zeromqjs = r.baseline;
    out.set(r.scenario, g);
  }
  return [...out.values()].filter((g) => g.c !== undefined);
}

/** Speed of `value` relative to `reference` (higher is better). */
function speed(value: number, reference: number, lowerIsBetter: boolean) {
  return lowerIsBetter ? reference / value : value / reference;
}

/** Renders the chart; `subtitle` names the machine and date. */
export function renderChart(rows: BenchRow[], subtitle: string): string {
  const gs = groups(rows);
  const width = 760, left = 270, right = 90, barH = 12, gap = 3, groupGap = 16;
  const top = 62;
  const series = ["zmqloop", "c", "pyzmq", "zeromqjs"] as const;
  const label = {
    zmqloop: "zmqloop",
    c: "C libzmq",
    pyzmq: "PyZMQ",
    zeromqjs: "zeromq.js",
  };
  let max = 1;
  for (const g of gs) {
    max = Math.max(max, speed(g.zmqloop, g.c!, g.lowerIsBetter));
  }
  const scale = (width - left - right) / max;
  const parts: string[] = [];
  let y = top;
  for (const g of gs) {
    const bars = series.filter((s) => s === "zmqloop" || g[s] !== undefined);
    const h = bars.length * (barH + gap) - gap;
    const unit = g.lowerIsBetter ? "lower is better" : "higher is better";
    parts.push(
      `<text x="${left - 8}" y="${y + h / 2 - 2}" text-anchor="end" class="s">${
        escape(g.scenario)
      }</text>`,
      `<text x="${left - 8}" y="${
        y + h / 2 + 11
      }" text-anchor="end" class="u">${escape(g.unit)}, ${unit}</text>`,
    );
    for (const s of bars) {
      const raw = g[s]!;
      const rel = speed(raw, g.c!, g.lowerIsBetter);
      const w = Math.max(1, rel * scale);
      parts.push(
        `<rect x="${left}" y="${y}" width="${
          w.toFixed(1)
        }" height="${barH}" fill="${COLORS[s]}"><title>${label[s]}: ${
          raw.toPrecision(4)
        } ${escape(g.unit)}</title></rect>`,
        `<text x="${left + w + 4}" y="${y + barH - 2}" class="v">${
          rel >= 10 ? rel.toFixed(0) : rel.toFixed(2)
        }× C</text>`,
      );
      y += barH + gap;
    }
    y += groupGap;
  }
  const height = y + 10;
  const legend = series.map((s, i) =>
    `<rect x="${left + i * 110}" y="38" width="12" height="12" fill="${
      COLORS[s]
    }"/><text x="${left + i * 110 + 16}" y="48" class="v">${label[s]}</text>`
  ).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>.t{font-size:15px;font-weight:600}.s{font-size:12px}.u{font-size:10px;fill:#666}.v{font-size:11px}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" class="t">zmqloop vs C libzmq, PyZMQ and zeromq.js: speed relative to C (longer is faster)</text>
<text x="10" y="34" class="u">${escape(subtitle)}</text>
${legend}
${parts.join("\n")}
</svg>
`;
}

if (import.meta.main) {
  const here = new URL(".", import.meta.url).pathname;
  const input = Deno.args[0] ?? `${here}results/latest.json`;
  const output = Deno.args[1] ?? `${here}chart.svg`;
  const saved = JSON.parse(await Deno.readTextFile(input));
  await Deno.writeTextFile(
    output,
    renderChart(saved.rows, saved.subtitle ?? saved.date),
  );
  console.log(`chart: wrote ${output}`);
}
