// Gradio's dropdowns and the keyboard: Tab out of an open one dropped the focus on the page
// (Chromium lets the list, a scroll container, take the focus, and the dropdown then removes
// it), left the list open over the form and the tab bar, and Escape did not close it. Here the
// list never takes the focus, so Tab and Shift+Tab go on to the next (previous) control in
// the page's own order and the list closes as the dropdown loses it; Escape closes it, the
// focus kept on the dropdown's block (Tab goes on from there).
(() => {
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Tab" && e.key !== "Escape") return;
    const input = e.target;
    if (!(input instanceof HTMLInputElement) || input.getAttribute("role") !== "combobox" ||
        input.getAttribute("aria-expanded") !== "true") return;
    const list = document.getElementById(input.getAttribute("aria-controls") || "");
    // the dropdown's own keydown runs after this one, and keeps the list open on any key
    e.stopPropagation();
    if (e.key === "Tab") {   // the browser moves the focus, in the page's order; only not into the list
      if (list) list.setAttribute("tabindex", "-1");
      return;
    }
    e.preventDefault();
    const block = input.closest(".block") || input.parentElement;
    input.blur();
    if (!block.hasAttribute("tabindex")) block.setAttribute("tabindex", "-1");
    block.focus({ preventScroll: true });
  }, true);
  // a list that took the focus anyway (a click on its scrollbar, say) hands it to its dropdown
  document.addEventListener("focusin", (e) => {
    const list = e.target;
    if (!(list instanceof HTMLElement) || list.getAttribute("role") !== "listbox" || !list.id) return;
    const input = document.querySelector(`input[role="combobox"][aria-controls="${list.id}"]`);
    if (input && e.relatedTarget !== input) input.focus();
  }, true);
})();
