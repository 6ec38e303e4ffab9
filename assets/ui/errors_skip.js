// Errors from the keyboard: past Analyse, the first error row was some 37 Tab stops away (each
// table's Copy and Fullscreen, two plots' toolbars). A link after Analyse, seen while it has
// the focus, goes to the table's first row, where the arrows move and Enter opens the post.
(() => {
  const LINK = "errors-skip";
  document.addEventListener("focusin", (e) => {
    const button = e.target.closest && e.target.closest("#errors-btn");
    if (!button || document.getElementById(LINK)) return;
    const link = document.createElement("a");
    link.id = LINK;
    link.className = "se-skip";
    link.href = "#errors-table";
    link.textContent = "Skip to the errors table";
    button.after(link);
  });
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest(`#${LINK}`);
    if (!link) return;
    e.preventDefault();
    const cell = document.querySelector('#errors-table [data-testid="cell-0-0"]');
    if (cell) { link.textContent = "Skip to the errors table"; cell.scrollIntoView({ block: "center" }); cell.focus(); }
    else link.textContent = "No errors table yet: press Analyse first";   // until the next press finds one
  });
})();
