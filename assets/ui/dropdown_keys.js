// Gradio's dropdowns and the keyboard: Tab out of an open one dropped the focus on the page
// (Chromium focuses the list, a scroll container, which the dropdown then removes), left the
// list open over the form and the tab bar, and Escape did not close it. Here Tab and Shift+Tab
// close the list and go on to the next (previous) control, and Escape closes it, the focus kept
// on the dropdown's block (Tab goes on from there).
(() => {
  const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Tab" && e.key !== "Escape") return;
    const input = e.target;
    if (!(input instanceof HTMLInputElement) || input.getAttribute("role") !== "combobox" ||
        input.getAttribute("aria-expanded") !== "true") return;
    const list = document.getElementById(input.getAttribute("aria-controls") || "");
    // the dropdown's own keydown runs after this one, and opens the list again on any key
    e.stopPropagation();
    if (e.key === "Escape") {
      e.preventDefault();
      // closed; the focus stays on the dropdown's block (on the input it would open it again)
      const block = input.closest(".block") || input.parentElement;
      input.blur();
      if (!block.hasAttribute("tabindex")) block.setAttribute("tabindex", "-1");
      block.focus({ preventScroll: true });
      return;
    }
    const all = [...document.querySelectorAll(FOCUSABLE)].filter((el) =>
      !el.disabled && el.offsetParent !== null && !(list && list.contains(el)) && el.getAttribute("tabindex") !== "-1");
    const at = all.indexOf(input);
    const next = all[at + (e.shiftKey ? -1 : 1)];
    if (!next) return;
    e.preventDefault();
    input.blur();
    next.focus();
  }, true);
})();
