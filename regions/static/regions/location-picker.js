// Map and paste box of regions.forms.LocationWidget, on Leaflet (window.L).
//
// The form's latitude and longitude inputs contain the location. A click on
// the map, a dragged pin or pasted text writes them; typing in them moves
// the pin. Pasted text is read here for instant feedback only: the server
// checks the submitted values with the importer's coordinate rules.
(function () {
  "use strict";

  var INDONESIA_CENTER = [-2.5, 118];
  var INDONESIA_ZOOM = 5;
  var PIN_ZOOM = 17;
  var DECIMAL_PLACES = 6;

  // Indonesia's extent, as in customers/importing/cleaners.py.
  var LATITUDE_RANGE = [-11.5, 6.5];
  var LONGITUDE_RANGE = [94, 141.5];

  // The link and pair forms that cleaners.clean_coordinates() reads.
  var NUMBER = "[-+]?\\d+(?:[.,]\\d+)?";
  var DECIMAL_PAIR = new RegExp("^(" + NUMBER + ")\\s*[,;\\s]\\s*(" + NUMBER + ")$");
  var MAPS_PLACE = new RegExp("!3d(" + NUMBER + ")!4d(" + NUMBER + ")");
  var MAPS_VIEWPORT = new RegExp("@(" + NUMBER + "),(" + NUMBER + ")");
  var MAPS_QUERY_KEYS = ["q", "query", "ll", "sll", "center", "destination", "daddr"];
  var SHORT_LINK_HOSTS = ["maps.app.goo.gl", "goo.gl", "g.co"];
  var OSM_HOSTS = ["osm.org", "www.osm.org", "openstreetmap.org", "www.openstreetmap.org"];
  var OSM_VIEW = new RegExp("^\\d+(?:\\.\\d+)?/(" + NUMBER + ")/(" + NUMBER + ")$");
  var DECIMAL_COORDINATE = /^[-+]?\d+(?:\.\d+)?$/;
  // As customers/importing/osm_short_links.py: 3 longitude and 3 latitude
  // bits per character, interleaved, on a 32-bit grid.
  var OSM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~";
  var OSM_CODE = /^([A-Za-z0-9_~@]{1,11})-{0,2}$/;

  function toNumber(text) {
    return Number(text.replace(",", "."));
  }

  function pairFrom(text) {
    var match = DECIMAL_PAIR.exec(text.trim());
    return match ? [toNumber(match[1]), toNumber(match[2])] : null;
  }

  function inIndonesia(latitude, longitude) {
    return (
      latitude >= LATITUDE_RANGE[0] &&
      latitude <= LATITUDE_RANGE[1] &&
      longitude >= LONGITUDE_RANGE[0] &&
      longitude <= LONGITUDE_RANGE[1]
    );
  }

  function looksLikeLink(text) {
    var lowered = text.toLowerCase();
    return (
      lowered.indexOf("://") !== -1 ||
      ["www.", "maps.", "goo.gl", "geo:", "google.", "openstreetmap.", "osm.org"].some(function (prefix) {
        return lowered.indexOf(prefix) === 0;
      })
    );
  }

  // Return [latitude, longitude] of an OpenStreetMap short link code, or null.
  function pairFromOsmCode(code) {
    var match = OSM_CODE.exec(code.replace(/\/$/, ""));
    if (!match) {
      return null;
    }
    var characters = match[1].replace(/@/g, "~");
    var x = 0;
    var y = 0;
    for (var index = 0; index < characters.length; index += 1) {
      var value = OSM_ALPHABET.indexOf(characters[index]);
      [5, 3, 1].forEach(function (shift) {
        x = x * 2 + ((value >> shift) & 1);
        y = y * 2 + ((value >> (shift - 1)) & 1);
      });
    }
    var bits = 3 * characters.length;
    var scale = Math.pow(2, 32 - bits);
    // Multiplying by a fraction drops the bits beyond the grid, as a shift would.
    x = Math.floor(x * scale);
    y = Math.floor(y * scale);
    var grid = Math.pow(2, 32);
    return [(y * 180) / grid - 90, (x * 360) / grid - 180];
  }

  // Return [latitude, longitude] of an OpenStreetMap marker (?mlat=…&mlon=…),
  // null without one, or an error name for a marker that cannot be read.
  function pairFromOsmMarker(url) {
    var latitudes = url.searchParams.getAll("mlat");
    var longitudes = url.searchParams.getAll("mlon");
    if (!latitudes.length && !longitudes.length) {
      return null;
    }
    if (latitudes.length !== 1 || longitudes.length !== 1) {
      return "link_unrecognised";
    }
    var latitude = latitudes[0].trim();
    var longitude = longitudes[0].trim();
    if (!DECIMAL_COORDINATE.test(latitude) || !DECIMAL_COORDINATE.test(longitude)) {
      return "link_unrecognised";
    }
    return [Number(latitude), Number(longitude)];
  }

  // Return [latitude, longitude] from a map link, or an error name.
  function pairFromLink(text) {
    if (text.toLowerCase().indexOf("geo:") === 0) {
      return pairFrom(text.slice(4).split("?")[0].split(";")[0]) || "link_unrecognised";
    }
    var url;
    try {
      url = new URL(text.indexOf("://") === -1 ? "https://" + text : text);
    } catch (error) {
      return "link_unrecognised";
    }
    if (SHORT_LINK_HOSTS.indexOf(url.hostname.toLowerCase()) !== -1) {
      return "short_link";
    }

    var path = decodeURIComponent(url.pathname.replace(/\+/g, " "));
    var match = MAPS_PLACE.exec(path);
    if (match) {
      return [toNumber(match[1]), toNumber(match[2])];
    }
    var marker = pairFromOsmMarker(url);
    if (marker) {
      return marker;
    }
    if (OSM_HOSTS.indexOf(url.hostname.toLowerCase()) !== -1 && path.indexOf("/go/") === 0) {
      return pairFromOsmCode(path.slice(4)) || "link_unrecognised";
    }
    for (var index = 0; index < MAPS_QUERY_KEYS.length; index += 1) {
      var value = url.searchParams.get(MAPS_QUERY_KEYS[index]);
      var pair = value && pairFrom(value.replace(/^\s*loc:/, ""));
      if (pair) {
        return pair;
      }
    }
    match = MAPS_VIEWPORT.exec(path);
    if (match) {
      return [toNumber(match[1]), toNumber(match[2])];
    }
    var segments = path.split("/");
    for (var segment = 0; segment < segments.length; segment += 1) {
      var segmentPair = pairFrom(segments[segment]);
      if (segmentPair) {
        return segmentPair;
      }
    }
    var view = OSM_VIEW.exec(new URLSearchParams(url.hash.slice(1)).get("map") || "");
    if (view) {
      return [toNumber(view[1]), toNumber(view[2])];
    }
    return "link_unrecognised";
  }

  // Read pasted text. Returns {latitude, longitude, swapped} or {error}.
  function readLocation(rawText) {
    var text = rawText.replace(/\u2212/g, "-").replace(/\u00a0/g, " ").trim();
    var pair = looksLikeLink(text) ? pairFromLink(text) : pairFrom(text) || "unread";
    if (typeof pair === "string") {
      return { error: pair };
    }
    var latitude = pair[0];
    var longitude = pair[1];
    if (inIndonesia(latitude, longitude)) {
      return { latitude: latitude, longitude: longitude, swapped: false };
    }
    if (inIndonesia(longitude, latitude)) {
      return { latitude: longitude, longitude: latitude, swapped: true };
    }
    return { error: "outside", latitude: latitude, longitude: longitude };
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  function setUpPicker(root) {
    var form = root.closest("form");
    var latitudeInput = form && form.elements[root.dataset.latitudeField];
    var longitudeInput = form && form.elements[root.dataset.longitudeField];
    if (!latitudeInput || !longitudeInput) {
      console.error("Location picker: no inputs named", root.dataset.latitudeField, root.dataset.longitudeField);
      return;
    }
    var paste = root.querySelector(".location-paste");
    var feedback = root.querySelector(".location-feedback");

    var map = L.map(root.querySelector(".location-map"));
    L.tileLayer(root.dataset.tileUrl, { maxZoom: 19, attribution: root.dataset.tileAttribution }).addTo(map);
    var marker = null;

    function inputPoint() {
      var latitude = toNumber(latitudeInput.value.trim());
      var longitude = toNumber(longitudeInput.value.trim());
      if (latitudeInput.value.trim() === "" || longitudeInput.value.trim() === "") {
        return null;
      }
      return isFinite(latitude) && isFinite(longitude) ? L.latLng(latitude, longitude) : null;
    }

    function writeInputs(point) {
      latitudeInput.value = point.lat.toFixed(DECIMAL_PLACES);
      longitudeInput.value = point.lng.toFixed(DECIMAL_PLACES);
      latitudeInput.dispatchEvent(new Event("change", { bubbles: true }));
      longitudeInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function placeMarker(point) {
      if (marker) {
        marker.setLatLng(point);
        return;
      }
      marker = L.marker(point, { draggable: true, autoPan: true }).addTo(map);
      marker.on("dragend", function () {
        writeInputs(marker.getLatLng());
        feedback.textContent = "";
      });
    }

    function showPoint(point) {
      placeMarker(point);
      map.setView(point, Math.max(map.getZoom() || 0, PIN_ZOOM));
    }

    var start = inputPoint();
    if (start) {
      map.setView(start, PIN_ZOOM);
      placeMarker(start);
    } else {
      map.setView(INDONESIA_CENTER, INDONESIA_ZOOM);
    }

    map.on("click", function (event) {
      placeMarker(event.latlng);
      writeInputs(event.latlng);
      feedback.textContent = "";
    });

    [latitudeInput, longitudeInput].forEach(function (input) {
      input.addEventListener("input", function () {
        var point = inputPoint();
        if (point) {
          placeMarker(point);
          map.panTo(point);
        }
      });
    });

    function readPaste() {
      if (!paste.value.trim()) {
        feedback.textContent = "";
        return;
      }
      var location = readLocation(paste.value);
      if (location.error) {
        var messages = {
          short_link: root.dataset.textShortLink,
          link_unrecognised: root.dataset.textLinkUnrecognised,
          outside: format(root.dataset.textOutside, location),
          unread: root.dataset.textUnread,
        };
        feedback.textContent = messages[location.error];
        feedback.classList.add("error");
        return;
      }
      var point = L.latLng(location.latitude, location.longitude);
      writeInputs(point);
      showPoint(point);
      var values = {
        latitude: point.lat.toFixed(DECIMAL_PLACES),
        longitude: point.lng.toFixed(DECIMAL_PLACES),
      };
      feedback.textContent = format(location.swapped ? root.dataset.textSwapped : root.dataset.textFound, values);
      feedback.classList.remove("error");
      // The inputs contain the location now, so a pin dragged later is not
      // overridden by this text on submit.
      paste.value = "";
    }

    // Read on paste, on leaving the box and on Enter, but not on every key,
    // so typing "-6.48, 10" is not taken for a location half-way.
    paste.addEventListener("paste", function () {
      // The pasted text is in the box only after this event.
      window.setTimeout(readPaste, 0);
    });
    paste.addEventListener("change", readPaste);
    paste.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        readPaste();
      }
    });

    var locate = root.querySelector(".location-locate");
    function showLocateMessage(text, isError) {
      feedback.textContent = text;
      feedback.classList.toggle("error", isError);
    }
    // The button is hidden without JavaScript. Browsers give the location
    // only to secure pages (https, or http on localhost).
    locate.hidden = false;
    locate.addEventListener("click", function () {
      if (!navigator.geolocation || !window.isSecureContext) {
        showLocateMessage(root.dataset.textLocateUnavailable, true);
        return;
      }
      showLocateMessage(root.dataset.textLocating, false);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var latitude = position.coords.latitude;
          var longitude = position.coords.longitude;
          var values = { latitude: latitude.toFixed(DECIMAL_PLACES), longitude: longitude.toFixed(DECIMAL_PLACES) };
          if (!inIndonesia(latitude, longitude)) {
            showLocateMessage(format(root.dataset.textOutside, values), true);
            return;
          }
          var point = L.latLng(latitude, longitude);
          writeInputs(point);
          showPoint(point);
          // An accuracy of 0, the default of Chromium's emulated
          // positions, is no real fix, so the message leaves it out. An
          // accuracy below 1 m is shown as 1 m.
          var accuracy = position.coords.accuracy;
          if (accuracy > 0) {
            values.accuracy = Math.max(1, Math.round(accuracy));
            showLocateMessage(format(root.dataset.textLocated, values), false);
          } else {
            showLocateMessage(format(root.dataset.textLocatedWithoutAccuracy, values), false);
          }
        },
        function (error) {
          var denied = error.code === error.PERMISSION_DENIED;
          showLocateMessage(denied ? root.dataset.textLocateRefused : root.dataset.textLocateFailed, true);
        },
        // A phone's GPS may take a while to get a fix, and a cached position
        // of up to a minute is as good for a house.
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });

    // For other scripts and browser tests.
    root.locationPicker = {
      map: map,
      marker: function () {
        return marker;
      },
      readLocation: readLocation,
    };
  }

  function setUpAll() {
    document.querySelectorAll("[data-location-picker]").forEach(setUpPicker);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
