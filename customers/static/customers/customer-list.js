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
