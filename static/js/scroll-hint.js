// A hint with data-scroll-hint-for="ID" is shown while the element with
// that id, a horizontally scrolling table wrapper, is wider inside than on
// screen and not yet scrolled to its right end.
document.addEventListener("DOMContentLoaded", () => {
  for (const hint of document.querySelectorAll("[data-scroll-hint-for]")) {
    const wrapper = document.getElementById(hint.dataset.scrollHintFor);
    const update = () => {
      // One pixel of slack, because browsers round the scroll position.
      const hiddenWidth = wrapper.scrollWidth - wrapper.clientWidth - wrapper.scrollLeft;
      hint.hidden = hiddenWidth <= 1;
    };
    update();
    wrapper.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
  }
});
