/**
 * How `tm apply` reports as it goes, in one of three forms:
 * - `--json`: one JSON object per tenant event, then a summary object;
 * - a terminal: a live progress bar (cli-progress), with stale and failed tenants printed above it;
 * - anything else (CI logs, pipes): one plain line per tenant.
 */
import cliProgress from 'cli-progress';
import type { ApplyEvent, ApplyResult } from '../apply/events.js';
import { renderApplyEvent, renderApplySummary } from './applyText.js';
import { paintApplyLine, styleFor } from './style.js';

export interface ApplyReporter {
  event(event: ApplyEvent): void;
  finish(result: ApplyResult, planId: string, seconds: number): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export function createApplyReporter(stream: Stream, options: { json: boolean; total: number; header: string }): ApplyReporter {
  if (options.json) {
    return {
      event(event) {
        if (event.type === 'started') return;
        const { type, ...rest } = event;
        stream.write(JSON.stringify({ event: type, ...rest }) + '\n');
      },
      finish(result, planId) {
        stream.write(JSON.stringify({ event: 'summary', planId, ...result }) + '\n');
      },
    };
  }

  stream.write(options.header + '\n');
  if (!stream.isTTY || options.total === 0) {
    return {
      event(event) {
        const line = renderApplyEvent(event);
        if (line) stream.write(line + '\n');
      },
      finish(result, _planId, seconds) {
        stream.write(renderApplySummary(result, seconds));
      },
    };
  }

  const bars = new cliProgress.MultiBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: '  {bar} {value}/{total} schemas | {failed} failed, {stale} stale | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(options.total, 0, { failed: 0, stale: 0 });
  const style = styleFor(stream);
  let failed = 0;
  let stale = 0;
  return {
    event(event) {
      if (event.type === 'started') return;
      if (event.type === 'failed') failed++;
      if (event.type === 'stale') stale++;
      // Successes only move the bar; anything a person must read is printed above it.
      if (event.type !== 'applied' && event.type !== 'already-applied') {
        const line = renderApplyEvent(event);
        if (line) bars.log(paintApplyLine(line, style) + '\n');
      }
      if (event.schema) bar.increment(1, { failed, stale });
    },
    finish(result, _planId, seconds) {
      bars.stop();
      stream.write(renderApplySummary(result, seconds).split('\n').map((l) => paintApplyLine(l, style)).join('\n'));
    },
  };
}
