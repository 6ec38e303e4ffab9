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
  // The post's picture (Gradio's image): the img had no alt text, and its toolbar an unnamed
  // button and link among the Tab stops
  const IMAGES = ["explore-image", "annotate-image"];
  function nameImages() {
    for (const id of IMAGES) {
      const block = document.getElementById(id);
      if (!block) continue;
      for (const img of block.querySelectorAll("img:not([alt]), img[alt='']")) img.setAttribute("alt", "the post's image");
      for (const c of block.querySelectorAll("button:not([aria-label]), a:not([aria-label])")) {
        if (c.textContent.trim()) continue;
        c.setAttribute("aria-label", c.getAttribute("title") ||
          (c.tagName === "A" || c.hasAttribute("download") ? "download the post's image" : "the post's image: a control"));
      }
    }
  }
  // Long work's progress ("312/723 predicted, about 40 s left"): the tracker is hidden from
  // screen readers above (its timer was read on every tick), so nothing said the work went on.
  // Its progress line is read out from a region of its own, every 10 s at most, when it changed.
  let progressSaid = "";
  function sayProgress() {
    let region = document.getElementById("cot-progress-said");
    if (!region) {
      region = document.createElement("div");
      region.id = "cot-progress-said";
      region.className = "cot-sr-only";   // app.PAGE_CSS
      region.setAttribute("aria-live", "polite");
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    const levels = IDS.map((id) => document.getElementById(id))
      .flatMap((el) => (el ? Array.from(el.querySelectorAll(".progress-level-inner")) : []))
      .filter((el) => el.offsetParent !== null && el.textContent.trim());
    const text = levels.length ? `Working: ${levels[0].textContent.replace(/\s+/g, " ").trim()}` : "";
    if (text !== progressSaid) region.textContent = text;   // emptied once the work is done (not read out)
    progressSaid = text;
  }
  setInterval(sayProgress, 10000);
  new MutationObserver(() => { mark(); nameImages(); }).observe(document.documentElement, { childList: true, subtree: true });
  nameImages();
  mark();
})();
