// Live explanation of a policy draft: the server checks it and says, in
// plain words, what it allows. Without this script the Check button does
// the same with a full page.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("policy-form");
  const text = document.getElementById("document");
  const live = document.getElementById("live");
  if (!form || !text || !live) return;
  let timer = null;
  let latest = 0;
  const check = async () => {
    const ask = ++latest;
    const body = new URLSearchParams(new FormData(form));
    const response = await fetch("/console/policies/check", {
      method: "POST",
      body,
      headers: { "x-console-fragment": "1" },
      credentials: "same-origin",
    });
    if (ask === latest && response.ok) live.innerHTML = await response.text();
  };
  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  if (text.value.trim()) check();
});
