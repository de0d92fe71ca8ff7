"use strict";
// Sends the credentials as JSON; the gateway sets the session cookies.
(function () {
  const form = document.getElementById("login");
  const error = document.getElementById("error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = JSON.stringify({ username: form.username.value.trim(), password: form.password.value });
    let res;
    try {
      res = await fetch("/api/v1/agent/login", { method: "POST", headers: { "Content-Type": "application/json" }, body, credentials: "same-origin" });
    } catch {
      error.textContent = "无法连接服务器，请检查网络后重试。";
      return;
    }
    if (!res.ok) {
      const data = await res.json().catch(() => ({}));
      error.textContent = data.error || "登录失败，请重试。";
      return;
    }
    const next = new URLSearchParams(location.search).get("next") || "";
    // Only a path on this site: never an open redirect.
    location.assign(/^\/(agent|dashboard)\/[\w\-/]*$/.test(next) ? next : location.pathname.startsWith("/dashboard") ? "/dashboard/" : "/agent/");
  });
})();
