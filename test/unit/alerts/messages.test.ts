/**
 * An alert as each sink takes it (agent/alerts/messages.ts): the generic webhook's JSON, the WeCom,
 * DingTalk and Feishu robots' message shapes and signatures, and how their answers are read.
 * Signatures are recomputed here from the robots' documented recipes with node:crypto.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dingtalkSign, feishuSign, refusal, render, title, truncateBytes, webhookBody, webhookSign } from '../../../agent/alerts/messages.js';
import type { Alert } from '../../../agent/alerts/types.js';

const alert: Alert = {
  id: 'counter-level|2026|guangxi-2025/live-commerce/limited|guangxi-2025/live-commerce#6|100000|0.8',
  kind: 'counter-level',
  severity: 'info',
  level: 0.8,
  counter: 'guangxi-2025/live-commerce/limited',
  threshold: '100,000 ≤ n < 2,000,000',
  value: 80_010,
  attempted: null,
  item: { list: 'guangxi-2025', domain: 'live-commerce', number: 6, obligation: 'standard-contract-or-certification' },
  filing: null,
  citation: 'Guangxi 2025 list, domain 3, item 6',
  year: 2026,
  text: { zh: '【80% 预警】计数器 … 80,010 人', en: '[80% alert] guangxi-2025/live-commerce/limited (2026) holds 80,010 persons' },
  time: '2026-06-15T02:00:00.000Z',
  gatewayId: 'gw-1',
};
const NOW_MS = 1_781_488_800_000;

describe('generic webhook', () => {
  it('POSTs the documented JSON body (schema 1), unsigned without a secret', () => {
    const req = render(alert, { kind: 'webhook', url: 'https://ops.example/hook', secret: undefined }, NOW_MS);
    expect(req.url).toBe('https://ops.example/hook');
    expect(req.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
    expect(JSON.parse(req.body)).toEqual({
      schema: 1,
      id: alert.id,
      kind: 'counter-level',
      severity: 'info',
      level: 0.8,
      counter: 'guangxi-2025/live-commerce/limited',
      threshold: '100,000 ≤ n < 2,000,000',
      value: 80_010,
      attempted: null,
      item: { list: 'guangxi-2025', domain: 'live-commerce', number: 6, obligation: 'standard-contract-or-certification' },
      filing: null,
      citation: 'Guangxi 2025 list, domain 3, item 6',
      year: 2026,
      text: alert.text,
      time: '2026-06-15T02:00:00.000Z',
      gatewayId: 'gw-1',
    });
    expect(webhookBody(alert)).toEqual(JSON.parse(req.body));
  });
  it('with a secret: x-xborder-timestamp and x-xborder-signature = sha256=hex(HMAC(secret, "<timestamp>.<body>"))', () => {
    const req = render(alert, { kind: 'webhook', url: 'https://ops.example/hook', secret: 's3cret' }, NOW_MS);
    expect(req.headers['x-xborder-timestamp']).toBe(String(NOW_MS));
    const expected = createHmac('sha256', 's3cret').update(`${NOW_MS}.${req.body}`).digest('hex');
    expect(req.headers['x-xborder-signature']).toBe(`sha256=${expected}`);
    expect(webhookSign('s3cret', NOW_MS, req.body)).toBe(`sha256=${expected}`);
  });
});

describe('WeCom group robot', () => {
  it('markdown message, both languages, key kept in the URL as configured', () => {
    const req = render(alert, { kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K', secret: undefined }, NOW_MS);
    expect(req.url).toBe('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K');
    const body = JSON.parse(req.body);
    expect(Object.keys(body)).toEqual(['msgtype', 'markdown']);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('xborder 出境人数预警 / counter alert (80%)');
    expect(body.markdown.content).toContain(alert.text.zh);
    expect(body.markdown.content).toContain(alert.text.en);
  });
  it('content is cut to 4096 UTF-8 bytes on a character boundary', () => {
    const long = { ...alert, text: { zh: '预'.repeat(3000), en: 'x'.repeat(3000) } };
    const content: string = JSON.parse(render(long, { kind: 'wecom', url: 'https://q.example/', secret: undefined }, NOW_MS).body).markdown.content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
    expect(content.endsWith('…')).toBe(true);
    expect(truncateBytes('预预', 5)).toBe('…');
    expect(truncateBytes('abc', 3)).toBe('abc');
  });
});

describe('DingTalk robot', () => {
  it('markdown message; signed: timestamp (ms) and sign = urlencode(base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))) as query parameters', () => {
    const secret = 'SEC0123456789abcdef';
    const req = render(alert, { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=T', secret }, NOW_MS);
    const url = new URL(req.url);
    expect(url.searchParams.get('access_token')).toBe('T');
    expect(url.searchParams.get('timestamp')).toBe(String(NOW_MS));
    const sign = createHmac('sha256', secret).update(`${NOW_MS}\n${secret}`).digest('base64');
    expect(url.searchParams.get('sign')).toBe(sign);
    expect(req.url).toContain(`&sign=${encodeURIComponent(sign)}`);
    expect(dingtalkSign(secret, NOW_MS)).toBe(sign);
    const body = JSON.parse(req.body);
    expect(body).toEqual({ msgtype: 'markdown', markdown: { title: title(alert), text: expect.stringContaining(alert.text.en) } });
    expect(body.markdown.text).toContain(alert.text.zh);
  });
  it('unsigned without a secret', () => {
    const req = render(alert, { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=T', secret: undefined }, NOW_MS);
    expect(req.url).toBe('https://oapi.dingtalk.com/robot/send?access_token=T');
  });
});

describe('Feishu / Lark bot', () => {
  it('text message; signed: timestamp (s) and sign = base64(HMAC-SHA256(key = timestamp + "\\n" + secret, "")) in the body', () => {
    const secret = 'feishu-secret';
    const req = render(alert, { kind: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/H', secret }, NOW_MS);
    expect(req.url).toBe('https://open.feishu.cn/open-apis/bot/v2/hook/H');
    const body = JSON.parse(req.body);
    const ts = Math.floor(NOW_MS / 1000);
    const sign = createHmac('sha256', `${ts}\n${secret}`).update('').digest('base64');
    expect(body).toEqual({ timestamp: String(ts), sign, msg_type: 'text', content: { text: expect.stringContaining(alert.text.zh) } });
    expect(body.content.text).toContain(alert.text.en);
    expect(feishuSign(secret, ts)).toBe(sign);
  });
  it('unsigned without a secret: no timestamp, no sign', () => {
    const body = JSON.parse(render(alert, { kind: 'feishu', url: 'https://open.feishu.cn/x', secret: undefined }, NOW_MS).body);
    expect(Object.keys(body)).toEqual(['msg_type', 'content']);
  });
});

describe('reading the answer', () => {
  const rows: [Parameters<typeof refusal>, string | undefined][] = [
    [['webhook', 204, ''], undefined],
    [['webhook', 500, 'oops'], 'status 500'],
    [['wecom', 200, '{"errcode":0,"errmsg":"ok"}'], undefined],
    [['wecom', 200, '{"errcode":93000,"errmsg":"invalid webhook url"}'], 'robot code 93000: invalid webhook url'],
    [['dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}'], 'robot code 310000: sign not match'],
    [['dingtalk', 200, 'not json'], 'status 200, answer not JSON'],
    [['feishu', 200, '{"code":0,"msg":"success","data":{}}'], undefined],
    [['feishu', 200, '{"StatusCode":0,"StatusMessage":"success"}'], undefined],
    [['feishu', 200, '{"code":19021,"msg":"sign match fail"}'], 'robot code 19021: sign match fail'],
    [['feishu', 429, ''], 'status 429'],
  ];
  for (const [args, why] of rows) it(`${args[0]} ${args[1]} ${args[2] || '(empty)'} → ${why ?? 'accepted'}`, () => expect(refusal(...args)).toBe(why));
});
