// Show the Sites and Rights fields of the staff form only while the role is
// site admin, because an admin can open every site and has every right.
(function () {
  var form = document.getElementById("staff-form");
  if (!form) {
    return;
  }
  var siteAdminOnly = ["id_sites", "id_rights"]
    .map(function (id) { var field = document.getElementById(id); return field && field.closest(".field"); })
    .filter(Boolean);

  function update() {
    var chosen = form.querySelector("input[name=role]:checked");
    var isSiteAdmin = !chosen || chosen.value === "site_admin";
    siteAdminOnly.forEach(function (field) { field.hidden = !isSiteAdmin; });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "role") {
      update();
    }
  });
  update();
})();
