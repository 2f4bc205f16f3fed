// The header checkbox of the customer list ticks or clears every customer
// checkbox on the page.
document.addEventListener("DOMContentLoaded", () => {
  for (const toggle of document.querySelectorAll("[data-select-page]")) {
    const boxes = toggle.form.querySelectorAll("input[name='bulk-customers']");
    toggle.addEventListener("change", () => {
      for (const box of boxes) {
        box.checked = toggle.checked;
      }
    });
  }
});

// Sections marked data-fold-narrow come open from the server, so they work
// without JavaScript. On a phone they are folded, so the first customers are
// on the first screen, unless marked data-fold-keep-open (a filter is set).
// On a wider screen their summary is hidden by customers.css, so they are
// opened again when the window grows.
document.addEventListener("DOMContentLoaded", () => {
  const narrow = window.matchMedia("(max-width: 700px)");
  const folds = document.querySelectorAll("details[data-fold-narrow]");
  if (narrow.matches) {
    for (const fold of folds) {
      fold.open = "foldKeepOpen" in fold.dataset;
    }
  }
  narrow.addEventListener("change", () => {
    if (!narrow.matches) {
      for (const fold of folds) {
        fold.open = true;
      }
    }
  });
});
