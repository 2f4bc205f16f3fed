// Cascading region selects of regions.forms.VillageWidget and AreaWidget.
//
// Choosing a province, regency or district empties the levels below it and
// fetches the next list from the regions JSON views. Choosing a village
// writes its code into the hidden input, which is the submitted value; in
// an area picker, choosing any level does. The filter box above each select
// hides the options that do not contain the typed text; when one option is
// left, it is chosen.
(function () {
  "use strict";

  // Same comparison form as regions.names.compact_key: "Suka Maju" matches "sukamaju".
  function compact(text) {
    return text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^0-9a-z]+/g, "");
  }

  function setUpPicker(root) {
    var hidden = root.querySelector("[data-region-value]");
    // An area picker (regions.forms.AreaWidget) may stop at any level.
    var anyLevel = root.hasAttribute("data-region-any-level");
    var levels = Array.prototype.map.call(root.querySelectorAll("[data-region-level]"), function (element) {
      return {
        select: element.querySelector("select"),
        filter: element.querySelector(".region-filter"),
        url: element.dataset.url,
        parameter: element.dataset.parameter,
        requestCount: 0,
      };
    });

    function placeholderOption(level) {
      return level.select.options[0];
    }

    function clearOptions(level) {
      while (level.select.options.length > 1) {
        level.select.remove(1);
      }
      placeholderOption(level).textContent = level.select.dataset.placeholder;
      level.select.value = "";
      level.filter.value = "";
    }

    function resetLevel(level) {
      // A response still on its way is ignored once its level is reset.
      level.requestCount += 1;
      clearOptions(level);
      level.select.disabled = true;
    }

    function fillLevel(level, regions) {
      clearOptions(level);
      regions.forEach(function (region) {
        level.select.add(new Option(region.name, region.code));
      });
      level.select.disabled = false;
    }

    function loadLevel(index, parentCode) {
      var level = levels[index];
      resetLevel(level);
      var request = level.requestCount;
      placeholderOption(level).textContent = root.dataset.loadingText;

      var query = new URLSearchParams();
      query.set(level.parameter, parentCode);
      fetch(level.url + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status + " from " + level.url);
          }
          return response.json();
        })
        .then(function (regions) {
          if (request === level.requestCount) {
            fillLevel(level, regions);
            root.dispatchEvent(new CustomEvent("regionlevelloaded", { detail: { index: index } }));
          }
        })
        .catch(function (error) {
          if (request === level.requestCount) {
            placeholderOption(level).textContent = root.dataset.errorText;
            console.error(error);
          }
        });
    }

    function setValue(code) {
      if (hidden.value !== code) {
        hidden.value = code;
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    function onLevelChange(index) {
      var code = levels[index].select.value;
      for (var lower = index + 1; lower < levels.length; lower += 1) {
        resetLevel(levels[lower]);
      }
      var isVillage = index === levels.length - 1;
      if (anyLevel) {
        // The lowest level chosen is the value; "" at a level falls back to the one above.
        setValue(code || (index > 0 ? levels[index - 1].select.value : ""));
      } else {
        setValue(isVillage ? code : "");
      }
      if (!isVillage && code) {
        loadLevel(index + 1, code);
      }
    }

    function applyFilter(index) {
      var level = levels[index];
      var needle = compact(level.filter.value);
      var visible = [];
      Array.prototype.forEach.call(level.select.options, function (option, optionIndex) {
        if (optionIndex === 0) {
          return;
        }
        var matches = compact(option.textContent).indexOf(needle) !== -1;
        option.hidden = !matches;
        if (matches) {
          visible.push(option);
        }
      });
      if (needle && visible.length === 1 && level.select.value !== visible[0].value) {
        level.select.value = visible[0].value;
        onLevelChange(index);
      }
      return visible;
    }

    levels.forEach(function (level, index) {
      level.select.addEventListener("change", function () {
        onLevelChange(index);
      });
      level.filter.addEventListener("input", function () {
        applyFilter(index);
      });
      level.filter.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") {
          return;
        }
        // Enter chooses the first option left instead of submitting the form.
        event.preventDefault();
        var visible = applyFilter(index);
        if (visible.length && level.select.value !== visible[0].value) {
          level.select.value = visible[0].value;
          onLevelChange(index);
        }
      });
    });
  }

  function setUpAll() {
    document.querySelectorAll("[data-region-picker]").forEach(setUpPicker);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
