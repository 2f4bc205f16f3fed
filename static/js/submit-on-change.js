// Submit the form of every <select data-submit-on-change> when its choice
// changes, such as the language switch in the top bar. Kept in a static
// file because the Content-Security-Policy forbids inline event handlers.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("select[data-submit-on-change]") && field.form) {
    field.form.submit();
  }
});
