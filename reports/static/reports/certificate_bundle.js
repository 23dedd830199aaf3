// The certificate ZIP page (templates/reports/certificate_bundle.html, decision 0014): while the
// ZIP is being made, asks its JSON status (reports_admin:certificate_bundle_status) at most every
// few seconds and updates the <progress> and the polite status line in place, instead of
// reloading the page; once the build ends, shows the download link, the error or the button that
// builds it again. Without this script the page's 「状況を更新」 link reloads it.
(function () {
  "use strict";

  var section = document.getElementById("bundle");
  if (!section || !section.dataset.statusUrl || !window.fetch) {
    return;
  }
  var url = section.dataset.statusUrl;
  var interval = Math.max(3, Number(section.dataset.pollSeconds) || 3) * 1000;
  var status = document.getElementById("bundle-status");
  var progress = document.getElementById("bundle-progress");
  var label = document.getElementById("bundle-progress-label");
  var result = document.getElementById("bundle-result");
  var state = section.dataset.state;
  var announcedPercent = progress && progress.max ? (100 * progress.value) / progress.max : 0;
  var failures = 0;

  function announce(data) {
    // A screen reader hears a change of state, and progress in steps of 10 %, not every poll.
    if (data.state !== state || data.percent - announcedPercent >= 10) {
      status.textContent = data.message;
      announcedPercent = data.percent;
    }
  }

  function fromTemplate(id) {
    var template = document.getElementById(id);
    return template ? template.content.cloneNode(true) : null;
  }

  function finish(data) {
    var refresh = document.getElementById("bundle-refresh");
    if (refresh) {
      refresh.remove();
    }
    result.replaceChildren();
    if (data.state === "done") {
      var fragment = fromTemplate("bundle-download-template");
      fragment.querySelector("[data-bundle-download]").href = data.download_url;
      fragment.querySelector("[data-bundle-size]").textContent = data.size_label;
      result.appendChild(fragment);
    } else if (data.state === "failed") {
      var block = document.getElementById("bundle-progress-block");
      if (block) {
        block.remove();
      }
      var error = document.createElement("p");
      error.className = "help-block help-critical";
      error.textContent = data.error;
      result.appendChild(error);
    } else if (data.state === "stalled") {
      result.appendChild(fromTemplate("bundle-requeue-template"));
    }
  }

  function update(data) {
    if (progress) {
      progress.max = data.total;
      progress.value = data.done;
      progress.textContent = data.percent + "%";
      label.textContent = data.progress_label;
    }
    announce(data);
    state = data.state;
    section.dataset.state = state;
    if (state === "queued" || state === "running") {
      window.setTimeout(poll, interval);
    } else {
      finish(data);
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("application/json")) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        update(data);
      })
      .catch(function () {
        // A lost connection: try again more slowly; after a few failures leave it to the link.
        failures += 1;
        if (failures < 5) {
          window.setTimeout(poll, interval * (failures + 1));
        }
      });
  }

  window.setTimeout(poll, interval);
})();
