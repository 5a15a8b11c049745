// Refreshes the service panel every few seconds; sends the API key from this tab's
// session storage when the server needs one. The server renders all the HTML.
"use strict";
(() => {
  const page = document.getElementById("status");
  const panel = document.getElementById("panel");
  const refreshed = document.getElementById("refreshed");
  const form = document.getElementById("key-form");
  const keyInput = document.getElementById("api-key");
  const keyMessage = document.getElementById("key-message");
  const keyRequired = page.dataset.keyRequired === "true";
  const everyMs = Number(page.dataset.refreshSeconds) * 1000;
  const storageKey = "wirework.apiKey";

  const clock = () => new Date().toLocaleTimeString();

  function askForKey(message) {
    panel.replaceChildren();
    form.hidden = false;
    keyMessage.textContent = message;
    refreshed.textContent = "waiting for the API key";
    keyInput.focus();
  }

  async function refresh() {
    const headers = {};
    if (keyRequired) {
      const key = sessionStorage.getItem(storageKey);
      if (!key) {
        if (form.hidden) {
          askForKey(""); // once: later ticks must not wipe a message being read
        }
        return;
      }
      headers["X-API-Key"] = key;
    }
    try {
      const response = await fetch(page.dataset.panelUrl, { headers, cache: "no-store" });
      if (response.status === 401) {
        sessionStorage.removeItem(storageKey);
        askForKey("That key was refused; enter it again.");
        return;
      }
      if (!response.ok) {
        throw new Error(`the server answered ${response.status}`);
      }
      panel.innerHTML = await response.text();
      form.hidden = true;
      refreshed.classList.remove("stale");
      refreshed.textContent = `refreshed ${clock()}, every ${everyMs / 1000} s`;
    } catch (error) {
      refreshed.classList.add("stale");
      refreshed.textContent = `refresh failed at ${clock()} (${error.message}); showing older data`;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(storageKey, keyInput.value);
    keyInput.value = "";
    refresh();
  });
  if (keyRequired) {
    refresh(); // otherwise the server already sent the first snapshot with the page
  }
  setInterval(refresh, everyMs);
})();
