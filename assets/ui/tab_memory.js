// A reload comes back to the tab the user was on: an annotator mid-session reloaded onto
// Explore and had to find Annotate again (the queue and the post were kept, the tab not).
// Every switch is kept, a click or the app's own (an Errors row opens Annotate).
(() => {
  const KEY = "cot-explorer-tab";
  const TABS = "#main-tabs button[role=tab]";
  let restored = false;
  let kept = null;   // written on a change only: this runs on every change of the page
  function step() {
    if (!document.querySelector(TABS)) return;
    if (!restored) {   // once, as soon as the tab bar is drawn
      restored = true;
      // a link to a post opened (not a reload of one): its first tab, Explore, shows that post (a
      // reader landed on the Store or Distill tab they had used last, the post out of sight)
      const how = ((performance.getEntriesByType && performance.getEntriesByType("navigation")[0]) || {}).type;
      if (new URLSearchParams(window.location.search).get("post") && (how || "navigate") === "navigate") return;
      let want = null;
      try { want = localStorage.getItem(KEY); } catch (e) {}
      const button = want && document.querySelector(`${TABS}[data-tab-id="${CSS.escape(want)}"]`);
      if (button && button.getAttribute("aria-selected") !== "true") { button.click(); return; }
    }
    const now = document.querySelector(`${TABS}[aria-selected="true"]`);
    if (now && now.dataset.tabId && now.dataset.tabId !== kept) {
      kept = now.dataset.tabId;
      try { localStorage.setItem(KEY, kept); } catch (e) {}
    }
  }
  new MutationObserver(step).observe(document.documentElement,
    { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-selected"] });
  step();
})();
