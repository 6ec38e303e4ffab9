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
      // Gradio's progress tracker sits in the block: its timer ("queue: 1/1 | 0.1/0.3s") was
      // read out on every key; only the app's sentence is
      for (const tracker of el ? el.querySelectorAll('[data-testid="status-tracker"]:not([aria-hidden])') : []) {
        tracker.setAttribute("aria-hidden", "true");
      }
    }
  }
  new MutationObserver(mark).observe(document.documentElement, { childList: true, subtree: true });
  mark();
})();
