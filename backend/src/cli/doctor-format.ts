/** Plain-text rendering of a doctor report: one line per check, ✓ / ✗ / – and what to do. */
import type { DoctorReport } from "../services/doctor";

const MARK = { pass: "✓", fail: "✗", skip: "–" } as const;

export function formatDoctorReport(r: DoctorReport): string[] {
  const lines = [`${r.merchantId} (${r.merchantName})`];
  for (const c of r.checks) {
    const mark = c.ok === true ? MARK.pass : c.ok === false ? MARK.fail : MARK.skip;
    lines.push(`  ${mark} ${c.title}: ${c.detail}${c.fix ? ` → ${c.fix}` : ""}`);
  }
  lines.push(
    r.failed === 0 ? "  all checks passed" : `  ${r.failed} check${r.failed === 1 ? "" : "s"} failed`,
  );
  return lines;
}
