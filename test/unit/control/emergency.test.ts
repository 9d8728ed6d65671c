/**
 * The emergency stop (agent/control/emergency.ts): in force at once, saved before it is answered,
 * recorded, kept across a restart until resumed, and never lifted by a missing record or an
 * unreadable state file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMERGENCY_FILE, openEmergencyControl, type EmergencyState } from '../../../agent/control/emergency.js';
import { XbError } from '../../../agent/errors.js';
import type { EvidenceEntry } from '../../../agent/record/log.js';

const clock = { now: () => new Date('2026-05-10T02:00:00.000Z') };
const log = pino({ level: 'silent' });

function evidence(fail = false) {
  const entries: EvidenceEntry[] = [];
  return {
    entries,
    append: async (e: EvidenceEntry) => {
      if (fail) throw new XbError('XB_EVIDENCE_WRITE_FAILED', 'disk gone');
      entries.push(e);
      return { seq: entries.length, hash: Buffer.alloc(32) };
    },
  };
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xb-emergency-'));
  file = join(dir, EMERGENCY_FILE);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = (ev = evidence()) => openEmergencyControl({ file, evidence: ev, clock, log, policyRevision: () => 'rev-1' });

describe('emergency stop', () => {
  it('runs when nothing was saved', () => {
    const c = open();
    expect(c.state()).toEqual({ stopped: false, since: null, by: null, reason: null });
    expect(c.refusal()).toBeUndefined();
  });

  it('is in force before its record is written, saved 0600, recorded, told, and kept by a restart', async () => {
    const ev = evidence();
    const c = open(ev);
    const told: EmergencyState[] = [];
    c.onChange = (s) => told.push(s);
    const pending = c.stop('ops-oncall', 'CAC notice: stop all transfers');
    const change = await pending;
    expect(change).toMatchObject({ changed: true, evidenceSeq: 1, evidenceError: null, state: { stopped: true, since: '2026-05-10T02:00:00.000Z', by: 'ops-oncall', reason: 'CAC notice: stop all transfers' } });
    const refusal = c.refusal();
    expect(refusal?.code).toBe('XB_EMERGENCY_STOP');
    expect(refusal?.status).toBe(503);
    expect(refusal?.details).toEqual({ since: '2026-05-10T02:00:00.000Z', by: 'ops-oncall', reason: 'CAC notice: stop all transfers' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ stopped: true, by: 'ops-oncall' });
    expect(ev.entries).toHaveLength(1);
    expect(ev.entries[0]?.kind).toBe('EMERGENCY_STOP');
    expect(JSON.parse(String(ev.entries[0]?.lifecycle?.['detail']))).toEqual({ by: 'ops-oncall', reason: 'CAC notice: stop all transfers', since: '2026-05-10T02:00:00.000Z' });
    expect(told.map((s) => s.stopped)).toEqual([true]);

    const restarted = open();
    expect(restarted.state()).toEqual(change.state);
    expect(restarted.refusal()?.code).toBe('XB_EMERGENCY_STOP');
  });

  it('refuses the very next transfer: in force synchronously, before the save and the record finish', () => {
    const c = open();
    void c.stop('ops', 'incident');
    // stop() runs in a queued microtask; by the time any transfer's handler runs it is in force.
    return Promise.resolve().then(() => Promise.resolve()).then(() => expect(c.refusal()?.code).toBe('XB_EMERGENCY_STOP'));
  });

  it('a second stop keeps the first and records nothing', async () => {
    const ev = evidence();
    const c = open(ev);
    await c.stop('alice', 'first');
    const again = await c.stop('bob', 'second');
    expect(again).toMatchObject({ changed: false, evidenceSeq: null, state: { by: 'alice', reason: 'first' } });
    expect(ev.entries).toHaveLength(1);
  });

  it('resumes: RESUME recorded, saved, lifted; a restart stays resumed', async () => {
    const ev = evidence();
    const c = open(ev);
    await c.stop('alice', 'incident');
    const resumed = await c.resume('bob', 'fixed');
    expect(resumed).toMatchObject({ changed: true, evidenceSeq: 2, state: { stopped: false } });
    expect(c.refusal()).toBeUndefined();
    expect(ev.entries.map((e) => e.kind)).toEqual(['EMERGENCY_STOP', 'RESUME']);
    expect(JSON.parse(String(ev.entries[1]?.lifecycle?.['detail']))).toEqual({ by: 'bob', reason: 'fixed', stoppedSince: '2026-05-10T02:00:00.000Z', stoppedBy: 'alice' });
    expect(open().state().stopped).toBe(false);
    expect((await c.resume('bob')).changed).toBe(false);
  });

  it('stays stopped when the RESUME record cannot be written', async () => {
    const failing = evidence();
    const c = open(failing);
    await c.stop('alice', 'incident');
    const broken = openEmergencyControl({ file, evidence: evidence(true), clock, log, policyRevision: () => 'rev-1' });
    await expect(broken.resume('bob')).rejects.toMatchObject({ code: 'XB_EVIDENCE_WRITE_FAILED' });
    expect(broken.state().stopped).toBe(true);
    expect(open().state().stopped).toBe(true);
  });

  it('stops even when the record cannot be written, and says so', async () => {
    const c = open(evidence(true));
    const change = await c.stop('alice', 'disk trouble');
    expect(change).toMatchObject({ changed: true, evidenceSeq: null, evidenceError: 'XB_EVIDENCE_WRITE_FAILED' });
    expect(c.refusal()?.code).toBe('XB_EMERGENCY_STOP');
    expect(open().state().stopped).toBe(true);
  });

  it('stops even when the state cannot be saved (XB_ADMIN_STATE_WRITE_FAILED), recorded all the same', async () => {
    const ev = evidence();
    const folder = join(dir, 'data');
    mkdirSync(folder);
    const c = openEmergencyControl({ file: join(folder, EMERGENCY_FILE), evidence: ev, clock, log, policyRevision: () => 'rev-1' });
    // Then the data folder becomes a file: nothing can be written under it.
    rmSync(folder, { recursive: true });
    writeFileSync(folder, 'x');
    await expect(c.stop('alice', 'incident')).rejects.toMatchObject({ code: 'XB_ADMIN_STATE_WRITE_FAILED' });
    expect(c.refusal()?.code).toBe('XB_EMERGENCY_STOP');
    expect(ev.entries.map((e) => e.kind)).toEqual(['EMERGENCY_STOP']);
  });

  it('treats an unreadable or malformed state file as a stop', () => {
    for (const text of ['{not json', '{"stopped":"yes"}', '[]', '']) {
      writeFileSync(file, text);
      const c = open();
      expect(c.state().stopped, text).toBe(true);
      expect(c.state().by).toBe('xborder');
    }
    writeFileSync(file, '{"stopped":false}');
    expect(open().state().stopped).toBe(false);
  });
});
