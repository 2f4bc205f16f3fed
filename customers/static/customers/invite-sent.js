// Marks each invitation whose WhatsApp button was pressed, so staff working
// through a long list see which customers are left, and makes the browser
// warn before the page is left with invitations unsent, because the links
// are shown only once.
(function () {
  "use strict";

  var table = document.querySelector(".invite-list");
  if (!table) {
    return;
  }
  var copiedAll = false;

  table.querySelectorAll("a.whatsapp").forEach(function (link) {
    link.addEventListener("click", function () {
      link.closest("tr").classList.add("sent");
      link.textContent = link.dataset.sentText;
    });
  });

  var copyAll = document.getElementById("invite-copy-all");
  if (copyAll) {
    // Only a copy that succeeded ends the warning: a failed one leaves the
    // text selected for copying by hand, which this page cannot see.
    copyAll.addEventListener("copied", function () {
      copiedAll = true;
    });
  }

  // Browsers show their own text in this dialog, whatever the page sets.
  window.addEventListener("beforeunload", function (event) {
    if (copiedAll || !table.querySelector("tbody tr:not(.sent)")) {
      return;
    }
    event.preventDefault();
    event.returnValue = "";
  });
})();
