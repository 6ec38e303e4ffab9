// A filter set in a column's ⋮ menu of the errors table (Gradio's, kept in the page) stayed on
// for the next analysis: another split's table showed no row under "425 errors". Each new
// analysis (its note changes) clears them, through the menu's own "Clear filters".
(() => {
  let said = null;
  function clearFilters(tries) {
    const th = document.querySelector("#errors-table .filter-indicator")?.closest("th");
    const open = th && th.querySelector("button[aria-label='Open cell menu']");
    if (!open || tries <= 0) return;
    open.click();
    requestAnimationFrame(() => {   // the menu is drawn on the next frame
      const item = Array.from(document.querySelectorAll(".cell-menu [role=menuitem]"))
        .find((b) => b.textContent.trim() === "Clear filters");
      if (item) item.click();
      setTimeout(() => clearFilters(tries - 1), 100);   // another column's, if one is left
    });
  }
  function watch() {
    const note = document.getElementById("errors-note");
    if (!note) { setTimeout(watch, 500); return; }
    new MutationObserver(() => {
      // the note's words, not the progress drawn over it (each visit of the tab drew some, and a
      // filter set on purpose went at the way back from Annotate)
      const text = (note.querySelector(".prose") || note).textContent;
      if (text === said) return;
      said = text;
      setTimeout(() => clearFilters(8), 50);
    }).observe(note, { childList: true, subtree: true, characterData: true });
  }
  watch();
})();
