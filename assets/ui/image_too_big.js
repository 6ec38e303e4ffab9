// An image over the upload cap is refused by Gradio in the browser with a corner toast (shown
// twice) and the box stays empty; Analyse then stored the text alone, and nothing under it
// said why. Said beside the image box instead, as a refusal, until another file is chosen.
// LIMIT_BYTES is filled in by cot_explorer/ui/app.py from limits.MAX_IMAGE_BYTES.
(() => {
  const LIMIT = LIMIT_BYTES;
  const BOXES = "#post-image";
  function say(box, files) {
    const big = [...(files || [])].find((f) => f.size > LIMIT);
    let note = document.getElementById("image-too-big");
    if (!big) { note?.remove(); return; }
    if (!note) {
      note = document.createElement("p");
      note.id = "image-too-big";
      note.setAttribute("role", "alert");
      box.after(note);
    }
    const mb = (n) => (n / 1048576).toFixed(1);
    note.textContent = `Not attached: ${big.name} is ${mb(big.size)} MB, over the ${mb(LIMIT)} MB limit. ` +
      "Analyse would store the text without an image: pick a smaller one.";
  }
  document.addEventListener("change", (ev) => {
    const input = ev.target;
    if (input instanceof HTMLInputElement && input.type === "file" && input.closest(BOXES)) say(input.closest(BOXES), input.files);
  }, true);
  document.addEventListener("drop", (ev) => {
    const box = ev.target instanceof Element && ev.target.closest(BOXES);
    if (box && ev.dataTransfer) say(box, ev.dataTransfer.files);
  }, true);
})();
