// Marks each invitation whose WhatsApp button was pressed, so staff working
// through a long list see which customers are left.
(function () {
  "use strict";

  document.querySelectorAll(".invite-list a.whatsapp").forEach(function (link) {
    link.addEventListener("click", function () {
      link.closest("tr").classList.add("sent");
      link.textContent = link.dataset.sentText;
    });
  });
})();
