// Copy buttons: <button data-copy-target="ID" data-copied-text="Copied">
// copies the value of the input with that id to the clipboard, then fires
// a "copied" event on the button, only when the copy succeeded.
(function () {
  "use strict";

  function copyValue(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    // Plain http pages other than localhost have no clipboard API.
    input.select();
    var copied = document.execCommand("copy");
    return copied ? Promise.resolve() : Promise.reject(new Error("copy command failed"));
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var label = button.textContent;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.copyTarget);
      copyValue(input).then(
        function () {
          button.dispatchEvent(new CustomEvent("copied"));
          button.textContent = button.dataset.copiedText;
          window.setTimeout(function () {
            button.textContent = label;
          }, 2000);
        },
        function () {
          // The text stays selected, so the admin can copy it by hand.
          input.select();
        }
      );
    });
  });
})();
