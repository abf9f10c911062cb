/* The embeddable widget: a button in the corner of a partner's page that opens the chat in a frame.
   Add it with one tag: <script src="https://YOUR-CHAT-ADDRESS/widget.js" async></script> */
(function (words) {
  "use strict";
  var script = document.currentScript;
  if (!script || !document.body) { return; }
  var base = new URL(script.src).origin;
  var frame = null;
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = words.open;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "careers-bot-frame");
  var look = button.style;
  look.position = "fixed"; look.right = "16px"; look.bottom = "16px"; look.zIndex = "2147483000";
  look.padding = "10px 14px"; look.font = "bold 16px Arial, sans-serif"; look.color = "#fff";
  look.background = "#00703c"; look.border = "2px solid #fff"; look.borderRadius = "0"; look.cursor = "pointer";
  look.boxShadow = "0 2px 0 #002d18";

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "careers-bot-frame";
      frame.title = words.title;
      frame.src = base + "/embed";
      var f = frame.style;
      f.position = "fixed"; f.right = "16px"; f.bottom = "70px"; f.zIndex = "2147483000";
      f.width = "min(400px, calc(100vw - 32px))"; f.height = "min(600px, calc(100vh - 100px))";
      f.border = "2px solid #0b0c0c"; f.background = "#fff";
      document.body.appendChild(frame);
    }
    frame.hidden = false;
    button.textContent = words.close;
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function close() {
    frame.hidden = true;
    button.textContent = words.open;
    button.setAttribute("aria-expanded", "false");
  }

  button.addEventListener("click", function () {
    if (frame && !frame.hidden) { close(); } else { open(); }
  });
  document.body.appendChild(button);
}(__WORDS__));
