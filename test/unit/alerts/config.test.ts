/**
 * The `alerts` section of xborder.yaml (agent/config/{schema,load,defaults}.ts): its defaults, how
 * sink URLs and secrets are given (inline URL, or file / env; secrets never inline), and the
 * errors, each at its file, line and key path.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULTS } from '../../../agent/config/defaults.js';
import { loadConfig } from '../../../agent/config/load.js';
import { tempDir } from '../support/policy.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function write(alerts: unknown): string {
  const { dir, remove } = tempDir('alerts-config');
  cleanups.push(remove);
  const file = join(dir, 'xborder.yaml');
  const base = {
    company: { name: 'C', regime: 'guangxi' },
    gatewayId: 'gw-a',
    routes: [{ id: 'r', upstream: 'https://x.example', recipient: { name: 'R', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' }],
  };
  writeFileSync(file, stringify(alerts === undefined ? base : { ...base, alerts }));
  return file;
}

const issues = (alerts: unknown): string[] => {
  try {
    loadConfig(write(alerts));
  } catch (err) {
    return (err as Error).message.split('\n').slice(1).map((l) => l.replace(/^.*?xborder\.yaml:/, ''));
  }
  throw new Error('loaded without error');
};

describe('alerts config', () => {
  it('defaults: levels 50/80/90/95/100%, 90/30/7 days, no sinks, retry 1 s doubling to 5 min over 12 attempts, state in <dataDir>/alerts/<gatewayId>.json', () => {
    const file = write(undefined);
    const { alerts, dataDir } = loadConfig(file).config;
    expect(alerts).toEqual({
      levels: [0.5, 0.8, 0.9, 0.95, 1],
      filingDays: [90, 30, 7],
      sinks: [],
      retry: { initialMs: 1_000, maxMs: 300_000, attempts: 12 },
      timeoutMs: DEFAULTS.alerts.timeoutMs,
      storeFailureIntervalMs: 600_000,
      stateFile: join(dataDir, 'alerts', 'gw-a.json'),
    });
  });

  it('sinks: ids default to <kind>-<index>; file paths resolve against the config folder; levels sorted', () => {
    const file = write({
      levels: [0.9, 0.75],
      filingDays: [14, 60],
      sinks: [
        { kind: 'webhook', url: 'https://ops.example/hook' },
        { kind: 'dingtalk', id: 'oncall', url: { env: 'XB_DING_URL' }, secret: { file: 'ding.secret' } },
      ],
      retry: { attempts: 3 },
    });
    const { alerts } = loadConfig(file).config;
    expect(alerts.levels).toEqual([0.75, 0.9]);
    expect(alerts.filingDays).toEqual([60, 14]);
    expect(alerts.retry).toEqual({ initialMs: 1_000, maxMs: 300_000, attempts: 3 });
    expect(alerts.sinks).toEqual([
      { id: 'webhook-0', kind: 'webhook', url: 'https://ops.example/hook', secret: undefined },
      { id: 'oncall', kind: 'dingtalk', url: { env: 'XB_DING_URL' }, secret: { file: join(file, '..', 'ding.secret') } },
    ]);
  });

  it('every error at once, at its line and key', () => {
    expect(
      issues({
        levels: [0, 1.5],
        sinks: [
          { kind: 'slack', url: 'https://x' },
          { kind: 'wecom', url: 42 },
          { kind: 'feishu', url: 'https://x', secret: 'inline-secret' },
          { kind: 'webhook', url: 'https://x', extra: 1 },
        ],
      }),
    ).toEqual([
      expect.stringMatching(/^\d+ alerts\.levels\[0\]: expected number to be greater than 0/),
      expect.stringMatching(/^\d+ alerts\.levels\[1\]: expected number to be less or equal to 1/),
      expect.stringMatching(/^\d+ alerts\.sinks\[0\]\.kind: expected one of: webhook, wecom, dingtalk, feishu/),
      expect.stringMatching(/^\d+ alerts\.sinks\[1\]\.url: /),
      expect.stringMatching(/^\d+ alerts\.sinks\[2\]\.secret: /),
      expect.stringMatching(/^\d+ alerts\.sinks\[3\]\.extra: unknown key/),
    ]);
  });

  it('cross-checks: an http(s) URL, a WeCom robot takes no secret, a source names exactly one of file and env, ids are unique, maxMs ≥ initialMs', () => {
    expect(
      issues({
        sinks: [
          { kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K', secret: { env: 'X' } },
          { kind: 'dingtalk', id: 'a', url: { env: 'A', file: 'a' } },
          { kind: 'feishu', id: 'a', url: 'https://x', secret: {} },
          { kind: 'webhook', url: 'ftp://files.example/x' },
        ],
        retry: { initialMs: 5000, maxMs: 1000 },
      }),
    ).toEqual([
      expect.stringMatching(/alerts\.sinks\[0\]\.secret: a WeCom robot is not signed; its key is part of the url$/),
      expect.stringMatching(/alerts\.sinks\[1\]\.url: give exactly one of file, env$/),
      expect.stringMatching(/alerts\.sinks\[2\]\.id: duplicate sink id a$/),
      expect.stringMatching(/alerts\.sinks\[2\]\.secret: give exactly one of file, env$/),
      expect.stringMatching(/alerts\.sinks\[3\]\.url: expected an http\(s\) URL, or \{ file \} \/ \{ env \} holding one$/),
      expect.stringMatching(/alerts\.retry\.maxMs: maxMs 1000 is below initialMs 5000$/),
    ]);
  });
});
