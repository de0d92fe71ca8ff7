/* 12333 web chat widget: one script tag, no build step (docs/webchat-api.md). */
(() => {
  "use strict";
  if (window.Hotline12333) return;

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const config = readConfig(script);

  const SESSION_KEY = "hotline12333:session";
  const TRANSCRIPT_PREFIX = "hotline12333:transcript:";
  const OPEN_KEY = "hotline12333:open";
  const TRANSCRIPT_CAP = 200;
  const MAX_TEXT = 500;
  const HINT_FROM = 50;
  const PING_MS = 25000;
  const POLL_MS = 3000;
  const ANSWER_WAIT_MS = 120000;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;

  const GREETING = "您好，这里是12333人社智能客服，请问有什么可以帮您？";
  const NETWORK_DOWN = "网络连接中断，正在重新连接…";
  const HUMAN = { title: "转人工", payload: "/request_human" };
  // Elder mode (适老化, issue 16): large type, plain words, few choices, a human and the
  // hotline always in reach. Remembered per device; a portal may start in it (data-elder).
  const ELDER_KEY = "hotline12333:elder";
  const ELDER_CHOICES = 3;
  const WORDING = {
    normal: { greeting: GREETING, typing: "客服正在输入", placeholder: "请输入您的问题，如：社保卡丢了怎么补办？" },
    elder: {
      greeting: "您好！我是12333智能客服。请直接打字说您要问的事，比如：养老金怎么领？" +
        "看不明白可以点“转人工客服”，也可以拨打12333。",
      typing: "正在查找答案，请稍等",
      placeholder: "请在这里打字提问",
    },
  };
  const SCORE_LABELS = ["非常不满意", "不满意", "一般", "满意", "非常满意"];
  const HTTP_ERRORS = {
    400: "消息内容不能为空，请输入您要咨询的问题。",
    401: "登录已失效，将以游客身份继续咨询。",
    403: "当前页面暂不支持在线咨询，请拨打12333。",
    413: "消息过长，请控制在500字以内。",
    422: "请求格式有误，请刷新页面后重试。",
    429: "您发送得太快了，请稍后再试。",
    503: "系统繁忙，请稍后再试，或拨打12333咨询。",
  };

  function readConfig(tag) {
    const data = (tag && tag.dataset) || {};
    let base = data.gateway;
    if (!base) base = tag && tag.src ? new URL(tag.src, location.href).origin : location.origin;
    return {
      base: base.replace(/\/+$/, ""),
      token: data.token || "",
      title: data.title || "12333 智能客服",
      openAtLoad: data.open === "true",
      elder: data.elder === "true" ? true : data.elder === "false" ? false : null,
    };
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (value !== false && value != null) node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children);
    return node;
  }

  function randomHex(bytes = 16) {
    const buf = new Uint8Array(bytes);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(buf);
    else for (let i = 0; i < bytes; i++) buf[i] = Math.floor(Math.random() * 256);
    return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // crypto.randomUUID exists only in secure contexts; a portal on plain http still needs an id.
  function newSessionId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const h = randomHex(16);
    const variant = ((parseInt(h[16], 16) & 3) | 8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
  }

  // Storage can throw (disabled cookies, private mode, quota); the chat must still work.
  function storageGet(store, key) {
    try { return store.getItem(key); } catch { return null; }
  }
  function storageSet(store, key, value) {
    try { store.setItem(key, value); } catch { /* keep going without persistence */ }
  }
  function storageRemove(store, key) {
    try { store.removeItem(key); } catch { /* ignore */ }
  }

  const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 16px; line-height: 1.6; color: #1f1f1f; }
button { font: inherit; min-height: 44px; min-width: 44px; cursor: pointer; border-radius: 8px;
  border: 1px solid #8a8a8a; background: #fff; color: #1f1f1f; padding: 6px 14px; -webkit-tap-highlight-color: transparent; }
button:disabled { cursor: default; color: #595959; background: #f0f0f0; }
button:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; background: #b71c1c; color: #fff;
  border: 0; border-radius: 28px; padding: 10px 22px; font-size: 18px; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483001; width: 400px;
  height: min(640px, calc(100vh - 104px)); display: flex; flex-direction: column; background: #fff;
  border-radius: 12px; box-shadow: 0 8px 32px rgba(0,0,0,.3); overflow: hidden; }
.header { display: flex; align-items: center; gap: 8px; background: #b71c1c; color: #fff; padding: 6px 8px 6px 16px; }
.header h2 { flex: 1; margin: 0; font-size: 18px; font-weight: bold; }
.header button { background: transparent; color: #fff; border-color: rgba(255,255,255,.7); }
.header button:focus-visible { outline-color: #fff; }
.header .close { font-size: 24px; line-height: 1; border: 0; padding: 0 10px; }
.login { background: #eef4fb; color: #163a66; padding: 4px 16px; }
.log { flex: 1; overflow-y: auto; padding: 12px; background: #f5f6f8; }
.msg { margin: 8px 0; padding: 8px 12px; border-radius: 10px; max-width: 88%; width: fit-content; overflow-wrap: anywhere; }
.msg[data-role="bot"] { background: #fff; border: 1px solid #dcdcdc; }
.msg[data-role="user"] { background: #fde8e8; border: 1px solid #f3c4c4; margin-left: auto; white-space: pre-wrap; }
.msg .from { display: block; font-size: 0.85em; color: #0b4f8a; font-weight: bold; }
.msg p { margin: 0; white-space: pre-wrap; }
.msg p.blank { height: .6em; }
.msg ol, .msg ul { list-style: none; margin: 2px 0; padding: 0; }
.msg li { display: flex; gap: 4px; }
.msg li .marker { flex: none; }
.msg a { color: #0b57d0; text-decoration: underline; }
.msg .unsent { display: block; color: #a01010; }
.typing { padding: 4px 16px; color: #4d4d4d; background: #f5f6f8; }
.typing .dot { display: inline-block; width: 6px; height: 6px; margin-left: 3px; border-radius: 50%;
  background: #6b6b6b; animation: blink 1.2s infinite; }
.typing .dot:nth-child(2) { animation-delay: .2s; } .typing .dot:nth-child(3) { animation-delay: .4s; }
@keyframes blink { 0%, 80%, 100% { opacity: .2; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .typing .dot { animation: none; } }
.handoff { display: flex; align-items: center; gap: 8px; padding: 6px 12px; background: #fff7e0; color: #4a3500;
  border-top: 1px solid #f0dca0; }
.handoff span { flex: 1; }
.rating { padding: 10px 12px; border-top: 1px solid #dcdcdc; background: #fff; }
.rating p { margin: 0 0 6px; }
.rating .scores { display: flex; gap: 4px; flex-wrap: wrap; }
.rating .scores button { flex: 1; padding: 2px 4px; line-height: 1.2; }
.rating .star { display: block; color: #8a5a00; font-size: 22px; }
.rating .ends { display: flex; justify-content: space-between; color: #4d4d4d; }
.rating .later { margin-top: 4px; }
.notice { padding: 6px 12px; background: #fdecea; color: #8b1010; border-top: 1px solid #f3c4c4; }
.notice:empty { display: none; }
.quick { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 12px 0; }
.quick:empty { display: none; }
.quick button { border-color: #b71c1c; color: #9a1515; border-radius: 22px; }
.composer { padding: 8px 12px 12px; border-top: 1px solid #e2e2e2; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
textarea { display: block; width: 100%; font: inherit; font-size: 16px; min-height: 48px; max-height: 140px;
  padding: 8px 10px; border: 1px solid #8a8a8a; border-radius: 8px; resize: none; color: #1f1f1f; }
.hint { color: #8b1010; margin-top: 2px; }
.actions { display: flex; gap: 8px; margin-top: 8px; }
.actions .send { flex: 1; background: #b71c1c; color: #fff; border-color: #b71c1c; }
@media (hover: hover) {
  .launcher:hover, .actions .send:hover { background: #9a1515; }
  .header button:hover { background: rgba(255,255,255,.15); }
  .quick button:hover { background: #fdecea; }
  .rating .scores button:hover { background: #fff3d6; }
}
@media (max-width: 519.98px) {
  .panel { inset: 0; width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; }
  .launcher { right: 12px; bottom: 12px; }
}
textarea::placeholder { color: #595959; opacity: 1; }
.header .elder-toggle[aria-pressed="true"] { background: #fff; color: #8e1414; font-weight: bold; }
.assist { display: flex; gap: 8px; padding: 8px 12px; background: #fff7e0; border-bottom: 2px solid #b71c1c; }
.assist > * { flex: 1; min-height: 56px; display: flex; align-items: center; justify-content: center;
  font-size: 20px; font-weight: bold; border-radius: 8px; }
.assist .assist-human { background: #b71c1c; color: #fff; border: 2px solid #b71c1c; }
.assist .assist-phone { background: #fff; color: #0a3a8c; border: 2px solid #0a3a8c; text-decoration: none; }
.quick .more { border-style: dashed; }
.root.elder { font-size: 20px; line-height: 1.7; color: #000; }
.root.elder button { min-height: 52px; padding: 8px 16px; border-width: 2px; }
.root.elder .header { flex-wrap: wrap; }
.root.elder .header h2 { font-size: 22px; white-space: nowrap; }
.root.elder .header .close { margin-left: auto; }
.root.elder .log { background: #fff; }
.root.elder .msg { max-width: 96%; }
.root.elder .msg[data-role="bot"] { border: 2px solid #4d4d4d; color: #000; }
.root.elder .msg[data-role="user"] { border: 2px solid #b71c1c; }
.root.elder .msg a { color: #0a3a8c; font-weight: bold; }
.root.elder .typing { background: #fff; color: #000; }
.root.elder .quick { gap: 10px; }
.root.elder .quick button { color: #7a0f0f; font-weight: bold; }
.root.elder textarea { font-size: 20px; min-height: 64px; border: 2px solid #1f1f1f; }
.root.elder .actions [data-hotline="human"] { display: none; }
@media (min-width: 520px) { .root.elder .panel { width: 480px; height: min(720px, calc(100vh - 104px)); } }
`;

  function buildUi() {
    const host = el("hotline-webchat");
    const shadow = host.attachShadow({ mode: "open" });
    const ui = {};
    ui.launcher = el("button", { class: "launcher", type: "button", "data-hotline": "launcher",
      "aria-label": "打开12333在线客服", "aria-expanded": "false", "aria-controls": "hotline-panel", text: "在线咨询" });
    ui.end = el("button", { type: "button", "data-hotline": "end", text: "结束对话" });
    ui.close = el("button", { class: "close", type: "button", "aria-label": "关闭", text: "×" });
    ui.elder = el("button", { class: "elder-toggle", type: "button", "data-hotline": "elder-toggle",
      "aria-pressed": "false", title: "大字体、说明更简单、一键转人工", text: "长辈模式" });
    ui.assist = buildAssist();
    ui.login = el("div", { class: "login", "data-hotline": "login", hidden: true });
    ui.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "对话记录",
      "data-hotline": "log", tabindex: "0" });
    ui.typingText = el("span", { text: WORDING.normal.typing });
    ui.typing = el("div", { class: "typing", "data-hotline": "typing", hidden: true },
      ui.typingText, el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" }));
    ui.handoff = el("div", { class: "handoff", role: "status", "data-hotline": "handoff", hidden: true });
    ui.rating = buildRating();
    ui.notice = el("div", { class: "notice", role: "alert", "data-hotline": "notice" });
    ui.quick = el("div", { class: "quick", role: "group", "aria-label": "快捷问题", "data-hotline": "quick-replies" });
    ui.input = el("textarea", { id: "hotline-input", "data-hotline": "input", rows: "2", maxlength: String(MAX_TEXT),
      placeholder: "请输入您的问题，如：社保卡丢了怎么补办？", "aria-describedby": "hotline-hint" });
    ui.hint = el("div", { id: "hotline-hint", class: "hint", "aria-live": "polite" });
    ui.human = el("button", { type: "button", "data-hotline": "human", text: HUMAN.title });
    ui.send = el("button", { class: "send", type: "submit", "data-hotline": "send", text: "发送" });
    ui.form = el("form", { class: "composer" },
      el("label", { class: "visually-hidden", for: "hotline-input", text: "输入您的问题" }),
      ui.input, ui.hint, el("div", { class: "actions" }, ui.human, ui.send));
    ui.panel = el("section", { id: "hotline-panel", class: "panel", role: "dialog", "aria-label": "12333 智能客服",
      "data-hotline": "panel", "data-transport": "rest", hidden: true },
      el("div", { class: "header" }, el("h2", { text: config.title }), ui.elder, ui.end, ui.close),
      ui.assist.box, ui.login, ui.log, ui.typing, ui.handoff, ui.rating.box, ui.notice, ui.quick, ui.form);
    ui.root = el("div", { class: "root" }, ui.launcher, ui.panel);
    shadow.append(el("style", { text: STYLES }), ui.root);
    ui.host = host;
    return ui;
  }

  function buildAssist() {
    const human = el("button", { class: "assist-human", type: "button", "data-hotline": "elder-human",
      text: "转人工客服" });
    const phone = el("a", { class: "assist-phone", href: "tel:12333", "data-hotline": "phone",
      text: "拨打12333热线" });
    const box = el("div", { class: "assist", role: "group", "aria-label": "人工帮助",
      "data-hotline": "assist", hidden: true }, human, phone);
    return { box, human, phone };
  }

  function buildRating() {
    const prompt = el("p", { text: "请对本次服务进行评价：" });
    const scores = el("div", { class: "scores" });
    const buttons = SCORE_LABELS.map((label, i) => {
      const score = i + 1;
      return el("button", { type: "button", "data-score": String(score), "aria-label": `${score}分 ${label}`,
        title: `${score}分 ${label}` }, el("span", { class: "star", "aria-hidden": "true", text: "★" }), `${score}分`);
    });
    scores.append(...buttons);
    const ends = el("div", { class: "ends", "aria-hidden": "true" },
      el("span", { text: SCORE_LABELS[0] }), el("span", { text: SCORE_LABELS[4] }));
    const later = el("button", { class: "later", type: "button", text: "继续咨询" });
    const box = el("div", { class: "rating", role: "group", "aria-label": "服务评价", "data-hotline": "rating", hidden: true },
      prompt, scores, ends, later);
    return { box, prompt, scores, ends, buttons, later };
  }

  // "1.5倍" must stay a sentence, so a numbered marker may not be followed by a digit.
  const LIST_ITEM = /^\s*(?:(\d{1,2}[.．、](?!\d)|[（(]\d{1,2}[）)])|[-•·](?=\s|[^-]))\s*/;
  const LINKABLE = new RegExp(
    "(https?:\\/\\/[^\\s<>\"'，。；！？、）】》]+)" +
    "|(?<![\\d-])(0\\d{2,3}-\\d{7,8}|1[3-9]\\d{9}|12333|12393|12329|12345)(?![\\d-])", "g");

  function linkify(text) {
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(LINKABLE)) {
      let [found, url, phone] = match;
      if (url) found = url = url.replace(/[.,;:!?)]+$/, "");
      frag.append(text.slice(last, match.index));
      if (url) {
        frag.append(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url }));
      } else {
        frag.append(el("a", { href: `tel:${phone.replace(/-/g, "")}`, text: phone }));
      }
      last = match.index + found.length;
    }
    frag.append(text.slice(last));
    return frag;
  }

  function renderRichText(text) {
    const frag = document.createDocumentFragment();
    let list = null;
    for (const line of String(text).split(/\r?\n/)) {
      const match = LIST_ITEM.exec(line);
      if (!match) {
        list = null;
        frag.append(el("p", { class: line.trim() ? "" : "blank" }, linkify(line)));
        continue;
      }
      const ordered = Boolean(match[1]);
      if (!list || list.tagName !== (ordered ? "OL" : "UL")) {
        list = el(ordered ? "ol" : "ul");
        frag.append(list);
      }
      const marker = ordered ? match[1] : "•";
      list.append(el("li", {}, el("span", { class: "marker", "aria-hidden": "true", text: marker }),
        el("span", {}, linkify(line.slice(match[0].length)))));
    }
    return frag;
  }

  function renderMessage(item) {
    const node = el("div", { class: "msg", "data-hotline": "message", "data-role": item.role,
      "data-message-id": item.id });
    if (item.role === "user") node.textContent = item.text;
    else node.append(renderRichText(item.id === "greeting" ? wording().greeting : item.text));
    if (item.sender === "agent") {
      node.dataset.sender = "agent";
      node.prepend(el("span", { class: "from", text: "人工客服：" }));
    }
    if (item.unsent) node.append(el("span", { class: "unsent", text: "（未发送）" }));
    return node;
  }

  let ui = null;
  const state = {
    session: "",
    transcript: [],
    trimmed: false,
    started: false,
    ws: null,
    backoff: BACKOFF_MIN_MS,
    reconnectTimer: 0,
    pingTimer: 0,
    pollTimer: 0,
    pending: new Map(),
    handoff: "bot",
    token: config.token,
    login: Promise.resolve(false),
    typingFrame: false,
    elder: false,
    quickOpenFor: "",
    typingTimer: 0,
    loginError: "",
  };

  function greetingItem() {
    return { role: "bot", id: "greeting", status: "answered", text: GREETING };
  }

  function loadSession() {
    let id = storageGet(localStorage, SESSION_KEY);
    if (!id || !/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) {
      id = newSessionId();
      storageSet(localStorage, SESSION_KEY, id);
    }
    state.session = id;
    state.transcript = loadTranscript(id);
    state.trimmed = state.transcript.length > 0 && state.transcript[0].id !== "greeting";
    if (!state.transcript.length) state.transcript.push(greetingItem());
  }

  function loadTranscript(id) {
    try {
      const items = JSON.parse(storageGet(localStorage, TRANSCRIPT_PREFIX + id) || "[]");
      return Array.isArray(items) ? items.filter((i) => i && typeof i.text === "string" && i.id && i.role) : [];
    } catch {
      return [];
    }
  }

  function saveTranscript() {
    if (state.transcript.length > TRANSCRIPT_CAP) {
      state.transcript = state.transcript.slice(-TRANSCRIPT_CAP);
      state.trimmed = true;
    }
    const lastBot = state.transcript.map((i) => i.role).lastIndexOf("bot");
    const stored = state.transcript.map((item, i) => (i === lastBot || !item.buttons ? item : { ...item, buttons: [] }));
    storageSet(localStorage, TRANSCRIPT_PREFIX + state.session, JSON.stringify(stored));
  }

  function renderAll() {
    ui.log.replaceChildren(...state.transcript.map(renderMessage));
    renderQuickReplies();
    scrollToEnd();
  }

  function addItems(items) {
    state.transcript.push(...items);
    saveTranscript();
    ui.log.append(...items.map(renderMessage));
    while (ui.log.childElementCount > TRANSCRIPT_CAP) ui.log.firstElementChild.remove();
    renderQuickReplies();
    scrollToEnd();
  }

  function replaceItems(old, items) {
    const at = state.transcript.indexOf(old[0]);
    state.transcript = state.transcript.filter((i) => !old.includes(i));
    state.transcript.splice(at, 0, ...items);
    saveTranscript();
    const nodes = [...ui.log.children].filter((n) => n.dataset.role === old[0].role && n.dataset.messageId === old[0].id);
    if (nodes.length) nodes[0].before(...items.map(renderMessage));
    nodes.forEach((n) => n.remove());
    renderQuickReplies();
    scrollToEnd();
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // Only the newest bot message offers quick replies; once the citizen answers, they are gone.
  function renderQuickReplies() {
    const last = state.transcript[state.transcript.length - 1];
    const buttons = last && last.role === "bot" && Array.isArray(last.buttons) ? last.buttons : [];
    // Elder mode shows a few choices at a time; the rest wait behind 更多 for this message.
    const key = last ? `${last.id}:${state.transcript.length}` : "";
    const folded = state.elder && buttons.length > ELDER_CHOICES && state.quickOpenFor !== key;
    const shown = folded ? buttons.slice(0, ELDER_CHOICES) : buttons;
    const nodes = shown.map((b) => {
      const button = el("button", { type: "button", "data-hotline": "quick-reply", text: b.title });
      button.addEventListener("click", () => {
        // The choices go away once one is taken: keep the keyboard in the widget.
        if (sendUserMessage({ title: b.title, payload: b.payload })) ui.input.focus();
      });
      return button;
    });
    if (folded) {
      const more = el("button", { class: "more", type: "button", "data-hotline": "quick-more",
        "aria-expanded": "false", text: `更多（还有${buttons.length - ELDER_CHOICES}项）` });
      more.addEventListener("click", () => {
        state.quickOpenFor = key;
        renderQuickReplies();
        const next = ui.quick.querySelectorAll("[data-hotline=quick-reply]")[ELDER_CHOICES];
        if (next) next.focus();
      });
      nodes.push(more);
    }
    ui.quick.replaceChildren(...nodes);
  }

  function wording() {
    return state.elder ? WORDING.elder : WORDING.normal;
  }

  function initialElder() {
    const stored = storageGet(localStorage, ELDER_KEY);
    if (stored === "1" || stored === "0") return stored === "1";
    return Boolean(config.elder);
  }

  function setElder(on, { remember = true } = {}) {
    state.elder = Boolean(on);
    if (remember) storageSet(localStorage, ELDER_KEY, state.elder ? "1" : "0");
    if (!ui) return;
    ui.root.classList.toggle("elder", state.elder);
    ui.panel.dataset.mode = state.elder ? "elder" : "normal";
    ui.elder.setAttribute("aria-pressed", String(state.elder));
    ui.assist.box.hidden = !state.elder;
    const words = wording();
    ui.input.placeholder = words.placeholder;
    ui.typingText.textContent = words.typing;
    renderAll();
  }

  function updateTyping() {
    const waiting = [...state.pending.values()].some((e) => e.state === "sent" || e.state === "accepted");
    ui.typing.hidden = !waiting && !state.typingFrame;
  }

  function showNotice(text) {
    ui.notice.textContent = text;
  }

  function clearNetworkNotice() {
    if (ui.notice.textContent === NETWORK_DOWN) ui.notice.textContent = "";
  }

  function showLogin(name) {
    ui.login.textContent = name ? `已登录：${name}` : "";
    ui.login.hidden = !name;
  }

  function setTransport(kind) {
    ui.panel.dataset.transport = kind;
  }

  function replyItems(reply) {
    return (reply.messages || []).map((m) => ({
      role: "bot",
      id: reply.message_id,
      status: reply.status,
      text: typeof m.text === "string" ? m.text : "",
      sender: m.sender === "agent" ? "agent" : undefined,
      buttons: (m.buttons || []).filter((b) => b && b.title && b.payload).map(({ title, payload }) => ({ title, payload })),
    })).filter((item) => item.text || item.buttons.length);
  }

  // A reply may come several times (WebSocket, REST, every poll); it is drawn once, and a
  // deferred notice is the only thing a later version of the same message_id replaces.
  function applyReply(reply) {
    if (!reply || !reply.message_id) return;
    const items = replyItems(reply);
    const old = state.transcript.filter((i) => i.role === "bot" && i.id === reply.message_id);
    const same = JSON.stringify(old.map((i) => i.text)) === JSON.stringify(items.map((i) => i.text));
    const fresh = old.length === 0 || (reply.status !== "deferred" && !same);
    if (fresh && old.length) replaceItems(old, items);
    else if (fresh && items.length) addItems(items);
    else if (reply.status !== "deferred" && old.some((i) => i.status === "deferred")) {
      old.forEach((i) => { i.status = reply.status; });
      saveTranscript();
    }
    if (fresh && reply.meta && reply.meta.handoff_status) renderHandoff(reply.meta.handoff_status);
    if (fresh) state.typingFrame = false;
    settle(reply);
    updateTyping();
  }

  function settle(reply) {
    const entry = state.pending.get(reply.message_id);
    if (!entry) return;
    if (reply.status === "deferred") {
      entry.state = "accepted";
      if (!wsOpen()) startPolling();
    } else {
      state.pending.delete(reply.message_id);
    }
  }

  function onTyping(messageId) {
    const entry = state.pending.get(messageId);
    if (entry) entry.state = "accepted";
    state.typingFrame = true;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { state.typingFrame = false; updateTyping(); }, 10000);
    updateTyping();
  }

  function onRefused(messageId, error) {
    showNotice(error || HTTP_ERRORS[503]);
    if (!messageId || !state.pending.delete(messageId)) return;
    const item = state.transcript.find((i) => i.role === "user" && i.id === messageId);
    if (item) replaceItems([item], [{ ...item, unsent: true }]);
    updateTyping();
  }

  function renderHandoff(status) {
    if (!status || !status.state) return;
    state.handoff = status.state;
    if ((status.state === "queued" || status.state === "with_agent") && !wsOpen()) startPolling();
    const line = {
      queued: status.message || "正在为您转接人工客服，请稍候。",
      with_agent: "人工客服已接入",
      closed: "人工服务已结束",
    }[status.state];
    ui.handoff.replaceChildren();
    ui.handoff.hidden = !line;
    if (!line) return;
    ui.handoff.append(el("span", { text: line }));
    if (status.state === "queued") {
      const cancel = el("button", { type: "button", "data-hotline": "cancel-queue", text: "取消排队" });
      cancel.addEventListener("click", cancelQueue);
      ui.handoff.append(cancel);
    }
    if (status.state === "closed") showRating();
  }

  async function cancelQueue() {
    try {
      const res = await api("DELETE", `/handoff${sessionQuery()}`);
      if (res.ok) renderHandoff(res.data);
      else showNotice(errorText(res));
      ui.input.focus();  // the button just clicked is gone: keep keyboard users in the box
    } catch {
      showNotice(NETWORK_DOWN);
    }
  }

  function showRating() {
    const r = ui.rating;
    r.prompt.textContent = "请对本次服务进行评价：";
    r.scores.hidden = false;
    r.ends.hidden = false;
    r.later.hidden = false;
    r.box.hidden = false;
  }

  async function rate(score) {
    let res;
    try {
      res = await api("POST", "/rating", { body: { session_id: state.session, score } });
    } catch {
      showNotice(NETWORK_DOWN);
      return;
    }
    if (!res.ok) {
      showNotice(errorText(res));
      return;
    }
    // A rating after a human agent closed keeps the conversation (the bot carries on with
    // its context); a rating after 结束对话 ends it.
    if (state.handoff === "closed") renderHandoff({ state: "bot" });
    else startFreshSession();
    const r = ui.rating;
    r.prompt.textContent = res.data.message || "感谢您的评价！";
    r.scores.hidden = true;
    r.ends.hidden = true;
    r.later.hidden = true;
    r.box.hidden = false;
    ui.input.focus();  // the score buttons are gone: keep keyboard users in the box
  }

  function sessionQuery() {
    return `?session_id=${encodeURIComponent(state.session)}`;
  }

  function errorText(res) {
    return (res.data && res.data.error) || HTTP_ERRORS[res.status] || "服务暂时不可用，请稍后再试，或拨打12333咨询。";
  }

  // The gateway holds a POST up to ~4.5 s; past 15 s the request is treated as a network failure.
  async function api(method, path, { body, headers = {} } = {}) {
    const init = { method, headers: { ...headers } };
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 15000);
    try {
      const res = await fetch(`${config.base}/api/v1/webchat${path}`, { ...init, signal: abort.signal });
      let data = {};
      try { data = await res.json(); } catch { /* an empty or non-JSON body */ }
      return { ok: res.ok, status: res.status, data: data || {} };
    } finally {
      clearTimeout(timer);
    }
  }

  function wsOpen() {
    return Boolean(state.ws) && state.ws.readyState === WebSocket.OPEN;
  }

  function wsUrl() {
    return `${config.base.replace(/^http/, "ws")}/api/v1/webchat/ws${sessionQuery()}`;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    if (state.ws) return;
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.addEventListener("open", () => onSocketOpen(ws));
    ws.addEventListener("message", (event) => { if (ws === state.ws) onFrame(event.data); });
    ws.addEventListener("close", () => onSocketClose(ws));
  }

  function onSocketOpen(ws) {
    if (ws !== state.ws) return;
    state.backoff = BACKOFF_MIN_MS;
    setTransport("ws");
    clearNetworkNotice();
    stopPolling();
    clearInterval(state.pingTimer);
    state.pingTimer = setInterval(() => heartbeat(ws), PING_MS);
    resync();
    flush();
  }

  function heartbeat(ws) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
    expireStale();
  }

  function onSocketClose(ws) {
    if (ws !== state.ws) return;
    state.ws = null;
    clearInterval(state.pingTimer);
    setTransport("rest");
    // Unacknowledged frames may have died with the socket; the same message_id is answered once.
    for (const entry of state.pending.values()) {
      if (entry.state === "sent" && entry.via === "ws") entry.state = "queued";
      if (entry.state === "accepted") startPolling();
    }
    flush();
    scheduleReconnect();
  }

  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    const delay = state.backoff;
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    state.reconnectTimer = setTimeout(() => { connect(); flush(); }, delay);
  }

  function onFrame(raw) {
    let frame;
    try { frame = JSON.parse(raw); } catch { return; }
    if (frame.type === "reply") applyReply(frame);
    else if (frame.type === "typing") onTyping(frame.message_id);
    else if (frame.type === "handoff") renderHandoff(frame);
    else if (frame.type === "error") onRefused(frame.message_id, frame.error);
  }

  function flush() {
    for (const entry of state.pending.values()) if (entry.state === "queued") deliver(entry);
  }

  async function deliver(entry) {
    entry.state = "sent";
    entry.since = Date.now();
    updateTyping();
    await state.login;
    // 结束对话 may have started a new session meanwhile; the old message must not leak into it.
    if (state.pending.get(entry.id) !== entry) return;
    const content = entry.payload ? { payload: entry.payload } : { text: entry.text };
    if (entry.elder) content.elder = true;  // the gateway answers in short, plain words
    if (wsOpen()) {
      entry.via = "ws";
      state.ws.send(JSON.stringify({ type: "message", message_id: entry.id, ...content }));
      return;
    }
    entry.via = "rest";
    let res;
    try {
      res = await api("POST", "/messages", { body: { session_id: state.session, message_id: entry.id, ...content } });
    } catch {
      res = null;
    }
    if (state.pending.get(entry.id) !== entry) return;
    if (!res) {
      entry.state = "queued";
      updateTyping();
      showNotice(NETWORK_DOWN);
      return;
    }
    clearNetworkNotice();
    if (res.ok) applyReply(res.data);
    else onRefused(entry.id, errorText(res));
  }

  function startPolling() {
    if (!state.pollTimer) state.pollTimer = setInterval(pollOnce, POLL_MS);
  }

  function stopPolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = 0;
  }

  async function pollOnce() {
    expireStale();
    const waiting = [...state.pending.values()].some((e) => e.state === "accepted");
    // With a human on the other side, replies come unasked: without a socket, keep asking.
    const human = state.handoff === "queued" || state.handoff === "with_agent";
    if ((!waiting && !human) || wsOpen()) stopPolling();
    else if (human) await resync();
    else await syncMessages();
  }

  function expireStale() {
    let expired = false;
    for (const entry of state.pending.values()) {
      if (entry.state !== "queued" && Date.now() - entry.since > ANSWER_WAIT_MS) {
        state.pending.delete(entry.id);
        expired = true;
      }
    }
    if (expired) showNotice("答复时间较长，请稍后再问一次，或拨打12333咨询。");
    updateTyping();
  }

  async function syncMessages() {
    const session = state.session;
    let res;
    try { res = await api("GET", `/messages${sessionQuery()}`); } catch { return; }
    if (!res.ok || session !== state.session) return;
    let replies = Array.isArray(res.data.replies) ? res.data.replies : [];
    // When old lines were cut from the stored transcript, do not bring them back at the bottom.
    if (state.trimmed) {
      const known = new Set(state.transcript.map((i) => i.id));
      const first = replies.findIndex((r) => known.has(r.message_id));
      replies = first < 0 ? [] : replies.slice(first);
    }
    replies.forEach(applyReply);
  }

  async function syncHandoff() {
    const session = state.session;
    try {
      const res = await api("GET", `/handoff${sessionQuery()}`);
      if (res.ok && session === state.session) renderHandoff(res.data);
    } catch { /* the status line simply stays as it is */ }
  }

  async function resync() {
    await syncMessages();
    await syncHandoff();
  }

  function sendUserMessage({ text = "", payload = "", title = "" }) {
    const body = text.trim();
    if (!payload && !body) return false;
    if (body.length > MAX_TEXT) {
      showNotice(HTTP_ERRORS[413]);
      return false;
    }
    if (ui.rating.scores.hidden) ui.rating.box.hidden = true;
    ui.notice.textContent = "";
    const id = randomHex(16);
    addItems([{ role: "user", id, text: payload ? title : body }]);
    const entry = { id, state: "queued", since: Date.now(), elder: state.elder,
      ...(payload ? { payload } : { text: body }) };
    state.pending.set(id, entry);
    start();
    deliver(entry);
    return true;
  }

  function submitInput() {
    if (sendUserMessage({ text: ui.input.value })) {
      ui.input.value = "";
      updateHint();
    }
  }

  function updateHint() {
    const left = MAX_TEXT - ui.input.value.length;
    ui.hint.textContent = left <= HINT_FROM ? `还可输入${left}字` : "";
  }

  function login(token) {
    if (!token) return Promise.resolve(false);
    state.token = token;
    state.login = postLogin(token).catch(() => false);
    return state.login;
  }

  async function postLogin(token) {
    const res = await api("POST", "/login", {
      body: { session_id: state.session },
      headers: { Authorization: `Bearer ${token}` },
    });
    if (res.ok) {
      if (ui.notice.textContent === state.loginError) ui.notice.textContent = "";
      showLogin(res.data.display_name || "市民用户");
      return true;
    }
    // An expired portal token must not block the citizen: carry on as a guest.
    if (res.status === 401) state.token = "";
    showLogin("");
    state.loginError = errorText(res);
    showNotice(state.loginError);
    return false;
  }

  function startFreshSession() {
    if (state.handoff === "queued") api("DELETE", `/handoff${sessionQuery()}`).catch(() => {});
    storageRemove(localStorage, TRANSCRIPT_PREFIX + state.session);
    state.session = newSessionId();
    storageSet(localStorage, SESSION_KEY, state.session);
    state.transcript = [greetingItem()];
    state.trimmed = false;
    state.pending.clear();
    saveTranscript();
    renderAll();
    stopPolling();
    updateTyping();
    renderHandoff({ state: "bot" });
    ui.rating.box.hidden = true;
    ui.notice.textContent = "";
    showLogin("");
    // The socket is bound to the old session id; drop it without letting its close reconnect.
    const old = state.ws;
    state.ws = null;
    clearInterval(state.pingTimer);
    setTransport("rest");
    if (old) old.close(1000);
    state.backoff = BACKOFF_MIN_MS;
    if (state.token) login(state.token);
    if (state.started) connect();
  }

  function start() {
    if (state.started) return;
    state.started = true;
    if (state.token) login(state.token);
    resync();
    connect();
  }

  function openPanel({ focus = true } = {}) {
    if (!ui) return;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    storageSet(sessionStorage, OPEN_KEY, "1");
    start();
    scrollToEnd();
    if (focus) ui.input.focus();
  }

  function closePanel() {
    if (!ui || ui.panel.hidden) return;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    storageSet(sessionStorage, OPEN_KEY, "0");
    ui.launcher.focus();
  }

  function bindEvents() {
    ui.launcher.addEventListener("click", () => (ui.panel.hidden ? openPanel() : closePanel()));
    ui.close.addEventListener("click", closePanel);
    ui.end.addEventListener("click", showRating);
    ui.human.addEventListener("click", () => sendUserMessage(HUMAN));
    ui.assist.human.addEventListener("click", () => sendUserMessage(HUMAN));
    ui.elder.addEventListener("click", () => setElder(!state.elder));
    ui.rating.buttons.forEach((b) => b.addEventListener("click", () => rate(Number(b.dataset.score))));
    ui.rating.later.addEventListener("click", () => { ui.rating.box.hidden = true; ui.input.focus(); });
    const closeOnEscape = (event) => {
      if (event.key === "Escape" && !ui.panel.hidden) {
        event.preventDefault();
        closePanel();
      }
    };
    ui.panel.addEventListener("keydown", closeOnEscape);
    ui.launcher.addEventListener("keydown", closeOnEscape);
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitInput();
    });
    ui.input.addEventListener("keydown", (event) => {
      // isComposing: Enter also confirms a pinyin candidate and must not send half a sentence.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitInput();
      }
    });
    ui.input.addEventListener("input", updateHint);
    window.addEventListener("online", () => {
      if (!state.started || wsOpen()) return;
      state.backoff = BACKOFF_MIN_MS;
      connect();
      flush();
    });
  }

  function mount() {
    ui = buildUi();
    document.body.append(ui.host);
    loadSession();
    setElder(initialElder(), { remember: false });
    renderAll();
    bindEvents();
    const hasConversation = state.transcript.some((i) => i.role === "user");
    // Once the citizen has closed the panel, data-open no longer reopens it on every page.
    const wasOpen = storageGet(sessionStorage, OPEN_KEY);
    if (wasOpen === "1" || (wasOpen === null && config.openAtLoad)) openPanel({ focus: false });
    else if (hasConversation) start();
  }

  window.Hotline12333 = {
    open: () => openPanel(),
    close: () => closePanel(),
    login,
    session: () => state.session,
    // A portal's own 长辈版 switch: elder(true) / elder(false) (remembered), elder() reads it.
    elder: (on) => {
      if (on !== undefined) setElder(on);
      return state.elder;
    },
  };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
