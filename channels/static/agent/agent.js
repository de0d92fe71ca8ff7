"use strict";
// The agent workspace: polls the queue and the open conversation, reports presence, and
// sends every change with the session's CSRF token. Text from citizens is only ever set
// as textContent, never parsed as HTML.
(function () {
  const API = "/api/v1/agent";
  const WHO = { citizen: "市民", bot: "智能客服", agent: "坐席", note: "备注", system: "系统" };
  const CHANNELS = { webchat: "网页", wechat: "微信", sms: "短信", voice: "电话" };
  const LEVELS = { anonymous: "未核验", phone: "手机号已验证", verified: "已实名核验" };
  const state = { selected: null, user: null, lastPop: "" };
  const $ = (id) => document.getElementById(id);

  function csrf() {
    const found = document.cookie.split("; ").find((c) => c.startsWith("staff_csrf="));
    return found ? decodeURIComponent(found.slice("staff_csrf=".length)) : "";
  }

  async function call(method, path, body) {
    const headers = { "X-CSRF-Token": csrf() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(API + path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401) { location.assign("/agent/"); throw new Error("login"); }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || `操作失败（${res.status}）`);
    return data;
  }

  function notice(text) {
    $("notice").textContent = text;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(() => { $("notice").textContent = ""; }, 6000);
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    node.append(...children.filter(Boolean));
    return node;
  }

  function waited(seconds) {
    return seconds < 60 ? `${seconds}秒` : `${Math.floor(seconds / 60)}分钟`;
  }

  // -- the queue ------------------------------------------------------------------------------
  async function refreshQueue() {
    let data;
    try { data = await call("GET", "/queue"); } catch (e) { return; }
    $("waiting-count").textContent = String(data.waiting.length);
    $("waiting").replaceChildren(...data.waiting.map((w) => {
      const accept = el("button", { type: "button", "data-agent": "accept", text: "接入" });
      accept.addEventListener("click", () => acceptOne(w.conversation));
      return el("li", { "data-conversation": w.conversation },
        el("div", { text: `${CHANNELS[w.channel] || w.channel} · ${w.topic || w.skill} · 已等${waited(w.waited_s)}` }),
        w.priority ? el("div", { class: "hint", text: "优先（已实名核验）" }) : null,
        accept);
    }));
    $("mine").replaceChildren(...data.mine.map((m) => {
      const item = el("li", { "data-conversation": m.conversation, class: m.conversation === state.selected ? "selected" : "" },
        el("div", { text: `${CHANNELS[m.channel] || m.channel} · ${m.topic || m.skill}` }));
      const open = el("button", { type: "button", "data-agent": "open", text: "打开" });
      open.addEventListener("click", () => select(m.conversation));
      item.append(open);
      return item;
    }));
    $("agents").textContent = `在线坐席：${data.agents.join("、") || "无"}`;
    if (state.selected && !data.mine.some((m) => m.conversation === state.selected)) {
      // Closed or transferred elsewhere: the screen-pop goes with it.
      select(null);
    }
  }

  async function acceptOne(conversation) {
    try {
      await call("POST", `/conversations/${encodeURIComponent(conversation)}/accept`);
      await refreshQueue();
      select(conversation);
    } catch (e) { notice(e.message); refreshQueue(); }
  }

  async function acceptNext() {
    try {
      const item = await call("POST", "/next");
      await refreshQueue();
      select(item.conversation);
    } catch (e) { notice(e.message); }
  }

  // -- the screen-pop -------------------------------------------------------------------------
  function select(conversation) {
    state.selected = conversation;
    state.lastPop = "";
    $("pop").hidden = !conversation;
    $("empty").hidden = Boolean(conversation);
    if (conversation) refreshPop();
  }

  function revealButton(token) {
    const button = el("button", { type: "button", class: "reveal", "data-agent": "reveal", text: "查看完整" });
    button.addEventListener("click", async () => {
      const reason = prompt("查看完整个人信息须说明原因（将记入审计日志）：");
      if (!reason || reason.trim().length < 4) { notice("请填写至少4个字的原因。"); return; }
      try {
        const data = await call("POST", `/conversations/${encodeURIComponent(state.selected)}/reveal`, { token, reason: reason.trim() });
        button.replaceWith(el("span", { class: "revealed", text: `（${data.value}）` }));
      } catch (e) { notice(e.message); }
    });
    return button;
  }

  const BUTTONS = { "/request_human": "转人工", "/verify_identity": "实名认证" };

  function line(item, who) {
    // A quick-reply button arrives as its payload: show what the citizen clicked.
    const text = item.text.startsWith("/") ? `［点击按钮：${BUTTONS[item.text] || item.intent || item.text}］` : item.text;
    const node = el("li", { class: who }, el("span", { class: "who", text: WHO[who] || who }), el("span", { text }));
    (item.tokens || []).forEach((t) => node.append(revealButton(t)));
    return node;
  }

  function definitions(target, pairs) {
    target.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v == null || v === "" ? "—" : String(v) })]));
  }

  async function refreshPop() {
    const conversation = state.selected;
    if (!conversation) return;
    let data;
    try { data = await call("GET", `/conversations/${encodeURIComponent(conversation)}`); } catch (e) { notice(e.message); return; }
    if (conversation !== state.selected) return;
    const fingerprint = JSON.stringify([data.handoff_log.length, data.bot_transcript.length, data.handoff.state]);
    if (fingerprint === state.lastPop) return;
    state.lastPop = fingerprint;
    const id = data.identity;
    definitions($("identity"), [
      ["身份", LEVELS[id.level] || id.level], ["姓名", id.display_name], ["身份证号", id.id_number],
      ["地区", id.region], ["渠道", CHANNELS[data.handoff.channel] || data.handoff.channel],
      ["问题类别", data.handoff.topic || data.handoff.skill], ["转人工原因", data.handoff.reason],
    ]);
    const lines = [...data.bot_transcript.map((l) => line(l, l.who)),
      el("li", { class: "system", text: "—— 以下为人工服务 ——" }),
      ...data.handoff_log.map((l) => line(l, l.who))];
    const list = $("transcript");
    list.replaceChildren(...lines);
    list.scrollTop = list.scrollHeight;
    definitions($("slots"), [["最近意图", data.intent], ...Object.entries(data.slots)]);
    const apps = data.applications;
    $("applications").replaceChildren(...(apps.items.length
      ? apps.items.map((a) => el("li", { text: `${a.type_name || a.type || ""} ${a.acceptance_no || ""} ${a.status_name || a.status || ""}` }))
      : [el("li", { class: "hint", text: apps.note || "无在办事项" })]));
  }

  async function sendReply(event) {
    event.preventDefault();
    const box = $("reply-text");
    const text = box.value.trim();
    if (!text || !state.selected) return;
    try {
      await call("POST", `/conversations/${encodeURIComponent(state.selected)}/messages`, { text });
      box.value = "";
      refreshPop();
    } catch (e) { notice(e.message); }
  }

  async function addNote() {
    const box = $("reply-text");
    const text = box.value.trim();
    if (!text || !state.selected) return;
    try {
      await call("POST", `/conversations/${encodeURIComponent(state.selected)}/notes`, { text });
      box.value = "";
      refreshPop();
    } catch (e) { notice(e.message); }
  }

  async function closeConversation(event) {
    event.preventDefault();
    try {
      await call("POST", `/conversations/${encodeURIComponent(state.selected)}/close`,
        { summary: $("close-summary").value.trim(), outcome: $("close-outcome").value });
      $("close-summary").value = "";
      notice("已结束本次服务，已邀请市民评价。");
      select(null);
      refreshQueue();
    } catch (e) { notice(e.message); }
  }

  async function transfer(event) {
    event.preventDefault();
    try {
      await call("POST", `/conversations/${encodeURIComponent(state.selected)}/transfer`, { to_skill: $("transfer-skill").value });
      notice("已转接。");
      select(null);
      refreshQueue();
    } catch (e) { notice(e.message); }
  }

  async function createTicket(event) {
    event.preventDefault();
    try {
      const data = await call("POST", `/conversations/${encodeURIComponent(state.selected)}/tickets`,
        { type: $("ticket-type").value, summary: $("ticket-summary").value.trim() });
      notice(`已创建工单 ${data.ticket_no}，答复期限 ${data.due_date}。`);
      $("ticket-summary").value = "";
      refreshPop();
    } catch (e) { notice(e.message); }
  }

  async function searchCanned(event) {
    event.preventDefault();
    const q = $("canned-q").value.trim();
    if (!q) return;
    let data;
    try { data = await call("GET", `/canned?q=${encodeURIComponent(q)}`); } catch (e) { notice(e.message); return; }
    $("canned-results").replaceChildren(...(data.results.length ? data.results.map((r) => {
      const use = el("button", { type: "button", "data-agent": "use-canned", text: "填入回复" });
      use.addEventListener("click", () => { $("reply-text").value = r.text; $("reply-text").focus(); });
      return el("li", {}, el("strong", { text: r.title }), el("div", { class: "hint", text: r.sources.join("；") }), use);
    }) : [el("li", { class: "hint", text: "没有找到相关答复。" })]));
  }

  // -- presence -----------------------------------------------------------------------------------
  async function heartbeat() {
    try {
      await call("POST", "/presence", { status: $("status").value, capacity: Number($("capacity").value) });
    } catch (e) { /* shown by the next call that matters */ }
  }

  async function start() {
    const me = await call("GET", "/me");
    state.user = me.user;
    $("who").textContent = `${me.user.display_name}（${me.user.roles.includes("supervisor") ? "班长" : "坐席"}）`;
    $("next").addEventListener("click", acceptNext);
    $("reply").addEventListener("submit", sendReply);
    $("as-note").addEventListener("click", addNote);
    $("close").addEventListener("submit", closeConversation);
    $("transfer").addEventListener("submit", transfer);
    $("ticket").addEventListener("submit", createTicket);
    $("canned").addEventListener("submit", searchCanned);
    $("status").addEventListener("change", heartbeat);
    $("capacity").addEventListener("change", heartbeat);
    $("logout").addEventListener("click", async () => {
      try { await call("POST", "/logout"); } finally { location.assign("/agent/"); }
    });
    $("reply-text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) sendReply(e);
    });
    await heartbeat();
    await refreshQueue();
    // A phone call transferred by REFER: the PBX's agent desktop opens
    // /agent/#accept=<X-Hotline-Context>, and the agent who answered gets the screen-pop.
    const phone = new URLSearchParams(location.hash.slice(1)).get("accept");
    if (phone) {
      history.replaceState(null, "", location.pathname);
      await acceptOne(phone);
    }
    setInterval(heartbeat, 15000);
    setInterval(refreshQueue, 3000);
    setInterval(refreshPop, 2000);
  }

  start().catch((e) => notice(e.message));
})();
