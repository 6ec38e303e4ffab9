// What the app answers in words (a refusal under Analyse, Save's answer above the editor, a
// promotion's) is read out by a screen reader as it changes: these blocks are polite live
// regions. Gradio draws them after the page loads, so they are marked as they appear.
(() => {
  const IDS = ["analyse-note", "annotate-status", "versions-note", "errors-note", "errors-stale", "delete-done"];
  function mark() {
    for (const id of IDS) {
      const el = document.getElementById(id);
      if (el && el.getAttribute("aria-live") !== "polite") {
        el.setAttribute("aria-live", "polite");
        el.setAttribute("role", "status");
      }
    }
  }
  new MutationObserver(mark).observe(document.documentElement, { childList: true, subtree: true });
  mark();
})();
