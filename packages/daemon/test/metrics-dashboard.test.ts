// packaging/grafana/twampd-dashboard.json: valid Grafana JSON built only on metrics twampd exports,
// with PromQL that Prometheus parses (promtool check rules on the expressions).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../src/metrics/index.js';
import { snapshot } from './metrics-support.js';

const DASHBOARD = new URL('../../../packaging/grafana/twampd-dashboard.json', import.meta.url);

interface Target {
  readonly expr?: string;
  readonly datasource?: { readonly uid?: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid?: string };
  readonly targets?: readonly Target[];
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
}
interface Variable {
  readonly name: string;
  readonly definition?: string;
}
interface Dashboard {
  readonly schemaVersion: number;
  readonly __inputs: readonly { readonly name: string; readonly pluginId: string }[];
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
  readonly uid: string;
  readonly title: string;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const queryPanels = dashboard.panels.filter((panel) => panel.type !== 'row');
const expressions = queryPanels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));
const variableQueries = dashboard.templating.list.map((variable) => variable.definition ?? '');

/** Metric names in PromQL: twampd_*, process_* and nodejs_* identifiers (label values are quoted and skipped). */
function metricNames(expression: string): string[] {
  const unquoted = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...unquoted.matchAll(/\b(?:twampd|process|nodejs)_[a-z0-9_]+\b/g)].map((match) => match[0]);
}

/** What Grafana would put in place of its variables, so that the text is plain PromQL. */
function withoutVariables(expression: string): string {
  return expression.replaceAll('$instance', '.*').replaceAll('$target', '.*').replaceAll('$__rate_interval', '5m');
}

describe('the Grafana dashboard', () => {
  it('is a Grafana dashboard: schemaVersion ≥ 36, a DS_PROMETHEUS input used by every panel, unique panel ids', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }));
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queryPanels.length).toBeGreaterThanOrEqual(10);
    for (const panel of queryPanels) {
      expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });

  it('has a target variable from label_values, used by the per-target panels', () => {
    const target = dashboard.templating.list.find((variable) => variable.name === 'target');
    expect(target?.definition).toMatch(/^label_values\(twampd_agent_[a-z_]+(\{[^}]*\})?, target\)$/);
    expect(expressions.filter((expression) => expression.includes('target=~"$target"')).length).toBeGreaterThanOrEqual(8);
  });

  it('references only metrics twampd exports (names read from a real scrape)', async () => {
    // A twampd with every listener kind: the control families are exported only while control runs.
    const metrics = new DaemonMetrics({ listeners: () => snapshot(0), agentHistograms: true });
    const text = await metrics.text();
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']));
    const exported = (name: string): boolean => {
      if (types.has(name)) return true;
      const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
      return histogram !== null && types.get(histogram[1] ?? '') === 'histogram';
    };
    const referenced = new Set([...expressions, ...variableQueries].flatMap(metricNames));
    expect(referenced.size).toBeGreaterThan(15);
    expect([...referenced].filter((name) => !exported(name))).toEqual([]);
  });

  it('shows what the issue asks for: RTT quantiles, one-way delays, loss, jitter, target up, reflector traffic and drops, sessions, Accept codes, control connections', () => {
    const all = expressions.join('\n');
    for (const quantile of ['0.5', '0.95', '0.99']) {
      expect(all).toContain(`histogram_quantile(${quantile}, sum by (instance, target, le) (rate(twampd_agent_rtt_seconds_bucket`);
    }
    for (const name of [
      'twampd_agent_forward_delay_seconds_bucket',
      'twampd_agent_backward_delay_seconds_bucket',
      'twampd_agent_oneway_reliable',
      'twampd_agent_loss_ratio',
      'twampd_agent_jitter_seconds',
      'twampd_agent_target_up',
      'twampd_reflector_packets_received_total',
      'twampd_reflector_packets_sent_total',
      'twampd_reflector_packets_dropped_total',
      'twampd_reflector_sessions_active',
      'twampd_control_accept_sent_total',
      'twampd_control_connections_active',
      'twampd_control_connections_refused_total',
    ]) {
      expect(all, name).toContain(name);
    }
  });

  const promtoolMissing = !existsSync('/usr/bin/promtool') && process.env['TWAMP_REQUIRE_PROMTOOL'] !== '1';
  it.skipIf(promtoolMissing)('every expression is PromQL that Prometheus parses (promtool check rules)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twampd-dashboard-'));
    try {
      const rules = expressions.map((expression, i) => `      - record: twampd:dashboard_expression_${i}\n        expr: ${JSON.stringify(withoutVariables(expression))}\n`).join('');
      const file = join(dir, 'rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}`);
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile('/usr/bin/promtool', ['check', 'rules', file], { timeout: 30_000 }, (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, output: `${stdout}${stderr}` });
        });
      });
      expect(result.output).toContain(`${expressions.length} rules found`);
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
