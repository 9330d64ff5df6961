// The check-in button: POST the page's signed pass to the API without cookies (ADR 0017), show
// the answer in place. Anything unexpected (an expired pass, no network) falls back to the
// plain form post, which checks in with the session.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form || !window.fetch) return;
  var result = document.getElementById("checkin-result");
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) return; // the fallback submit
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.dataset.api, {
      method: "POST",
      credentials: "omit",
      headers: { Authorization: "Bearer " + form.dataset.pass, Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (answer) {
        var at = new Date(answer.at);
        var time = at.toLocaleTimeString("zh-CN", {
          hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Shanghai",
        });
        var text = answer.created ? form.dataset.created : form.dataset.repeat;
        result.textContent = text.replace("%(time)s", time);
        result.hidden = false;
        form.hidden = true;
      })
      .catch(function () {
        sent = true;
        button.disabled = false;
        form.submit();
      });
  });
})();
