/**
 * The words of each alert, in Chinese and English: counts, ids, thresholds and citations, never
 * a value a transfer carried. One function per alert kind; rules.ts supplies the facts.
 */
import type { Filing } from '../decide/filings.js';

const n = (v: number): string => v.toLocaleString('en-US');
const pct = (level: number): string => `${Math.round(level * 100)}%`;

const OBLIGATION: Record<string, { zh: string; en: string }> = {
  'security-assessment': { zh: '数据出境安全评估', en: 'a security assessment' },
  'standard-contract-or-certification': { zh: '个人信息出境标准合同备案或个人信息保护认证', en: 'a standard contract filing or certification' },
  'ftz-filing': { zh: '自贸试验区备案', en: 'a free trade zone filing' },
  prohibited: { zh: '禁止出境', en: 'no transfer at all (prohibited)' },
  'export-control': { zh: '出口管制许可', en: 'an export control licence' },
};
const obligation = (o: string) => OBLIGATION[o] ?? { zh: o, en: o };

const FILING_KIND: Record<Filing['kind'], { zh: string; en: string }> = {
  'security-assessment': { zh: '数据出境安全评估', en: 'security assessment' },
  'standard-contract': { zh: '个人信息出境标准合同', en: 'standard contract' },
  certification: { zh: '个人信息保护认证', en: 'certification' },
  'ftz-filing': { zh: '自贸试验区备案', en: 'zone filing' },
  'export-licence': { zh: '出口许可', en: 'export licence' },
};

/** What counterLevelText says, from rules.ts. */
export interface CounterFacts {
  readonly counter: string;
  readonly year: number;
  readonly value: number;
  readonly level: number;
  readonly threshold: string;
  readonly list: string;
  readonly domain: string;
  readonly item: number;
  readonly obligation: string;
  readonly citation: string;
  /** Set when a transfer was refused for this threshold: the route and what it would have reached. */
  readonly refused?: { readonly route: string; readonly before: number; readonly after: number } | undefined;
}

/** A counter at a level: below 100%, reached, or refused at the threshold. */
export function counterLevelText(f: CounterFacts): { zh: string; en: string } {
  const o = obligation(f.obligation);
  const item = `${f.list}/${f.domain} 第 ${f.item} 项`;
  const itemEn = `${f.list}/${f.domain} item ${f.item}`;
  if (f.refused)
    return {
      zh: `【阈值已到】路线 ${f.refused.route} 的一次传输将使计数器 ${f.counter}（${f.year} 年）由 ${n(f.refused.before)} 人增至 ${n(f.refused.after)} 人，达到${item}阈值（${f.threshold}，需${o.zh}），且无有效备案覆盖，已被拒绝，未计入任何人。依据：${f.citation}`,
      en: `[threshold reached] A transfer on route ${f.refused.route} that would have taken ${f.counter} (${f.year}) from ${n(f.refused.before)} to ${n(f.refused.after)} persons was refused: it reaches ${itemEn}'s threshold ${f.threshold}, which needs ${o.en} and no valid filing covers. Nobody was added. ${f.citation}`,
    };
  if (f.level >= 1)
    return {
      zh: `【阈值已到】计数器 ${f.counter}（${f.year} 年）已累计 ${n(f.value)} 人，达到${item}阈值（${f.threshold}，需${o.zh}），且无有效备案覆盖。依据：${f.citation}`,
      en: `[threshold reached] ${f.counter} (${f.year}) holds ${n(f.value)} persons and has reached ${itemEn}'s threshold ${f.threshold}, which needs ${o.en} and no valid filing covers. ${f.citation}`,
    };
  return {
    zh: `【${pct(f.level)} 预警】计数器 ${f.counter}（${f.year} 年）已累计 ${n(f.value)} 人，达到${item}阈值（${f.threshold}，需${o.zh}）的 ${pct(f.level)}，目前无有效备案覆盖。依据：${f.citation}`,
    en: `[${pct(f.level)} alert] ${f.counter} (${f.year}) holds ${n(f.value)} persons, ${pct(f.level)} of ${itemEn}'s threshold ${f.threshold}, which needs ${o.en} and no valid filing covers yet. ${f.citation}`,
  };
}

/** A filing `days` (the reminder) before expiry, `daysLeft` actually left. */
export function filingExpiryText(filing: Filing, days: number, daysLeft: number): { zh: string; en: string } {
  const k = FILING_KIND[filing.kind];
  return {
    zh: `【备案到期提醒】${k.zh} ${filing.id} 将于 ${filing.expires} 到期，剩余 ${daysLeft} 天（到期前 ${days} 天提醒）。到期后其覆盖的传输将被拒绝。`,
    en: `[filing expiry] ${k.en} ${filing.id} expires ${filing.expires}, in ${daysLeft} days (the ${days}-day reminder). Transfers it covers are refused after that day.`,
  };
}

/** A security assessment's or zone filing's renewal window, open from `opens`. */
export function renewalWindowText(filing: Filing, opens: string, citation: string): { zh: string; en: string } {
  const k = FILING_KIND[filing.kind];
  return {
    zh: `【延期申请期】${k.zh} ${filing.id} 将于 ${filing.expires} 到期，自 ${opens} 起进入延期申请期（到期前最后 60 个工作日），请及时申请延期或重新申报。依据：${citation}`,
    en: `[renewal window] ${k.en} ${filing.id} expires ${filing.expires}; its extension may be applied for from ${opens} (the last 60 working days before expiry). ${citation}`,
  };
}

/** A transfer beyond what a filing declared; `detail` is decide/'s notice sentence. */
export function materialChangeText(filing: string, detail: string, citation: string): { zh: string; en: string } {
  return {
    zh: `【重大变更】传输超出备案 ${filing} 申报的范围，可能构成重大变更，需重新备案或更新备案：${detail}。依据：${citation}`,
    en: `[material change] A transfer went beyond what filing ${filing} declared: ${detail}. ${citation}`,
  };
}

/** An emergency stop (with who and why) or the resume. */
export function emergencyText(kind: 'stop' | 'resume', gatewayId: string, by: string, reason: string | undefined): { zh: string; en: string } {
  if (kind === 'stop')
    return {
      zh: `【紧急停止】网关 ${gatewayId} 已紧急停止，所有出境传输均被拒绝。操作人：${by}；原因：${reason ?? '未说明'}`,
      en: `[emergency stop] Gateway ${gatewayId} was stopped: every transfer abroad is refused. By ${by}; reason: ${reason ?? 'none given'}`,
    };
  return {
    zh: `【恢复】网关 ${gatewayId} 已解除紧急停止，恢复按策略放行传输。操作人：${by}`,
    en: `[resumed] Gateway ${gatewayId} resumed after an emergency stop: transfers are decided by the policy again. By ${by}`,
  };
}

/** Replicas sharing the store run different policy revisions (`replicas`: gateway id → revision, shortened). */
export function policyDivergenceText(gatewayId: string, replicas: readonly { readonly gatewayId: string; readonly policyRevision: string }[]): { zh: string; en: string } {
  const list = replicas.map((r) => `${r.gatewayId}: ${r.policyRevision.slice(0, 12)}`).join(', ');
  return {
    zh: `【策略版本不一致】共享同一计数存储的网关副本正运行不同的策略版本（${list}），由网关 ${gatewayId} 发现。滚动更新期间属正常；若持续存在，请对落后的副本执行 reload 或重新部署，使所有副本按同一策略决定。`,
    en: `[policy divergence] Gateway replicas sharing one counter store run different policy revisions (${list}), seen by gateway ${gatewayId}. Expected during a rolling update; if it lasts, reload or redeploy the replicas left behind so every replica decides by one policy.`,
  };
}

/** The counter store failing with `code`: what happens to transfers meanwhile, and the way back. */
export function storeFailureText(gatewayId: string, code: string): { zh: string; en: string } {
  return {
    zh: `【计数存储故障】网关 ${gatewayId} 无法计数（${code}）：携带个人信息的传输正被拒绝（fail-closed 路线），或未计数放行并记入证据（fail-open 路线）。请检查存储；恢复后用 xborder counts rebuild 补齐计数。`,
    en: `[store failure] Gateway ${gatewayId} cannot count (${code}): transfers carrying PI are refused (fail-closed routes) or forwarded uncounted and recorded in evidence (fail-open routes). Check the store; after it is back, xborder counts rebuild restores the counts.`,
  };
}
