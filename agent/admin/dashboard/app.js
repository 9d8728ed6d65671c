/**
 * The xborder dashboard: reads GET /api/status, /api/transfers (blocked, flagged) and /metrics on
 * the admin plane (same origin, the xb_admin cookie set by /dashboard?token=…) every REFRESH_MS
 * and redraws. Plain browser JavaScript, no framework, nothing from outside the gateway.
 * Never: put API data into innerHTML (every text goes through textContent / setAttribute); the
 * APIs carry no raw personal information, and this page must not be the place one would leak.
 */
'use strict';

(() => {
  const REFRESH_MS = 5_000;
  const FETCH_TIMEOUT_MS = 4_000;
  const TRANSFERS_SHOWN = 5;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // ------------------------------------------------------------------------------------------
  // Labels, Chinese and English. `both` shows the two side by side.

  const DICT = {
    title: ['数据出境网关', 'Cross-border egress'],
    counters: ['年度出境人数', 'Persons sent abroad this year'],
    countersHint: [(n, all) => `显示 ${n} / ${all} 个计数器（有人数或有线路）`, (n, all) => `${n} of ${all} counters (with persons or a route)`],
    noCounters: ['今年尚无计数。', 'Nobody has been counted this year yet.'],
    tally: ['传输（本次启动以来）', 'Transfers since start'],
    blocked: ['最近拦截的传输', 'Recently blocked transfers'],
    flagged: ['最近预警的传输', 'Recently flagged transfers'],
    filings: ['90 天内到期的备案', 'Filings expiring within 90 days'],
    noBlocked: ['近期没有被拦截的传输。', 'No transfer blocked recently.'],
    noFlagged: ['近期没有预警的传输。', 'No transfer flagged recently.'],
    noFilings: ['90 天内没有到期的备案。', 'No filing expires within 90 days.'],
    // Direction of a transfer: a request body pushed abroad, or a response an overseas caller pulled.
    push: ['推送', 'push'],
    pull: ['境外拉取', 'pull'],
    gateway: ['网关', 'gateway'],
    mode: ['模式', 'Mode'],
    year: ['计数年度', 'Year'],
    policy: ['策略版本', 'Policy'],
    evidence: ['证据链', 'Evidence'],
    enforce: ['拦截模式', 'enforce'],
    monitor: ['监测模式（只预警不拦截）', 'monitor (flags, never blocks)'],
    persons: ['人', 'persons'],
    estimated: ['估算', 'estimate'],
    estimateNote: ['HyperLogLog 估算（标准误差约 0.81%），仅供参考；判定以精确值为准', 'HyperLogLog estimate (about 0.81% standard error), for reference; decisions use the exact count'],
    daily: ['近 30 天每日新增', 'new per day, 30 days'],
    item: [(n) => `第 ${n} 项`, (n) => `item ${n}`],
    noFiling: ['无备案', 'no filing'],
    filing: ['备案', 'filing'],
    reached: ['已达到', 'reached'],
    reachedCovered: ['已达到，备案覆盖', 'reached, covered by the filing'],
    reachedUncovered: ['已达到且无备案：新增人员的传输将被拦截', 'reached with no filing: transfers adding persons are refused'],
    of: [(pct, min) => `${pct}，阈值 ${min}`, (pct, min) => `${pct} of ${min}`],
    projection: ['预计达到', 'reached on'],
    at7: ['近 7 天速率', '7-day rate'],
    at30: ['近 30 天速率', '30-day rate'],
    atBoth: ['近 7 天与 30 天速率', '7- and 30-day rates'],
    notThisYear: ['今年内不会', 'not this year'],
    alertMarks: ['80% / 90% 预警线', '80% / 90% alert marks'],
    allow: ['放行', 'Allowed'],
    flag: ['预警', 'Flagged'],
    block: ['拦截', 'Blocked'],
    storeErrors: ['计数存储错误', 'store errors'],
    evidenceLag: ['证据链延迟', 'evidence lag'],
    recordsUnit: ['条记录', 'records'],
    daysLeft: ['剩余天数', 'days left'],
    expiresToday: ['今天到期', 'expires today'],
    expires: ['到期', 'expires'],
    refreshed: ['更新于', 'updated'],
    every: ['每 5 秒刷新', 'refreshes every 5 s'],
    stale: ['连接中断，数据停留在', 'connection lost; data from'],
    loading: ['加载中…', 'loading…'],
    unauthorized: ['未登录或会话已过期：请打开 /dashboard?token=<管理令牌>', 'Not signed in, or the session expired: open /dashboard?token=<admin token>'],
    fetchFailed: [(m) => `无法读取 /api/status：${m}`, (m) => `cannot read /api/status: ${m}`],
    emergencyTitle: ['紧急停止中', 'EMERGENCY STOP'],
    stopped: ['已停止', 'STOPPED'],
    emergencyText: ['所有出境传输均被拒绝，直到操作员恢复（POST /api/resume）。', 'Every transfer abroad is refused until an operator resumes (POST /api/resume).'],
    since: ['开始于', 'since'],
    by: ['操作人', 'by'],
    reason: ['原因', 'reason'],
    timesNote: ['时间均为北京时间 (UTC+8)，计数年度自 1 月 1 日 00:00 起。', 'Times are China time (UTC+8); counters restart on 1 January 00:00.'],
    // Counter kinds.
    limited: ['限定数据项', 'limited: listed data items'],
    general: ['一般个人信息', 'general PI'],
    sensitive: ['敏感个人信息', 'sensitive PI'],
    limitedShort: ['限定', 'limited'],
    generalShort: ['一般', 'general'],
    sensitiveShort: ['敏感', 'sensitive'],
    // Obligations.
    'security-assessment': ['数据出境安全评估', 'security assessment'],
    'standard-contract-or-certification': ['标准合同备案或认证', 'standard contract or certification'],
    'ftz-filing': ['自贸试验区备案', 'FTZ filing'],
    prohibited: ['禁止出境', 'prohibited'],
    'export-control': ['出口管制许可', 'export licence'],
    // Filing kinds.
    'standard-contract': ['标准合同', 'standard contract'],
    certification: ['个人信息保护认证', 'certification'],
    // Decision reasons and notices.
    'threshold-uncovered': ['超过阈值且无备案', 'threshold without a filing'],
    'alert-level': ['接近未备案的阈值', 'near an uncovered threshold'],
    'within-thresholds': ['在阈值内', 'within thresholds'],
    'covered-by-filing': ['备案覆盖', 'covered by a filing'],
    uninspectable: ['无法检查内容', 'uninspectable body'],
    'store-unavailable': ['计数存储不可用', 'counter store unavailable'],
    'emergency-stop': ['紧急停止', 'emergency stop'],
    'over-limit': ['超过大小限制', 'over a size limit'],
    'important-data-review': ['疑似重要数据，待审核', 'important data: review'],
    'material-change': ['与备案申报不符（重大变更）', 'beyond what the filing declared'],
    'filing-overdue': ['备案逾期', 'filing overdue'],
    'filing-renewal-window': ['备案需续期', 'filing renewal due'],
    'exemption-contradicted': ['豁免条件不成立', 'exemption contradicted'],
    'holiday-calendar-unknown': ['节假日历未知', 'holiday calendar unknown'],
    exempt: ['豁免', 'exempt'],
    'no-pi': ['无个人信息', 'no personal information'],
  };

  let lang = readLang();

  function readLang() {
    try {
      const v = localStorage.getItem('xb-lang');
      return v === 'zh' || v === 'en' || v === 'both' ? v : 'both';
    } catch {
      return 'both';
    }
  }

  const pair = (key, args) => {
    const entry = DICT[key];
    if (!entry) return [key, key];
    return entry.map((v) => (typeof v === 'function' ? v(...args) : v));
  };

  /** A label as a node: Chinese, English, or both (English quieter). Unknown keys show as they are. */
  function L(key, ...args) {
    const [zh, en] = pair(key, args);
    if (lang === 'zh') return h('span', { lang: 'zh-CN' }, zh);
    if (lang === 'en' || zh === en) return h('span', { lang: 'en' }, en);
    return h('span', { class: 'bi' }, h('span', { lang: 'zh-CN' }, zh), h('span', { class: 'en', lang: 'en' }, en));
  }

  /** A label as plain text (attributes, title). */
  function T(key, ...args) {
    const [zh, en] = pair(key, args);
    if (lang === 'zh') return zh;
    if (lang === 'en' || zh === en) return en;
    return `${zh} / ${en}`;
  }

  // ------------------------------------------------------------------------------------------
  // DOM helpers: text only ever through text nodes.

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  }

  function append(el, children) {
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  const $ = (id) => document.getElementById(id);
  const replace = (el, ...children) => {
    el.replaceChildren();
    append(el, children);
  };

  // ------------------------------------------------------------------------------------------
  // Formatting: thousands separators, China time.

  const num = new Intl.NumberFormat('en-US');
  const fmt = (n) => (typeof n === 'number' && Number.isFinite(n) ? num.format(n) : '—');
  const pct = (u) => {
    const p = u * 100;
    const digits = p >= 99 && p < 100 ? 2 : p > 0 && p < 1 ? 2 : 1;
    // Never round up to 100% a threshold not reached.
    const shown = Math.floor(p * 10 ** digits) / 10 ** digits;
    return `${shown.toFixed(digits)}%`;
  };
  const chinaParts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  function chinaTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return { day: '', time: String(iso ?? '') };
    const p = Object.fromEntries(chinaParts.formatToParts(d).map((x) => [x.type, x.value]));
    return { day: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}` };
  }
  const clockNow = () => chinaTime(new Date().toISOString()).time;

  // ------------------------------------------------------------------------------------------
  // Fetching.

  const state = { status: undefined, blocked: [], flagged: [], metrics: undefined, updated: undefined, error: undefined };

  async function getJson(path) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
    try {
      const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', signal: ctl.signal, headers: { accept: 'application/json' } });
      if (res.status === 401) throw Object.assign(new Error('401'), { unauthorized: true });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return path === '/metrics' ? await res.text() : await res.json();
    } finally {
      clearTimeout(timer);
    }
  }

  let timer;
  let running = false;
  /** One round of reads, then a redraw; the next round is scheduled only while the page is visible. */
  async function refresh() {
    clearTimeout(timer);
    if (running) return;
    running = true;
    try {
      const [status, blocked, flagged, metrics] = await Promise.allSettled([
        getJson('/api/status'),
        getJson(`/api/transfers?decision=block&limit=${TRANSFERS_SHOWN}`),
        getJson(`/api/transfers?decision=flag&limit=${TRANSFERS_SHOWN}`),
        getJson('/metrics'),
      ]);
      if (status.status === 'fulfilled') {
        state.status = status.value;
        state.updated = clockNow();
        state.error = undefined;
      } else state.error = status.reason;
      if (blocked.status === 'fulfilled') state.blocked = blocked.value.transfers ?? [];
      if (flagged.status === 'fulfilled') state.flagged = flagged.value.transfers ?? [];
      if (metrics.status === 'fulfilled') state.metrics = parseMetrics(metrics.value);
      render();
    } catch (err) {
      console.error('xborder dashboard:', err);
    } finally {
      running = false;
      if (document.visibilityState !== 'hidden') timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  /** The few series the page shows, from the Prometheus text format. */
  function parseMetrics(text) {
    const out = { decisions: { allow: 0, flag: 0, block: 0 }, storeErrors: 0, evidenceLag: undefined, evidenceSeq: undefined };
    for (const line of String(text).split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const [, name, labels = '', raw] = m;
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      if (name === 'xborder_transfers_total') {
        const d = /decision="([^"]*)"/.exec(labels)?.[1];
        if (d && d in out.decisions) out.decisions[d] += value;
      } else if (name === 'xborder_store_errors_total') out.storeErrors += value;
      else if (name === 'xborder_evidence_lag_seconds') out.evidenceLag = value;
      else if (name === 'xborder_evidence_head_seq') out.evidenceSeq = value;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Rendering.

  function render() {
    for (const el of document.querySelectorAll('[data-i18n]')) replace(el, L(el.getAttribute('data-i18n')));
    for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === lang));
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    renderRefresh();
    renderProblem();
    const st = state.status;
    if (!st) return;
    renderHeader(st);
    renderEmergency(st.emergency);
    renderCounters(st.counters ?? []);
    renderTally();
    renderTransfers($('blocked'), state.blocked, 'noBlocked');
    renderTransfers($('flagged'), state.flagged, 'noFlagged');
    renderFilings(st.filingsExpiring ?? []);
    replace($('foot'), L('timesNote'));
  }

  function renderRefresh() {
    const el = $('refresh');
    el.classList.toggle('stale', Boolean(state.error));
    if (!state.updated) return replace(el, L('loading'));
    el.title = T('every');
    replace(el, h('span', { class: 'dot', 'aria-hidden': 'true' }), L(state.error ? 'stale' : 'refreshed'), ' ', h('strong', {}, state.updated));
  }

  function renderProblem() {
    const el = $('problem');
    if (!state.error) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    replace(el, state.error.unauthorized ? L('unauthorized') : L('fetchFailed', state.error.message ?? String(state.error)));
  }

  function renderHeader(st) {
    replace($('gateway-line'), L('gateway'), ' ', h('strong', {}, st.gatewayId ?? '—'));
    const monitor = st.mode === 'monitor';
    const fact = (key, ...value) => [h('dt', {}, L(key)), h('dd', {}, ...value)];
    replace(
      $('facts'),
      fact(
        'mode',
        h('span', { class: `badge ${monitor ? 'badge-warn' : 'badge-mode'}`, 'data-mode': st.mode }, L(monitor ? 'monitor' : 'enforce')),
        st.emergency?.stopped ? [' ', h('span', { class: 'badge badge-block' }, L('stopped'))] : '',
      ),
      fact('year', h('strong', {}, String(st.year ?? '—'))),
      fact('policy', h('code', { title: st.policy?.revision ?? '' }, (st.policy?.revision ?? '—').slice(0, 12))),
      fact('evidence', h('strong', {}, `#${fmt(st.evidence?.headSeq)}`)),
    );
    document.title = `${st.emergency?.stopped ? '⛔ ' : ''}xborder · ${st.gatewayId ?? ''} · ${T('title')}`;
  }

  function renderEmergency(e) {
    const el = $('emergency');
    document.body.classList.toggle('stopped', Boolean(e?.stopped));
    if (!e?.stopped) {
      el.hidden = true;
      el.replaceChildren();
      return;
    }
    el.hidden = false;
    const since = e.since ? chinaTime(e.since) : undefined;
    replace(
      el,
      stopSign(),
      h(
        'div',
        {},
        h('strong', { class: 'emergency-title' }, L('emergencyTitle')),
        h('p', {}, L('emergencyText')),
        h(
          'p',
          { class: 'emergency-detail' },
          since ? [L('since'), ' ', h('strong', {}, `${since.day} ${since.time}`), ' · '] : '',
          e.by ? [L('by'), ' ', h('strong', {}, e.by), ' · '] : '',
          e.reason ? [L('reason'), ' ', h('strong', {}, e.reason)] : '',
        ),
      ),
    );
  }

  /** A stop sign drawn inline (no emoji font needed). */
  function stopSign() {
    return s(
      'svg',
      { class: 'emergency-icon', viewBox: '0 0 40 40', width: 44, height: 44, 'aria-hidden': 'true' },
      s('polygon', { points: '12,1 28,1 39,12 39,28 28,39 12,39 1,28 1,12', fill: '#ffffff' }),
      s('polygon', { points: '13,4 27,4 36,13 36,27 27,36 13,36 4,27 4,13', fill: '#b3261e' }),
      s('rect', { x: 10, y: 17, width: 20, height: 6, fill: '#ffffff' }),
    );
  }

  /** Counters with persons or on a configured route (`routes` when the API gives it; else same-domain siblings). */
  function visibleCounters(counters) {
    const domainOf = (c) => c.counter.split('/').slice(0, -1).join('/');
    const active = (c) => (Array.isArray(c.routes) && c.routes.length > 0) || c.exact > 0 || c.estimated > 0;
    const domains = new Set(counters.filter(active).map(domainOf));
    const haveRoutes = counters.some((c) => Array.isArray(c.routes));
    return counters.filter((c) => active(c) || (!haveRoutes && domains.has(domainOf(c))));
  }

  function renderCounters(counters) {
    const shown = visibleCounters(counters);
    replace($('counters-hint'), L('countersHint', shown.length, counters.length));
    const list = $('counter-list');
    if (shown.length === 0) return replace(list, h('p', { class: 'empty' }, L('noCounters')));
    replace(list, shown.map(counterCard));
  }

  function counterCard(c) {
    const parts = c.counter.split('/');
    const kind = parts.at(-1);
    const next = c.thresholds.find((t) => !t.reached);
    // The card takes the colour of its most pressing threshold (over > alert > warn).
    const states = c.thresholds.map(thresholdState);
    const worst = ['over', 'alert', 'warn'].find((st) => states.includes(st)) ?? 'ok';
    return h(
      'article',
      { class: `counter card-${worst}`, 'data-counter': c.counter, 'aria-label': `${c.counter}: ${fmt(c.exact)} ${T('persons')}` },
      h(
        'header',
        { class: 'counter-head' },
        h('div', { class: 'counter-name' }, h('h3', {}, L(kind)), h('p', { class: 'ref' }, h('code', {}, c.counter))),
        h(
          'div',
          { class: 'counter-value' },
          h('span', { class: 'big', 'data-exact': c.exact }, fmt(c.exact)),
          h('span', { class: 'unit' }, L('persons')),
          h('span', { class: 'est', title: T('estimateNote') }, L('estimated'), ` ≈ ${fmt(c.estimated)}`),
        ),
        dailyChart(c.daily ?? []),
      ),
      h('ul', { class: 'thresholds' }, c.thresholds.map((t) => thresholdRow(c, t, t === next))),
    );
  }

  function thresholdState(t) {
    if (t.reached) return t.filing ? 'covered' : 'over';
    if (t.filing) return 'covered';
    if (t.utilization >= 0.9) return 'alert';
    if (t.utilization >= 0.8) return 'warn';
    return 'ok';
  }

  function thresholdRow(c, t, isNext) {
    const state = thresholdState(t);
    // From the exact count (the API's utilization is rounded to 4 places: 99,955 of 100,000 would show 99.96%).
    const fill = t.reached ? 1 : t.min > 0 ? Math.max(0, Math.min(1, c.exact / t.min)) : 0;
    const shown = t.reached ? T('reached') : pct(fill);
    const projection = (c.projections ?? []).find((p) => p.item === t.item && p.min === t.min);
    return h(
      'li',
      { class: `threshold st-${state}${isNext ? ' next' : ''}`, 'data-item': t.item, 'data-state': state },
      h(
        'div',
        { class: 'tline' },
        h('span', { class: 'item', title: t.citation ?? '' }, L('item', t.item)),
        h('span', { class: 'band' }, t.threshold),
        h('span', { class: 'obligation' }, L(t.obligation)),
      ),
      t.filing ? h('span', { class: 'chip chip-filing' }, L('filing'), ' ', h('strong', {}, t.filing)) : h('span', { class: 'chip chip-none' }, L('noFiling')),
      h(
        'div',
        {
          class: 'bar',
          role: 'progressbar',
          'aria-valuemin': 0,
          'aria-valuemax': 100,
          'aria-valuenow': (fill * 100).toFixed(2),
          'aria-valuetext': `${fmt(c.exact)} / ${fmt(t.min)} (${shown})`,
          'aria-label': `${c.counter} · ${T('item', t.item)} · ${t.threshold}`,
        },
        fillBar(fill),
        h('span', { class: 'mark m80', title: '80%', 'aria-hidden': 'true' }),
        h('span', { class: 'mark m90', title: '90%', 'aria-hidden': 'true' }),
        h('span', { class: 'mark m100', title: fmt(t.min), 'aria-hidden': 'true' }),
      ),
      h('span', { class: 'pct' }, t.reached ? L('reached') : pct(fill)),
      h(
        'div',
        { class: 'tmeta' },
        h('span', { class: 'of' }, `${fmt(c.exact)} / ${fmt(t.min)}`),
        t.reached ? h('span', { class: `reached-note ${t.filing ? '' : 'bad'}` }, L(t.filing ? 'reachedCovered' : 'reachedUncovered')) : projection ? projectionText(projection) : '',
      ),
    );
  }

  /** When the counter reaches a threshold at the 7- and 30-day rates (one date when both agree). */
  function projectionText(p) {
    const date = (d) => h('strong', {}, d ?? L('notThisYear'));
    return h(
      'span',
      { class: 'projection', 'data-at7': p.at7 ?? '', 'data-at30': p.at30 ?? '' },
      L('projection'),
      ' ',
      p.at7 === p.at30
        ? [date(p.at7), ' ', h('span', { class: 'quiet' }, '(', L('atBoth'), ')')]
        : [date(p.at7), ' ', h('span', { class: 'quiet' }, '(', L('at7'), ')'), ' · ', date(p.at30), ' ', h('span', { class: 'quiet' }, '(', L('at30'), ')')],
    );
  }

  /** The filled part of a bar; its width set through the CSSOM (no inline style attribute: CSP-friendly). */
  function fillBar(share) {
    const el = h('div', { class: 'fill' });
    el.style.width = `${(share * 100).toFixed(3)}%`;
    return el;
  }

  /** New persons per day, last 30 days, as an inline SVG bar chart (today's bar last). */
  function dailyChart(daily) {
    const W = 240;
    const H = 64;
    const top = 12;
    const bottom = 12;
    const n = Math.max(daily.length, 1);
    const max = Math.max(1, ...daily.map((d) => d.added));
    const step = W / n;
    const bars = daily.map((d, i) => {
      const bh = Math.round(((H - top - bottom) * d.added) / max * 10) / 10;
      return s(
        'rect',
        { x: (i * step + 0.5).toFixed(1), y: (H - bottom - bh).toFixed(1), width: Math.max(1, step - 1.5).toFixed(1), height: Math.max(d.added > 0 ? 1 : 0, bh), class: i === daily.length - 1 ? 'today' : '' },
        s('title', {}, `${d.day}: ${fmt(d.added)}`),
      );
    });
    const first = daily[0]?.day?.slice(5) ?? '';
    const last = daily.at(-1)?.day?.slice(5) ?? '';
    const total = daily.reduce((sum, d) => sum + d.added, 0);
    return h(
      'figure',
      { class: 'daily' },
      s(
        'svg',
        { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': `${T('daily')}: ${fmt(total)}` },
        s('line', { x1: 0, x2: W, y1: H - bottom + 0.5, y2: H - bottom + 0.5, class: 'axis' }),
        s('text', { x: 0, y: 9, class: 'max' }, `${fmt(max)}/d`),
        bars,
        s('text', { x: 0, y: H - 1, class: 'day' }, first),
        s('text', { x: W, y: H - 1, class: 'day', 'text-anchor': 'end' }, last),
      ),
      h('figcaption', {}, L('daily')),
    );
  }

  function renderTally() {
    const el = $('tally');
    const m = state.metrics;
    if (!m) return replace(el, h('p', { class: 'empty' }, '—'));
    const tile = (key) => h('div', { class: `tile tile-${key}`, 'data-decision': key }, h('span', { class: 'tile-n' }, fmt(m.decisions[key])), h('span', { class: 'tile-l' }, L(key)));
    const lag = m.evidenceLag === undefined ? '—' : m.evidenceLag < 120 ? `${m.evidenceLag.toFixed(1)} s` : `${fmt(Math.round(m.evidenceLag / 60))} min`;
    replace(
      el,
      h('div', { class: 'tiles' }, tile('allow'), tile('flag'), tile('block')),
      h(
        'p',
        { class: 'health' },
        h('span', { class: m.storeErrors > 0 ? 'bad' : '' }, L('storeErrors'), ' ', h('strong', {}, fmt(m.storeErrors))),
        ' · ',
        h('span', {}, L('evidenceLag'), ' ', h('strong', {}, lag)),
      ),
    );
  }

  const RULE = /^(\S+?)#(\d+) (\S+) (\d+)\+(\d+)(?: by (\S+))?$/;

  /** `guangxi-2025/live-commerce#6 limited 99950+80` → item, counter kind and numbers, readable. */
  function ruleText(rule) {
    const m = RULE.exec(String(rule));
    if (!m) return h('span', { class: 'rule' }, String(rule));
    const [, where, item, kind, before, added, filing] = m;
    const domain = where.split('/').pop();
    return h(
      'span',
      { class: 'rule', 'data-item': item, title: String(rule) },
      h('strong', {}, L('item', item)),
      ' ',
      h('span', { class: 'quiet' }, domain),
      ' · ',
      h('span', { class: 'kind' }, L(DICT[`${kind}Short`] ? `${kind}Short` : kind)),
      ` ${fmt(Number(before))} + ${fmt(Number(added))}`,
      filing ? [' · ', L('filing'), ` ${filing}`] : '',
    );
  }

  function renderTransfers(el, transfers, emptyKey) {
    if (!transfers.length) return replace(el, h('li', { class: 'empty' }, L(emptyKey)));
    replace(
      el,
      transfers.map((t) => {
        const at = chinaTime(t.time);
        const recipient = typeof t.recipient === 'object' && t.recipient ? `${t.recipient.name ?? ''}${t.recipient.country ? ` (${t.recipient.country})` : ''}` : String(t.recipient ?? '');
        return h(
          'li',
          { class: `transfer d-${t.decision}`, 'data-decision': t.decision, 'data-transfer': t.transferId },
          h(
            'div',
            { class: 'trow' },
            h('span', { class: `badge badge-${t.decision}` }, L(t.decision)),
            h('time', { datetime: t.time, title: t.time }, h('span', { class: 'quiet' }, at.day.slice(5)), ' ', at.time),
            h('span', { class: `dir dir-${t.direction === 'pull' ? 'pull' : 'push'}` }, L(t.direction === 'pull' ? 'pull' : 'push')),
            h('span', { class: 'route' }, t.route, h('span', { class: 'quiet' }, t.direction === 'pull' ? ' ⇠ ' : ' → '), recipient),
          ),
          (t.rules ?? []).length > 0 ? h('div', { class: 'rules' }, t.rules.map(ruleText)) : '',
          h(
            'div',
            { class: 'tfoot' },
            h('span', { class: 'reason' }, L(t.reason)),
            (t.notices ?? []).filter((n) => n !== t.reason).map((n) => [' · ', L(n)]),
            ' · ',
            h('strong', {}, fmt(t.persons)),
            ' ',
            L('persons'),
            ' · ',
            fmt(t.records),
            ' ',
            L('recordsUnit'),
            t.errorCode ? [' · ', h('code', {}, t.errorCode)] : '',
          ),
        );
      }),
    );
  }

  function renderFilings(filings) {
    const el = $('filings');
    if (!filings.length) return replace(el, h('li', { class: 'empty' }, L('noFilings')));
    replace(
      el,
      filings.map((f) =>
        h(
          'li',
          { class: `filing ${f.daysLeft <= 7 ? 'st-over' : f.daysLeft <= 30 ? 'st-warn' : ''}`, 'data-filing': f.id },
          h('div', {}, h('strong', {}, f.id), ' ', h('span', { class: 'quiet' }, L(f.kind))),
          h('div', { class: 'when' }, L('expires'), ' ', h('strong', {}, f.expires), ' · ', f.daysLeft === 0 ? L('expiresToday') : [L('daysLeft'), ' ', h('strong', {}, fmt(f.daysLeft))]),
        ),
      ),
    );
  }

  // ------------------------------------------------------------------------------------------
  // Start.

  document.addEventListener('DOMContentLoaded', () => {
    for (const b of document.querySelectorAll('[data-lang]')) {
      b.addEventListener('click', () => {
        lang = b.getAttribute('data-lang');
        try {
          localStorage.setItem('xb-lang', lang);
        } catch {
          // Private mode: the choice lasts for this page only.
        }
        render();
      });
    }
    // Hidden tabs do not poll; coming back refreshes at once.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void refresh();
      else clearTimeout(timer);
    });
    render();
    void refresh();
  });
})();
