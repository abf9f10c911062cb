/* The chat page without reloads: sends each message to /api/chat and adds the replies to the log.
   Without this script the same form posts to the server and the page reloads; nothing else differs. */
(function () {
  "use strict";
  var form = document.getElementById("chat-form");
  if (!form) { return; }
  var log = document.getElementById("transcript");
  var input = document.getElementById("text");
  var status = document.getElementById("status");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var busy = false;

  function line(byPerson, html, buttons) {
    var message = document.createElement("div");
    message.className = "message " + (byPerson ? "person" : "bot");
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (byPerson ? form.dataset.you : form.dataset.bot) + ": ";
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.innerHTML = html;  // escaped by the server
    message.appendChild(who);
    message.appendChild(bubble);
    if (buttons && buttons.length) {
      var group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", form.dataset.choices);
      buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "submit";
        button.className = "choice";
        button.setAttribute("form", "chat-form");
        button.name = "payload";
        button.value = b.payload;
        button.textContent = b.label;
        group.appendChild(button);
      });
      message.appendChild(group);
    }
    log.appendChild(message);
    return message;
  }

  function personLine(text) {
    var p = document.createElement("p");
    p.textContent = text;
    line(true, p.outerHTML, []);
  }

  function dropOldChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".choices"), function (g) { g.remove(); });
  }

  function show(replies) {
    var first = null;
    (replies || []).forEach(function (r) {
      var added = line(false, r.html, r.buttons);
      first = first || added;
    });
    if (first) { first.scrollIntoView({ block: "nearest" }); }
  }

  function send(body, said) {
    if (busy) { return; }
    busy = true;
    status.textContent = form.dataset.sending;
    dropOldChoices();
    personLine(said);
    fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      show(data.replies);
      status.textContent = "";
    }).catch(function () {
      status.textContent = form.dataset.failed;
    }).then(function () {
      busy = false;
      input.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var pressed = event.submitter;
    if (pressed && pressed.name === "payload") {
      send({ payload: pressed.value }, pressed.textContent);
      return;
    }
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = "";
    send({ text: text }, text);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  log.scrollTop = log.scrollHeight;
}());
