// When the app restarts (or a sign-in ends), every event of an open page failed with a red
// "Error" on each box and no sentence: Save and Next seemed to do nothing. The page's calls to
// the server are watched; one answered 401 (signed out) or not answered at all (the app is
// down or restarting) puts a line at the top of the page that says so and what to do. Unsaved
// span edits are kept in this browser (drafts) and come back after the reload.
(() => {
  const ID = "cot-connection-lost";
  function say(text) {
    let bar = document.getElementById(ID);
    if (!bar) {
      bar = document.createElement("div");
      bar.id = ID;
      bar.setAttribute("role", "alert");
      // at the foot of the window, its words wrapped: at the top it ran off the screen in one
      // line, and Gradio's notices (top right) covered its Reload button
      bar.style.cssText = "position:fixed;bottom:0;left:0;right:0;z-index:10000;padding:10px 16px;" +
        "background:#b91c1c;color:#fff;font-weight:600;text-align:center;white-space:normal;overflow-wrap:anywhere;";
      const reload = document.createElement("button");
      reload.textContent = "Reload the page";
      reload.style.cssText = "margin-left:12px;padding:2px 10px;border-radius:4px;border:1px solid #fff;" +
        "background:#fff;color:#b91c1c;font-weight:600;cursor:pointer;";
      reload.addEventListener("click", () => window.location.reload());
      bar.append(document.createElement("span"), reload);
      document.body.append(bar);
    }
    bar.firstChild.textContent = text;
  }
  const api = (url) => /\/gradio_api\/(queue\/join|run\/|call\/)/.test(url);
  const plain = window.fetch.bind(window);
  let signedOut = false;   // then the page's timers ask nothing more (a dead page sent 179 refused calls in 3 min)
  window.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (signedOut && api(url)) return new Response(null, { status: 401, statusText: "signed out" });
    let answer;
    try {
      answer = await plain(input, init);
    } catch (e) {
      if (api(url) && !(init && init.signal && init.signal.aborted)) {
        say("The app cannot be reached (it may be restarting): nothing was done. Reload the page once it is back; " +
            "unsaved edits are kept in this browser.");
      }
      throw e;
    }
    if (api(url) && answer.status === 401) {
      signedOut = true;
      say("You are signed out (the app restarted, or your sign-in ended): nothing was done. Reload the page and " +
          "sign in again; unsaved edits are kept in this browser.");
    }
    return answer;
  };
})();
