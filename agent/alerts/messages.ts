/**
 * An alert as each sink takes it: the request (URL, headers, JSON body) and how to tell from the
 * answer whether it was accepted. Robots answer 200 with an error code in the body on failure, so
 * the body is read. Signatures are computed at send time: robots refuse a timestamp over an hour old.
 */
import { createHmac } from 'node:crypto';
import type { Alert, AlertKind } from './types.js';

export type SinkKind = 'webhook' | 'wecom' | 'dingtalk' | 'feishu';

export interface SinkRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The generic webhook's body, `schema: 1` (docs/alerts.md lists the fields). */
export function webhookBody(a: Alert): Record<string, unknown> {
  return {
    schema: 1,
    id: a.id,
    kind: a.kind,
    severity: a.severity,
    level: a.level,
    counter: a.counter,
    threshold: a.threshold,
    value: a.value,
    attempted: a.attempted,
    item: a.item,
    filing: a.filing,
    citation: a.citation,
    year: a.year,
    text: { zh: a.text.zh, en: a.text.en },
    time: a.time,
    gatewayId: a.gatewayId,
  };
}

const TITLE: Record<AlertKind, { zh: string; en: string }> = {
  'counter-level': { zh: '出境人数预警', en: 'counter alert' },
  'filing-expiry': { zh: '备案到期', en: 'filing expiry' },
  'filing-renewal-window': { zh: '备案延期申请期', en: 'filing renewal window' },
  'material-change': { zh: '重大变更', en: 'material change' },
  'emergency-stop': { zh: '紧急停止', en: 'emergency stop' },
  'emergency-resume': { zh: '解除紧急停止', en: 'resumed' },
  'store-failure': { zh: '计数存储故障', en: 'store failure' },
  'policy-divergence': { zh: '副本策略版本不一致', en: 'replicas on different policies' },
};

/** `xborder 出境人数预警 / counter alert (80%)`: every robot message starts with it (robots' keyword filters can match `xborder`). */
export function title(a: Alert): string {
  const t = TITLE[a.kind];
  const level = a.kind === 'counter-level' && a.level !== null ? ` (${Math.round(a.level * 100)}%)` : a.kind === 'filing-expiry' && a.level !== null ? ` (${a.level} d)` : '';
  return `xborder ${t.zh} / ${t.en}${level}`;
}

const footer = (a: Alert): string => `${a.gatewayId} · ${a.time}`;

/** Cut a string to at most `max` UTF-8 bytes, on a character boundary. */
export function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > max - 3) break;
    out += ch;
    bytes += b;
  }
  return `${out}…`;
}

/**
 * WeCom (企业微信) group robot: `{"msgtype":"markdown","markdown":{"content":…}}`, content at most
 * 4096 UTF-8 bytes, `<font color="warning|info|comment">` allowed; no signing, the key is in the URL.
 * https://work.weixin.qq.com/api/doc/90000/90136/91770 (群机器人配置说明)
 */
export function wecomBody(a: Alert): Record<string, unknown> {
  const color = a.severity === 'info' ? 'info' : 'warning';
  const content = `**<font color="${color}">${title(a)}</font>**\n> ${a.text.zh}\n\n${a.text.en}\n<font color="comment">${footer(a)}</font>`;
  return { msgtype: 'markdown', markdown: { content: truncateBytes(content, 4096) } };
}

/**
 * DingTalk (钉钉) custom robot: `{"msgtype":"markdown","markdown":{"title","text"}}`.
 * https://open.dingtalk.com/document/development/robot-message-type
 */
export function dingtalkBody(a: Alert): Record<string, unknown> {
  return { msgtype: 'markdown', markdown: { title: title(a), text: `#### ${title(a)}\n\n${a.text.zh}\n\n${a.text.en}\n\n###### ${footer(a)}` } };
}

/**
 * DingTalk 加签: HMAC-SHA256 keyed with the secret over `timestamp + "\n" + secret` (timestamp in
 * ms, within an hour of DingTalk's clock), base64; sent URL-encoded as the `timestamp` and `sign`
 * query parameters. https://open.dingtalk.com/document/group/custom-robot-access (安全设置, 加签)
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/**
 * Feishu / Lark custom bot: `{"msg_type":"text","content":{"text":…}}`, with `timestamp` and
 * `sign` in the body when 签名校验 is on; answers `{"code":0,…}` (19021: bad signature).
 * https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
 */
export function feishuBody(a: Alert): Record<string, unknown> {
  return { msg_type: 'text', content: { text: `${title(a)}\n${a.text.zh}\n\n${a.text.en}\n${footer(a)}` } };
}

/**
 * Feishu 签名校验: `timestamp + "\n" + secret` is the HMAC-SHA256 *key*, over an empty message,
 * base64 (timestamp in seconds, within an hour). Same page as feishuBody.
 */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update(Buffer.alloc(0)).digest('base64');
}

/**
 * Generic webhook signature, when the sink has a secret: `x-xborder-signature: sha256=<hex>` of
 * HMAC-SHA256(secret, `<x-xborder-timestamp>.<body>`), so a receiver can check origin and freshness.
 */
export function webhookSign(secret: string, timestampMs: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampMs}.${body}`, 'utf8').digest('hex')}`;
}

/** The request for one alert to one sink at `nowMs` (wall clock, for the signatures). */
export function render(a: Alert, sink: { readonly kind: SinkKind; readonly url: string; readonly secret: string | undefined }, nowMs: number): SinkRequest {
  const headers = { 'content-type': 'application/json; charset=utf-8' };
  switch (sink.kind) {
    case 'webhook': {
      const body = JSON.stringify(webhookBody(a));
      return { url: sink.url, body, headers: sink.secret ? { ...headers, 'x-xborder-timestamp': String(nowMs), 'x-xborder-signature': webhookSign(sink.secret, nowMs, body) } : headers };
    }
    case 'wecom':
      return { url: sink.url, headers, body: JSON.stringify(wecomBody(a)) };
    case 'dingtalk': {
      const url = new URL(sink.url);
      if (sink.secret) {
        // URLSearchParams form-encodes the base64 (`+` → %2B, `/` → %2F, `=` → %3D): the urlEncode DingTalk asks for.
        url.searchParams.set('timestamp', String(nowMs));
        url.searchParams.set('sign', dingtalkSign(sink.secret, nowMs));
      }
      return { url: url.toString(), headers, body: JSON.stringify(dingtalkBody(a)) };
    }
    case 'feishu': {
      const ts = Math.floor(nowMs / 1000);
      const signed = sink.secret ? { timestamp: String(ts), sign: feishuSign(sink.secret, ts) } : {};
      return { url: sink.url, headers, body: JSON.stringify({ ...signed, ...feishuBody(a) }) };
    }
  }
}

/** Did the sink take it? 2xx, and for robots a zero error code in the JSON answer. Returns why not. */
export function refusal(kind: SinkKind, status: number, text: string): string | undefined {
  if (status < 200 || status > 299) return `status ${status}`;
  if (kind === 'webhook') return undefined;
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `status ${status}, answer not JSON`;
  }
  // WeCom and DingTalk: errcode; Feishu: code (StatusCode on its older answers).
  const code = kind === 'feishu' ? (answer['code'] ?? answer['StatusCode']) : answer['errcode'];
  if (code === 0) return undefined;
  const msg = kind === 'feishu' ? answer['msg'] ?? answer['StatusMessage'] : answer['errmsg'];
  return `robot code ${String(code)}${typeof msg === 'string' ? `: ${msg.slice(0, 120)}` : ''}`;
}
