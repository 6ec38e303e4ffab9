// The span editor of the Annotate tab (a gr.HTML component; see cot_explorer/ui/span_editor.py).
// `props.value` is the document the server built for one post: its tokens, the spans saved
// (`saved`) and being edited (`spans`), suggestions, entity pairs, where it is in the queue.
// Edits stay here until the user saves; the server validates every save. Nothing typed is
// lost: unsaved edits are kept as a draft in localStorage, leaving the post asks first, and a
// reload warns. Keys act only while this tab is showing and no text field has the focus.

const root = element;
let doc = null;            // the last document from the server
let spans = [];            // the working copy: [{start, end, type, origin}]
let sel = null;            // a token range being selected {a, b} (inclusive)
let selSpan = -1;          // index in `spans` of a clicked span
let anchor = null;         // where a drag or a shift-click starts
let dragging = false;
let cursor = 0;            // the word the keyboard is on: the text's one tab stop (arrows move it)
let laterFor = null;       // the post whose older draft was put off ("Later") while it stays open
let errFocus = null;       // an entity error opened from Errors {post_id, said, gold, pred}: its words marked
let local = [];            // what "u" takes back here, newest last: the working copy before an unsaved edit
let ahead = [];            // what "r" brings back here, newest last: the working copy "u" took back
let asksShown = 0;         // questions "leave this post?" asked from the server's answers (pending_open)
                           // (a list of spans), or {relation: version}, a relation saved over unsaved edits
let pair = 0;              // the entity pair on show (MNRE)
let dialog = null;         // {text, actions: [[label, fn, cls]]}
let shownDialog = null;    // the dialog last scrolled into view
const READONLY_SAID = "Your role can look, not change labels: saving is for annotators.";
let dialogFromWords = false;  // the keyboard was on the words when it opened: it goes back there
let bypassTabGuard = false;
let inFlight = null;       // a save on its way {post_id, base_version, sent}: later edits outlive its answer
let saveAgain = null;      // a timer: "s" pressed while a save was on its way, sent once that one is answered
let reveal = false;        // a post opened from another tab or a search: scrolled into view once this tab shows
let pairOpened = null;     // the pair a relation error opened from Errors is about {post_id, index}: the keyboard goes to its dropdown
let askedRel = null;       // the relation change on its way {post_id, index, label, req, waited: part of a batch,
                           // expired: no answer in 10 s}; its answer names `req` (`answers`): answers come in any order
let waiting = null;        // relation changes not sent yet {post_id, relation_version, rels: {index: label}}: refused
                           // for want of a name, or picked while another was on its way; shown as picked, and sent
                           // once a name is typed / that one is answered (they were thrown away)
let reqSeq = 0;
let batch = null;          // those saved once the name came {post_id, versions}: the note counts them
let savedTogether = 0;     // how many relations that waited were just saved: said in the bar too (the note is far below)
let marks = null;          // every relation saved on this post since it opened {post_id, saved: {index: version}}:
                           // each pair says so (only the newest did: a quick first pick seemed lost)
let afterAnswer = null;    // Next or Previous pressed while those were being saved: done once they are
let leaving = null;        // Next or Previous on its way {post_id, at, more}: the keys wait for the post asked for,
                           // and `more` Nexts (Previous: negative) pressed meanwhile are gone on with from it
                           // (an "A" pressed 50 ms after "n" took the suggestions on the post being left,
                           // kept as a draft there; the new post stayed as it was)

// Each signed-in person's own (none for the one local user): on a browser people share, the next
// one signed in was offered the last one's unsaved edits, and saved them under their own name.
const whose = () => (doc && doc.drafts_of ? `-of-${encodeURIComponent(doc.drafts_of)}` : "");
const KEY = (id) => `cot-explorer-draft${whose()}:${id}`;
const WAITING_KEY = (id) => `cot-explorer-waiting${whose()}:${id}`;   // relations waiting for a name survive a reload
const MARKS_KEY = (id) => `cot-explorer-marks${whose()}:${id}`;       // the pairs' marks and the newest one's Undo survive one too
// a draft made on a version saved over since, kept apart from the edits made after it (each of
// which is kept under KEY: the first keystroke overwrote it, and "Later" lost it)
const OLDER_KEY = (id) => `cot-explorer-older${whose()}:${id}`;
const PICKS_OUTDATED = "This post's relations changed since your picks that waited were made (a save or an undo): they are dropped, not saved over it; pick again.";
const same = (x, y) => x.start === y.start && x.end === y.end && x.type === y.type;
// a moment as the app's tables and the server's sentences say it: UTC, 24 hours (a draft's
// "12:36:41 PM", in the browser's zone, sat beside a save's "12:35:38", in UTC)
// (a draft kept without its moment is "earlier": toISOString throws on no date, and the editor was not drawn)
const utcAt = (ms, from, to) => { const d = new Date(ms); return Number.isNaN(d.getTime()) ? "earlier" : `${d.toISOString().slice(from, to).replace("T", " ")} UTC`; };
const utcTime = (ms) => utcAt(ms, 11, 19);
const utcMoment = (ms) => utcAt(ms, 0, 19);
const norm = (list) => JSON.stringify(list.map((s) => [s.start, s.end, s.type]).sort((p, q) => p[0] - q[0]));
const dirty = () => doc && norm(spans) !== norm(doc.saved || []);
const visible = () => root.offsetParent !== null;
const colorIndex = (type) => Math.max(0, (doc.types || []).indexOf(type));
const words = (sp) => doc.tokens.slice(sp.start, sp.end).map((t) => shownToken(t.t)).join(" ");   // as drawn (a lone U+FE0F by name)

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// -- state <-> server ----------------------------------------------------------------------

function load(fromServer) {
  if (fromServer && props.value && props.value.refused) {
    // the server refused what this editor asked (the status line says why): nothing waits
    // for an answer any more; drawn again from the last answer, with the unsaved edits (a
    // refused relation's dropdown goes back to the saved relation, unless it was refused for
    // want of a name: then it waits for one, shown as picked)
    inFlight = null;
    if (saveAgain) { clearTimeout(saveAgain); saveAgain = null; }
    // a Next or Previous refused (a draft's post deleted since, no post left in the queue): the keys
    // are this post's again, and the presses counted after it go with it (Next did nothing for 15 s)
    if (props.value.refused_navigate) leaving = null;
    if (props.value.pairs_now && doc && props.value.post_id === doc.post_id) {
      // refused because someone set the same pair meanwhile: the pairs as they are now, theirs
      // on show (the dropdown went back to the relation they replaced, and a pick again was
      // refused the same way)
      doc.pairs = props.value.pairs_now;
      doc.relation_version = props.value.relation_version_now;
      marks = null;
    }
    if (askedRel && props.value.answers === askedRel.req) {   // the relation's own refusal, not another request's
      if (props.value.name_needed && doc && askedRel.post_id === doc.post_id) {
        holdPick(askedRel.index, askedRel.label);
      } else if (hasWaiting()) {
        // refused for another reason (a conflict, a role): the picks queued behind it are not sent
        // either (they went on waiting "for a name" that was there)
        waiting = null;
        if (doc) doc.note = "The relations picked after it were not saved either.";
      }
      keepWaiting();
      askedRel = null;
      afterAnswer = null;   // refused: the user reads why, and nothing goes on by itself
    }
    render();
    return;
  }
  const incoming = props.value && typeof props.value === "object" ? props.value : null;
  if (fromServer && incoming && incoming.refresh_of && doc && (doc.post_id !== incoming.refresh_of || dirty() || hasWaiting())) {
    // a refresh (the tab opened again, a teacher's answer, a deletion elsewhere) is dropped where it
    // is of a post left since (it came back over the one opened meanwhile), or where edits were
    // made while it was on its way (the server leaves a post with edits as it is)
    writeValue();
    return;
  }
  const working = spans;
  const before = doc;
  const refreshed = Boolean(incoming && incoming.refresh_of);
  doc = incoming;
  if (doc) delete doc.refresh_of;
  if (!doc || !doc.post_id) { render(); return; }
  if (waiting && waiting.post_id !== doc.post_id) waiting = null;   // left the post (the editor or the server asked first)
  if (before && before.post_id !== doc.post_id) afterAnswer = null;   // a Next held for an answer: the post is gone
  // a server's answer (its rev moves on), not our own write of the working copy coming back
  const answer = fromServer && (!before || doc.rev !== before.rev || doc.post_id !== before.post_id);
  // the post asked for, or the refusal of it: the keys are its again (a refresh of the post being
  // left is not: the keys went to it while the next one was still on its way); the n and p pressed
  // while it came go on from it
  let more = 0, dropped = 0;
  if (answer && !refreshed) {
    more = leaving ? leaving.more || 0 : 0;
    dropped = leaving && !more ? leaving.dropped || 0 : 0;
    leaving = null;
  }
  if (more) setTimeout(() => navigate(more), 0);
  if (batch && (batch.post_id !== doc.post_id || (answer && !(askedRel && askedRel.waited)))) batch = null;
  const relAnswer = answer && askedRel && doc.answers === askedRel.req;
  if ((answer && !relAnswer) || (before && before.post_id !== doc.post_id)) savedTogether = 0;
  // an undo, a redo or someone's change moved the relations: the marks of saves no longer say what stands
  if (marks && (marks.post_id !== doc.post_id || (answer && !relAnswer && before && doc.relation_version !== before.relation_version))) marks = null;
  if (answer && !marks && !relAnswer) restoreMarks();
  if (before && before.post_id !== doc.post_id) document.getElementById("se-toast")?.remove();   // said of the post left
  if (!before || before.post_id !== doc.post_id) announcePost();
  // keys refused while it came: said on it too (the note went with the post left, unread)
  if (dropped) say(`${dropped === 1 ? "A key" : `${dropped} keys`} pressed while this post was on its way ${dropped === 1 ? "was" : "were"} not applied: press ${dropped === 1 ? "it" : "them"} again now.`);
  let relSaved = null;
  if (relAnswer) {   // answered: saved, the next waiting one follows
    const saved = Boolean(doc.pair_saved && doc.post_id === askedRel.post_id && doc.pair_saved.index === askedRel.index);
    if (saved) {
      relSaved = doc.pair_saved.version;
      if (!marks) marks = { post_id: doc.post_id, saved: {} };
      marks.saved[doc.pair_saved.index] = relSaved;
      marks.last = { index: doc.pair_saved.index, version: relSaved };
      try {   // storage full or refused: the marks stay on screen, and the answer goes on being handled
        localStorage.setItem(MARKS_KEY(doc.post_id), JSON.stringify({ relation_version: doc.relation_version, saved: marks.saved, last: marks.last, at: Date.now() }));
      } catch (e) { /* kept on screen only */ }
    }
    if (saved && askedRel.waited) {
      if (!batch) batch = { post_id: doc.post_id, versions: [] };
      batch.versions.push(doc.pair_saved.version);
    }
    askedRel = null;
    if (saved && waiting) waiting.relation_version = doc.relation_version;   // our own save: the rest still stand on it
    keepWaiting(false);   // the value follows below, once the working copy is this answer's
    if (saved && hasWaiting()) setTimeout(sendWaiting, 0);
    else {
      const versions = batch ? batch.versions : [];
      if (versions.length > 1) doc.note = `Saved ${versions.length} relations under your name, as versions ${versions.join(", ")}.`;
      savedTogether = versions.length;
      const said = `✓ ${savedTogether === 1 ? "The relation" : `${savedTogether} relations`} saved under your name`;
      if (savedTogether) setTimeout(() => confirmInSight(said), 0);
      if (afterAnswer) { const go = afterAnswer; afterAnswer = null; setTimeout(go, 0); }
    }
  }
  if (fromServer && !hasWaiting() && !askedRel) {
    // the post opened (after a reload, or from the list of drafts): relations that waited for a
    // name on it come back (not while one is on its way: storage may still hold it)
    const stored = JSON.parse(localStorage.getItem(WAITING_KEY(doc.post_id)) || "null");
    if (stored && stored.relation_version === doc.relation_version && Object.keys(stored.rels || {}).length) {
      waiting = { post_id: doc.post_id, relation_version: doc.relation_version, rels: stored.rels };
      say("Restored a relation change that waits for your name (type it above and it is saved).");
    } else if (stored) {   // made on relations changed since: said, as when sent (sendWaiting)
      localStorage.removeItem(WAITING_KEY(doc.post_id));
      if (Object.keys(stored.rels || {}).length) say(PICKS_OUTDATED);
    }
  }
  // unsaved span edits carried past a relation's save or undo keep their own undo ("u" lost them)
  const sameEdits = before && before.post_id === doc.post_id && before.base_version === doc.base_version &&
    norm(doc.spans || []) === norm(working);
  // Our own writes to props.value come back here too. The save's answer is the one that names
  // a new version of this post holding what was sent (or a conflict over it); any other answer
  // (another post, someone else's version) ends the wait without keeping anything.
  let kept = null;
  if (fromServer && inFlight && (doc.post_id !== inFlight.post_id || doc.base_version !== inFlight.base_version
      || doc.conflict)) {
    const answered = doc.post_id === inFlight.post_id && (doc.conflict || norm(doc.saved || []) === inFlight.sent);
    if (answered && norm(working) !== inFlight.sent) kept = working.map((s) => ({ ...s }));
    inFlight = null;
    if (saveAgain) { clearTimeout(saveAgain); saveAgain = null; if (answered && !doc.conflict) setTimeout(saveNow, 0); }
  }
  const samePost = before && before.post_id === doc.post_id && (before.tokens || []).length === (doc.tokens || []).length;
  const keptSpans = samePost && norm(doc.spans || []) === norm(working);
  spans = (doc.spans || []).map((s) => ({ ...s }));
  // an answer about the post on show (a save's, a relation's, a refresh's) keeps the words being
  // selected: the one that landed between a drag and its type key took the selection, and the
  // key did nothing; a span picked stays picked while the spans are those it was picked among,
  // and a question asked stays while the post is on the version it was asked on
  if (!samePost) sel = null;
  if (!keptSpans) selSpan = -1;
  if (!samePost || before.base_version !== doc.base_version || doc.conflict) dialog = null;
  if (!before || before.post_id !== doc.post_id) cursor = 0;
  if (!sameEdits) { local = []; ahead = []; }
  // "u" takes back the newest first: this relation before the span edits made before it
  if (relSaved !== null) local.push({ relation: relSaved });
  pair = Math.min(pair, Math.max(0, (doc.pairs || []).length - 1));
  if (errFocus && errFocus.post_id !== doc.post_id) errFocus = null;   // said of the post left
  if (fromServer && doc.focus_error) {   // an entity error opened here: its words marked until dismissed
    errFocus = { post_id: doc.post_id, ...doc.focus_error };
    delete doc.focus_error;
  }
  if (typeof doc.focus_pair === "number") {  // a relation error opened here: its pair on show
    const at = (doc.pairs || []).findIndex((p) => p.index === doc.focus_pair);
    if (at >= 0) { pair = at; if (fromServer) pairOpened = { post_id: doc.post_id, index: doc.focus_pair }; }
    delete doc.focus_pair;
  }
  if (fromServer && doc.reveal) { reveal = true; delete doc.reveal; }
  if (fromServer && doc.conflict) {
    if (kept) { spans = kept; doc.spans = kept.map((s) => ({ ...s })); }  // "mine" is what you have now
    keepDraft();  // a conflict shows your edits already: keep them as the draft, say nothing more
  } else if (fromServer) {
    if (doc.clear_draft) localStorage.removeItem(KEY(doc.post_id));
    const draft = JSON.parse(localStorage.getItem(KEY(doc.post_id)) || "null");
    if (draft && draft.base_version === doc.base_version && norm(draft.spans) !== norm(spans) && !doc.conflict) {
      local.push(spans.map((s) => ({ ...s })));  // "u" takes the restored edits back to the saved labels
      spans = draft.spans;
      say(`Restored your unsaved edits from ${utcTime(draft.at)}.`);
      // in the value too: another queue or post asked for next asks first (it opened unasked)
      writeValue();
    } else if (draft && draft.base_version !== doc.base_version) {
      try {   // storage full or refused: offered this once, from here
        localStorage.removeItem(KEY(doc.post_id));
        // the labels saved since are the draft's: nothing to offer
        if (norm(draft.spans) !== norm(spans)) localStorage.setItem(OLDER_KEY(doc.post_id), JSON.stringify(draft));
      } catch (e) { doc.stale_draft = { spans: draft.spans, base_version: draft.base_version }; }
    }
    if (laterFor !== doc.post_id) laterFor = null;   // "Later" holds while the post stays open
    let older = null;
    try { older = JSON.parse(localStorage.getItem(OLDER_KEY(doc.post_id)) || "null"); } catch (e) { older = null; }
    if (older && Array.isArray(older.spans) && norm(older.spans) === norm(doc.saved || [])) {
      localStorage.removeItem(OLDER_KEY(doc.post_id));   // saved since as it is: nothing left to offer
    } else if (older && Array.isArray(older.spans) && laterFor !== doc.post_id) {
      // offered as a merge against what was saved since (listed in words alone, it could
      // not be applied, and keys pressed then acted on the saved labels)
      const on = older.base_version === null || older.base_version === undefined
        ? "before this post had labels" : `on version ${older.base_version}`;
      say(`You have unsaved edits made ${on}${older.at ? `, at ${utcTime(older.at)}` : ""}; ` +
          "the post was saved since.");
      doc.stale_draft = { spans: older.spans, base_version: older.base_version };
    }
    if (doc.took) {
      // an annotator's labels put here by a lead (the agreement panel): unsaved, kept as the draft,
      // and "u" goes back to what was on show before them
      if (samePost && norm(working) !== norm(spans)) local.push(working.map((s) => ({ ...s })));
      delete doc.took;
      keepDraft();
    }
    if (kept && norm(kept) !== norm(spans)) {
      // edited while the save was on its way: the answer holds what was sent, not what came after
      local.push(spans.map((s) => ({ ...s })));  // "u" takes them back here, then to what came before
      spans = kept;
      keepDraft();
      say("Kept the edits you made while saving; they are not saved yet.");
    }
    if (doc.pending_open) {   // asked once: an echo of this document must not ask again
      const p = doc.pending_open;
      delete doc.pending_open;
      // Gradio's dropdown sends a pick twice (as it is picked, and as it loses the focus): the
      // second answer came after Stay and asked again. The value carries how many questions
      // were asked when it was sent (`asks`): one sent before the last question is that twin.
      if ((doc.asks || 0) >= asksShown) {
        asksShown += 1;
        writeValue();
        // another queue: made once the post is left; Stay puts the filters back (they named it)
        askToLeave(`open ${p.label}`, (then) => send("navigate", { post_id: p.post_id, then, requeue: Boolean(p.requeue), back: Boolean(p.back) }),
          p.requeue ? () => send("navigate", { stay: true }) : null);
      }
    }
  }
  if (hasWaiting()) keepWaiting();   // a server's answer knows nothing of them: the value says so again
  render();
}

// The pairs' marks after a reload, or on a post opened again: kept while the post's relations
// are still those saved here (the Undo beside a pair was gone after a reload), and the Undo
// only while that save is still the post's newest change, which is all it may take back.
function restoreMarks() {
  let stored = null;
  try { stored = JSON.parse(localStorage.getItem(MARKS_KEY(doc.post_id)) || "null"); } catch (e) { return; }   // unreadable: no marks
  if (!stored || typeof stored !== "object") return;
  if (stored.relation_version !== doc.relation_version) { localStorage.removeItem(MARKS_KEY(doc.post_id)); return; }
  marks = { post_id: doc.post_id, saved: stored.saved || {}, last: stored.last };
  const newest = !doc.readonly && stored.last && stored.last.version === doc.relation_version &&
    (doc.base_version === null || doc.base_version === undefined || doc.base_version < stored.last.version);
  if (!doc.pair_saved && newest) doc.pair_saved = stored.last;
}

// Marks of posts not opened for a month, or beyond the newest 200, go (one key a post saved on)
(function pruneMarks() {
  try {
    const kept = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      // every person's marks (the page loads before anyone's post, so MARKS_KEY("") is the unscoped one)
      if (key && key.startsWith("cot-explorer-marks")) kept.push([key, (JSON.parse(localStorage.getItem(key) || "{}") || {}).at || 0]);
    }
    kept.sort((a, b) => b[1] - a[1]);
    kept.filter(([, at], i) => i >= 200 || at < Date.now() - 30 * 86400000).forEach(([key]) => localStorage.removeItem(key));
  } catch (e) { /* storage refused: nothing kept to prune */ }
})();

// Relations saved once a name was given, said where the eye is: the name field is a screen or
// two above the bar on a phone, which said it out of sight. A line at the foot of the window
// for a few seconds, only while the bar is out of view, with a way to the pairs.
function confirmInSight(text) {
  const bar = document.getElementById("se-dirty");
  const old = document.getElementById("se-toast");
  if (old) old.remove();
  if (!bar) return;
  const r = bar.getBoundingClientRect();
  if (r.bottom > 0 && r.top < window.innerHeight) return;
  const toast = el("div", { class: "se-toast", id: "se-toast", role: "status" },
    el("span", { text }),
    el("button", { class: "se-btn", text: "Show", onclick: () => {
      toast.remove();
      (root.querySelector(".se-pair-saved") || root).scrollIntoView({ block: "center" });
    } }),
    el("button", { class: "se-btn", text: "×", "aria-label": "close", onclick: () => toast.remove() }));
  document.body.append(toast);
  setTimeout(() => toast.remove(), 8000);
}

// A note of this answer's load said after any other (a restored draft hid the dropped picks).
function say(text) {
  doc.note = doc.note ? `${doc.note} ${text}` : text;
  announce(doc.note);   // a restored draft is said to a screen reader too
}

// The component's value is the working copy, so whatever the server is asked next (a post
// picked elsewhere, a new queue) sees the unsaved edits and the waiting relations and asks
// before leaving; `req` names the relation change on its way, which its answer names back.
function writeValue() {
  const h = heldChange();
  props.value = { ...doc, spans, pair, waiting: hasWaiting() ? waiting.rels : null, req: askedRel ? askedRel.req : null,
                  asks: asksShown, held: h ? { index: h.index, label: h.label } : null };
}

function keepDraft() {
  if (!doc) return;
  writeValue();
  // the post's first words too: the list of drafts names a post by them (an id says nothing)
  try {   // storage full or refused: the edits stay on screen, and editing goes on
    // the time of the edits: a draft kept again as it was (restored after a reload) keeps its own
    // (a stale draft was said to be made "at" the reload's time)
    let was = null;
    try { was = JSON.parse(localStorage.getItem(KEY(doc.post_id)) || "null"); } catch (e) { /* unreadable: kept anew */ }
    const same = was && was.base_version === doc.base_version && norm(was.spans || []) === norm(spans);
    const at = same && was.at ? was.at : Date.now();
    if (dirty()) localStorage.setItem(KEY(doc.post_id), JSON.stringify({ base_version: doc.base_version, spans, at, words: firstWords() }));
    else localStorage.removeItem(KEY(doc.post_id));
  } catch (e) { /* not kept over a reload */ }
}

function saveNow() {
  if (doc && dirty()) send("save");
}

// what a read-only editor says in place of asking (its keys sent each press, and a viewer got a
// pile of "may not save" pop-ups); the server refuses them anyway
const CHANGES = new Set(["save", "undo", "redo", "resolve", "relation"]);

function send(event, data = {}) {
  if (doc && doc.readonly && CHANGES.has(event)) { doc.note = READONLY_SAID; announce(doc.note); render(); return; }
  if (event === "save" && inFlight && doc && inFlight.post_id === doc.post_id) {
    // sent now, it would leave on the version the first save replaces and conflict with it; a
    // save that never gets an answer (refused) lets it go after a few seconds
    if (!saveAgain) saveAgain = setTimeout(() => { saveAgain = null; inFlight = null; saveNow(); }, 3000);
    doc.note = "Saving: your newer edits follow as soon as this save is answered.";
    render();
    return;
  }
  if (saveAgain) { clearTimeout(saveAgain); saveAgain = null; }
  // The event's input is this component's value: put the working copy in it first.
  writeValue();
  inFlight = event === "save" && doc ? { post_id: doc.post_id, base_version: doc.base_version, sent: norm(spans) } : null;
  if (event === "navigate" && !data.stay && doc) leaving = { post_id: doc.post_id, at: Date.now() };
  setTimeout(() => trigger(event, data), 0);
}

// Next or Previous on its way from the post on show (one not answered in 15 s no longer holds the keys)
const isLeaving = () => Boolean(leaving && doc && leaving.post_id === doc.post_id && Date.now() - leaving.at < 15000);

// a relation change on its way that may still be answered (one not answered in 10 s no longer holds anything back)
const relPending = () => Boolean(askedRel && !askedRel.expired && doc && askedRel.post_id === doc.post_id);

function askRelation(index, label, waited = false) {
  if (!doc) return;
  if (relPending()) {
    // another pick is on its way: this one follows its answer (sent now, it would stand on the
    // relations that answer replaces; and the first one's answer was taken for it: it was lost)
    holdPick(index, label, false);
    askedRel.waited = true;   // saved together: the note and each pair's mark count it
    keepWaiting(); render();
    return;
  }
  const asked = { post_id: doc.post_id, index, label, waited, req: `${Date.now()}-${++reqSeq}` };
  askedRel = asked;
  // an answer that never comes (a role refused, a server error) must not hold Next back for
  // good; a late one is still known by its `req`
  setTimeout(() => { if (askedRel === asked) { asked.expired = true; afterAnswer = null; render(); } }, 10000);
  send("relation", { index, label });
}

function keepWaiting(write = true) {
  if (!doc) return;
  // in the component's value too: the server asks before opening another post over them
  if (write) writeValue();
  // when and the first words too: kept for a post never opened again, it is listed with the drafts
  if (hasWaiting()) localStorage.setItem(WAITING_KEY(doc.post_id), JSON.stringify({ relation_version: waiting.relation_version, rels: waiting.rels, at: Date.now(), words: firstWords() }));
  else localStorage.removeItem(WAITING_KEY(doc.post_id));
}

// a relation pick not sent yet (no name, or another on its way), on the relations shown now
function holdPick(index, label, settled = true) {
  if (!waiting || waiting.post_id !== doc.post_id) waiting = { post_id: doc.post_id, relation_version: doc.relation_version, rels: {} };
  const pair = (doc.pairs || []).find((p) => p.index === index);
  // put back to the relation saved: nothing waits any more (the bar and leaving asked about no
  // change). Not behind a pick on its way (`settled` false): that one may change the pair
  if (settled && pair && pair.label === label) delete waiting.rels[index];
  else waiting.rels[index] = label;
}

// a kept post's first words as the drafts list and its questions name it
const quoted = (d) => (d.words ? `“${d.words.length > 40 ? d.words.slice(0, 39) + "…" : d.words}”` : d.id);

const firstWords = () => (doc.tokens || []).slice(0, 8).map((t) => t.t).join(" ");

const typedName = () => {
  const box = document.querySelector("#annotator input, #annotator textarea");
  return ((box && box.value) || "").trim();
};
const nameTyped = () => Boolean(typedName());

// the relations kept for want of a name, one request each (each saves a version)
function sendWaiting() {
  if (!waiting || !doc || waiting.post_id !== doc.post_id || relPending()) return;
  if (waiting.relation_version !== doc.relation_version) {
    // the post's relations were saved since: the picks were made on what they replaced
    waiting = null; keepWaiting();
    doc.note = PICKS_OUTDATED;
    afterAnswer = null;   // the user reads why; Next pressed again goes on
    render();
    return;
  }
  const next = Object.keys(waiting.rels)[0];
  if (next === undefined) {
    waiting = null; keepWaiting(); render();
    if (afterAnswer) { const go = afterAnswer; afterAnswer = null; setTimeout(go, 0); }
    return;
  }
  const label = waiting.rels[next];
  delete waiting.rels[next];   // refused again for the name, it comes back (load)
  keepWaiting(false);          // nor kept by the browser: a reload in between would send it twice
  askRelation(Number(next), label, true);
}

const waitingLabel = (index) => (waiting && doc && waiting.post_id === doc.post_id ? waiting.rels[index] : undefined);
const hasWaiting = () => Boolean(waiting && doc && waiting.post_id === doc.post_id && Object.keys(waiting.rels).length);

// the name typed (the field left, or Enter): what waited for it is saved. Not on each key: a
// save under "w" on the way to "walker" would go under the wrong name
document.addEventListener("change", (e) => {
  if (!e.target.closest || !e.target.closest("#annotator") || !(e.target.value || "").trim() || !hasWaiting()) return;
  batch = null;   // the name given: the batch saved under it starts here
  setTimeout(sendWaiting, 50);   // after Gradio has the new value, which the request carries
});
// The first Tab stop of Annotate: a link past the filters, the search and the name (about 20
// Tabs) to the words, made here and not as a Gradio block (a block took a row of the layout);
// checked at each render (no observer of the whole page for it)
function addSkipLink() {
  const panel = document.getElementById("queue-dataset")?.closest("[role=tabpanel]");
  if (!panel || panel.querySelector(":scope > a.se-skip")) return;
  panel.style.position = panel.style.position || "relative";
  panel.prepend(el("a", { class: "se-skip", href: "#span-editor", text: "Skip to the post's words (or press w)" }));
}
document.addEventListener("click", (e) => {
  const link = e.target.closest && e.target.closest("a.se-skip");
  if (!link || !doc || !doc.post_id) return;
  e.preventDefault();
  focusCursor();
});
// Enter in the name field gives the name as leaving it does (it kept the cursor and saved nothing)
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.target.closest && e.target.closest("#annotator")) {
    e.target.blur();
    // on to the words (the focus fell to the page) where they are in sight; not from afar: on a
    // phone the page stays where the name was typed (the relations saved under it are said there)
    const box = root.getBoundingClientRect();
    if (doc && doc.post_id && visible() && box.top < window.innerHeight && box.bottom > 0) focusCursor();
  }
}, true);

function edit(change) {
  if (doc.readonly) { doc.note = READONLY_SAID; announce(doc.note); render(); return; }
  local.push(spans.map((s) => ({ ...s })));
  ahead = [];   // a new edit: what "u" took back is no longer ahead of it
  change();
  sel = null; anchor = null;
  keepDraft();
  render();
}

// -- editing -------------------------------------------------------------------------------

function setType(type) {
  if (selSpan >= 0) {
    const i = selSpan;
    edit(() => { spans[i] = { ...spans[i], type, origin: "annotator" }; });
    selSpan = -1;
  } else if (sel) {
    const a = Math.min(sel.a, sel.b), b = Math.max(sel.a, sel.b) + 1;
    // a span reaching past the words typed gives way whole, said with how to retype it instead
    // ("Festival" typed LOC took "Cannes Film" out of their MISC span without a word)
    const cut = spans.filter((s) => s.end > a && s.start < b && (s.start < a || s.end > b));
    const added = { start: a, end: b, type, origin: "annotator" };
    edit(() => { spans = spans.filter((s) => s.end <= a || s.start >= b).concat([added]); });
    if (cut.length && !doc.readonly) {
      doc.note = `${cut.map((s) => `“${words(s)}” (${s.type})`).join(" and ")} gave way to “${words(added)}” (${type}): ` +
        "u takes it back. To retype a whole span, pick it first (a click on it, or Enter on one of its words).";
      announce(doc.note);
      render();
    }
  }
}

function removeSpan(i) { edit(() => { spans.splice(i, 1); }); selSpan = -1; }

function accept(s) {
  edit(() => {
    spans = spans.filter((x) => x.end <= s.start || x.start >= s.end)
      .concat([{ start: s.start, end: s.end, type: s.type, origin: s.origin }]);
  });
}

function pending(source) {
  return (doc.suggestions || []).filter((s) => (!source || s.source === source) && !spans.some((x) => same(x, s)));
}

// The labels the student names nothing at (not even with another type or other words): its
// suggestions show what it adds or types otherwise, and a miss showed nowhere (a walker on the
// errors-only queue saw "0 suggestions" on a post whose error was a missed entity)
function missedByStudent() {
  const said = (doc.suggestions || []).filter((s) => s.source === "student");
  return spans.filter((l) => !said.some((s) => s.start < l.end && l.start < s.end));
}

function acceptAll(source) {
  const list = pending(source);
  if (!list.length) return;
  edit(() => {
    for (const s of list) {
      spans = spans.filter((x) => x.end <= s.start || x.start >= s.end).concat([{ start: s.start, end: s.end, type: s.type, origin: s.origin }]);
    }
  });
}

// Drafts of other posts kept in this browser, the newest first, and relations that wait for a
// name there (left by a reload on a post never opened again, they were kept out of sight for
// good). Read once per post on show, not on every redraw (a drag redraws at each pointer move):
// only this post's own entries change while it is open, and they are not among them.
let drafts = { post: null, list: [] };
function otherDrafts() {
  if (drafts.post === doc.post_id) return drafts.list;
  const byPost = new Map();
  let n = 0;
  try { n = localStorage.length; } catch (e) { n = 0; }   // storage off: nothing kept to list
  for (let i = 0; i < n; i++) {
    try {   // one unreadable entry hides only itself
      const key = localStorage.key(i);
      const prefix = [KEY(""), OLDER_KEY(""), WAITING_KEY("")].find((p) => key && key.startsWith(p));
      if (!prefix) continue;
      const edits = prefix !== WAITING_KEY("");
      const id = key.slice(prefix.length);
      const kept = JSON.parse(localStorage.getItem(key) || "null");
      if (id === doc.post_id || !kept || (edits ? !Array.isArray(kept.spans) : !kept.rels)) continue;
      const d = byPost.get(id) || { id, at: 0, words: "", edits: false, waiting: 0 };
      d.at = Math.max(d.at, kept.at || 0);
      if (!d.words && typeof kept.words === "string") d.words = kept.words;
      if (edits) d.edits = true; else d.waiting = Object.keys(kept.rels).length;
      byPost.set(id, d);
    } catch (e) { /* not a draft of ours */ }
  }
  drafts = { post: doc.post_id, list: [...byPost.values()].sort((a, b) => b.at - a.at) };
  return drafts.list;
}

// `id`: one post's draft (its post may have been deleted since); none: every other post's.
function forgetDrafts(id) {
  const all = otherDrafts(), gone = all.filter((d) => !id || d.id === id);
  const one = id ? gone[0] : null;
  // named by its words, as the list names it (the question named an id); what is kept, said
  const where = one ? `on ${quoted(one)}`
    : all.length === 1 ? "on another post" : `on ${all.length} other posts`;
  const edits = gone.some((d) => d.edits), rels = gone.some((d) => d.waiting);
  const kept = edits && rels ? "unsaved edits and relation changes waiting for your name" : rels
    ? "relation changes waiting for your name" : "unsaved edits";
  dialog = {
    text: `Forget the ${kept} kept in this browser ${where}? They cannot be brought back.`,
    actions: [
      [id ? "Forget them" : "Forget them all", () => {
        dialog = null;
        gone.forEach((d) => { [KEY, OLDER_KEY, WAITING_KEY].forEach((k) => localStorage.removeItem(k(d.id))); });
        drafts = { post: null, list: [] };
        doc.note = `Forgot the ${kept} ${where}.`;
        render();
      }, "danger"],
      ["Keep them", () => { dialog = null; render(); }, ""],
    ],
  };
  render();
}

// The editor's note is about the last thing done here; a request to the server answers in the
// status line, so the old note goes first (it read "Took back your last unsaved edit." beside
// the server's "nothing to undo").
function clearNote() {
  if (doc && doc.note) { doc.note = null; render(); }
}

function undoLocal() {
  if (!local.length) return false;
  const last = local.pop();
  if (!Array.isArray(last)) {   // a relation saved after the unsaved edits: the server takes that version back
    clearNote(); send("undo", { version: last.relation });
    return true;
  }
  ahead.push(spans.map((s) => ({ ...s })));
  spans = last; keepDraft(); doc.note = "Took back your last unsaved edit (r brings it back)."; render();
  return true;
}

// Undo of the post's newest saved change: a colleague's is asked about first (one "u" took back
// another annotator's labels at once, and they were not told; redo brings them back)
function undoSaved() {
  const me = (doc && doc.drafts_of) || typedName();
  const of = doc && doc.undo_of;
  if (!of || !of.author || of.author === me || doc.readonly) { clearNote(); send("undo"); return; }
  dialog = {
    text: `The newest change of this post is ${of.author}'s (version ${of.version}), not yours. Undo it? Their ` +
      "labels are taken back (redo brings them back), and they are not told.",
    actions: [
      [`Undo ${of.author}'s change`, () => { dialog = null; render(); clearNote(); send("undo"); }, "danger"],
      ["Keep it", () => { dialog = null; render(); }, "se-safe"],
    ],
  };
  render();
}

// "r" after "u" took back an unsaved edit: that edit again, here (it went to the server, which
// redid an older saved undo under the annotator's name, or said there was nothing to redo)
function redoLocal() {
  if (!ahead.length) return false;
  local.push(spans.map((s) => ({ ...s })));
  spans = ahead.pop(); keepDraft(); doc.note = "Brought back your unsaved edit."; render();
  return true;
}

// -- leaving a post: save, discard or stay ---------------------------------------------------

function askToLeave(what, go, stay = null) {
  const h = heldChange();
  if (h) {   // a relation reached with the keys, waiting for Enter: asked about first, on its own
    const p = (doc.pairs || []).find((x) => x.index === h.index);
    const arg = (r) => doc.tokens.slice(r[0], r[1]).map((t) => shownToken(t.t)).join(" ");
    const named = p ? `${arg(p.head)} → ${arg(p.tail)}` : `pair ${h.index + 1}`;
    // then the rest (span edits, relations waiting for a name), if any, asked as before
    const then = () => askToLeave(what, go, stay);
    dialog = {
      text: `The relation “${h.label}” you reached with the keys for ${named} is not saved yet. Save it before you ${what}?`,
      actions: [
        ["Save it and go on", () => {
          dialog = null; saveKeyedPick();
          if (relPending()) afterAnswer = then;   // once it is answered (a refusal stays, to be read)
          else then();                            // no name yet: it waits for one, and that is asked next
        }, "primary"],
        // drawn again: the dropdown showed the pick left, marked as waiting, on coming back
        ["Leave it unsaved", () => { dialog = null; keyedPick = null; writeValue(); render(); then(); }, "danger"],
        ["Stay", () => { dialog = null; render(); if (stay) stay(); }, ""],
      ],
    };
    render();
    return;
  }
  if (!dirty() && hasWaiting()) {   // only a relation waiting for a name: nothing to save it under yet
    dialog = {
      text: `Your relation change on this post is not saved: it waits for your name. Leave it unsaved to ${what}?`,
      actions: [
        ["Type my name first", () => { dialog = null; render(); if (stay) stay(); askForName(); }, "primary"],
        ["Leave it unsaved", () => { dialog = null; waiting = null; keepWaiting(); render(); go("discard"); }, "danger"],
        ["Stay", () => { dialog = null; render(); if (stay) stay(); }, ""],
      ],
    };
    render();
    return;
  }
  if (!dirty()) { go("discard"); return; }
  // with no name typed a save is refused: the button says what must come first and takes the
  // user there ("Save the span edits and go on" was refused, and left the relation behind)
  const save = nameTyped() ?
    ["Save and go on", () => { dialog = null; localStorage.removeItem(KEY(doc.post_id)); render(); go("save"); }, "primary"] :
    ["Type my name first", () => { dialog = null; render(); if (stay) stay(); askForName(); }, "primary"];
  dialog = {
    text: `You have unsaved edits on this post${hasWaiting() ? ", and a relation change that waits for your name" : ""}. ` +
      (nameTyped() ? `Save them before you ${what}?` : `Saving needs your name, which is not typed yet: type it before you ${what}?`),
    actions: [
      // drawn again before going on: a tab change keeps this editor, which must not show the
      // dialog (its buttons dead by then) or, after a discard, the edits thrown away
      save,
      [hasWaiting() ? "Discard my edits and the relation" : "Discard my edits", () => {
        // keepDraft: the component's value (read by every later event) and the draft drop the
        // edits too, or a post picked elsewhere would still find them and ask again
        dialog = null; spans = (doc.saved || []).map((s) => ({ ...s })); local = []; ahead = []; waiting = null; keepWaiting(); keepDraft();
        render(); go("discard");
      }, "danger"],
      ["Stay", () => { dialog = null; render(); if (stay) stay(); }, ""],
    ],
  };
  render();
}

// The name field, outlined, in sight and with the cursor: asked for by a click (not on a
// refusal, where the next shortcut key would have become the name: annotate.py's
// SHOW_NAME_WHEN_ASKED outlines it then, with the same class and time, and no cursor)
function askForName() {
  const box = document.getElementById("annotator");
  const input = box && box.querySelector("input, textarea");
  if (!input) return;
  box.classList.add("cot-asked");
  setTimeout(() => box.classList.remove("cot-asked"), 4000);
  box.scrollIntoView({ block: "center" });   // where a phone puts a field it gives the keyboard to
  input.focus({ preventScroll: true });
  doc.note = hasWaiting() ? "Type your name: the relation is saved under it as you leave the field; Save (s) then keeps your edits." :
    "Type your name, then Save (s) keeps your edits under it.";
  render();
}

function navigate(delta) {
  if (isLeaving()) {
    // another Next or Previous while the post asked for is on its way: counted, and gone on with
    // once it is on show (sent now, it would move from the post being left again: two presses went
    // one post on, and the next key changed another post than the one the user counted to)
    leaving.more = (leaving.more || 0) + delta;
    const more = leaving.more;
    doc.note = `Opening the post you asked for${more ? `, then ${Math.abs(more)} more ${more > 0 ? "on" : "back"}` : ""}: the keys wait until it is on show.`;
    announce(doc.note);
    render();
    return;
  }
  if (relPending() || (hasWaiting() && nameTyped())) {
    // the name was just given (leaving its field for this button): the relations that waited
    // for it are saved first, then this goes on (the click was lost behind their answers)
    afterAnswer = () => navigate(delta);
    if (!relPending()) sendWaiting();
    return;
  }
  askToLeave(delta > 0 ? "go to the next post" : "go to the previous post", (then) => send("navigate", { delta, then }));
}

// `go` once the save just sent is in; a conflict or a refusal keeps the user here, edits and
// all, reading why ("Save and go on" to another tab went there at once: the save met a
// conflict, nothing was saved, and nothing said so until Annotate was opened again)
function whenSaved(go) {
  const started = Date.now(), post = doc && doc.post_id;
  const wait = () => {
    if (!doc || doc.post_id !== post || doc.conflict) return;
    if (!inFlight && !saveAgain) { if (!dirty()) go(); return; }   // answered: saved, or refused (said)
    if (Date.now() - started < 15000) setTimeout(wait, 150);
    else { doc.note = "The save is not answered yet: you are still here, with your edits."; render(); }
  };
  setTimeout(wait, 150);
}

// The tab bar: leaving Annotate with unsaved edits asks first.
const openTab = (tab) => { bypassTabGuard = true; tab.click(); bypassTabGuard = false; };
document.addEventListener("click", (e) => {
  const tab = e.target.closest && e.target.closest('button[role="tab"]');
  if (!tab || bypassTabGuard || !doc || !visible() || !unsavedHere() || tab.getAttribute("aria-selected") === "true") return;
  e.preventDefault(); e.stopImmediatePropagation();
  askToLeave(`open the ${tab.textContent.trim()} tab`, (then) => {
    if (then === "save" && dirty()) { send("save"); whenSaved(() => openTab(tab)); return; }
    if (then === "save") send("save");
    openTab(tab);
  });
}, true);

// Any other way the tab can change (keys on the tab bar, a script): come back and ask.
new MutationObserver(() => {
  if (bypassTabGuard || !doc || !unsavedHere() || visible()) return;
  const mine = Array.from(document.querySelectorAll('button[role="tab"]')).find((b) => b.getAttribute("aria-controls") && document.getElementById(b.getAttribute("aria-controls"))?.contains(root));
  if (!mine) return;
  const target = document.querySelector('button[role="tab"][aria-selected="true"]');
  bypassTabGuard = true; mine.click(); bypassTabGuard = false;
  if (target && target !== mine) askToLeave(`open the ${target.textContent.trim()} tab`, (then) => {
    if (then === "save" && dirty()) { send("save"); whenSaved(() => openTab(target)); return; }
    if (then === "save") send("save");
    openTab(target);
  });
}).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-selected"] });

// Sign out (the header's link) with unsaved edits: the editor's own question, which can save
// them first (the browser's "Leave site? Changes may not be saved" could not, and its words
// hid that they stay on this browser as the signed-out person's draft)
let signingOut = false;
document.addEventListener("click", (e) => {
  const out = e.target.closest && e.target.closest('a[href^="logout"]');
  // elsewhere, or with another question open (it would be lost): the browser asks
  if (!out || signingOut || !doc || !dirty() || !visible() || dialog) return;
  e.preventDefault(); e.stopImmediatePropagation();
  const leave = () => { signingOut = true; keepDraft(); window.location.href = out.href; };
  dialog = {
    text: "You have unsaved edits on this post. Save them before you sign out? Signed out without saving, they " +
      "stay on this browser as your draft, offered when you sign in here again.",
    actions: [
      ["Save and sign out", () => {
        dialog = null; render(); send("save");
        // signed out once the save is in (a refused save stays on screen, with the edits)
        const started = Date.now();
        const wait = () => {
          if (!dirty()) leave();
          else if (Date.now() - started < 15000) setTimeout(wait, 150);
          else if (!doc.note) { doc.note = "The save is not answered yet: you are still signed in, with your edits."; render(); }
        };
        setTimeout(wait, 150);
      }, "primary"],
      ["Sign out, keep them as my draft", () => { dialog = null; render(); leave(); }, ""],
      ["Stay", () => { dialog = null; render(); }, ""],
    ],
  };
  render();
}, true);

window.addEventListener("beforeunload", (e) => {
  if (doc && unsavedHere()) {
    keepDraft();
    if (!signingOut) { e.preventDefault(); e.returnValue = ""; }   // asked already, in words of its own
  }
});

// -- mouse, touch and keys -------------------------------------------------------------------

function tokenAt(x, y) {
  const t = document.elementFromPoint(x, y);
  const tok = t && t.closest && t.closest(".se-tok");
  return tok && root.contains(tok) ? Number(tok.dataset.i) : null;
}

root.addEventListener("pointerdown", (e) => {
  const tok = e.target.closest(".se-tok");
  if (!tok || !doc || e.button > 0) return;
  const i = Number(tok.dataset.i);
  e.preventDefault();  // no text selection; so the focus must be taken from a text field here,
  const active = document.activeElement;  // or the keys that follow would type into it
  if (active && /^(input|textarea|select)$/i.test(active.tagName)) active.blur();
  if (e.shiftKey && anchor !== null) { sel = { a: anchor, b: i }; selSpan = -1; render(); return; }
  anchor = i; cursor = i; dragging = true; sel = { a: i, b: i }; selSpan = -1;
  render();
});
document.addEventListener("pointermove", (e) => {
  if (!dragging) return;
  const i = tokenAt(e.clientX, e.clientY);
  if (i !== null && sel && i !== sel.b) { sel.b = i; render(); }
});
document.addEventListener("pointerup", () => {
  if (!dragging) return;
  dragging = false;
  if (sel && sel.a === sel.b) {  // a click on a word that is in a span picks the span
    const i = spans.findIndex((s) => s.start <= sel.a && sel.a < s.end);
    if (i >= 0) { selSpan = i; sel = null; }
  }
  render();
});

root.addEventListener("click", (e) => {
  const b = e.target.closest("[data-act]");
  if (!b || !doc) return;
  const act = b.dataset.act, k = b.dataset.k !== undefined ? Number(b.dataset.k) : null;
  if (act === "type") setType(doc.types[k]);
  else if (act === "remove") removeSpan(k);
  else if (act === "pick-span") { selSpan = k; sel = null; render(); }
  else if (act === "accept") accept(JSON.parse(b.dataset.s));
  else if (act === "accept-all") acceptAll(b.dataset.source);
  else if (act === "save") send("save");
  else if (act === "prev") navigate(-1);
  else if (act === "next") navigate(1);
  else if (act === "undo") { if (!undoLocal()) undoSaved(); }
  else if (act === "redo") { if (!redoLocal()) { clearNote(); send("redo"); } }
  // the relation just saved, this version only (not an unsaved span edit, nor a change saved since)
  else if (act === "undo-saved") {
    const version = doc.pair_saved && doc.pair_saved.version;
    local = local.filter((x) => Array.isArray(x) || x.relation !== version);   // "u" must not ask for it again
    clearNote(); send("undo", { version });
  }
  else if (act === "pair") { pair = k; render(); }
  else if (act === "save-waiting") {
    batch = null;
    if (nameTyped()) sendWaiting();
    else askForName();   // a screen above on a phone: taken there (the note alone left the keys to the editor)
  }
  else if (act === "rel-use") askRelation(Number(b.dataset.index), b.dataset.label);
  else if (act === "resolve") send("resolve", { choice: b.dataset.choice, spans: mergedChoice() });
  else if (act === "dialog") { const a = dialog && dialog.actions[k]; if (a) a[1](); }
  else if (act === "open-draft") { const id = b.dataset.id; askToLeave(`open ${id}`, (then) => send("navigate", { post_id: id, then })); }
  else if (act === "forget-drafts") forgetDrafts(b.dataset.id);
  else if (act === "dismiss") {
    if (doc.stale_draft) laterFor = doc.post_id;   // "Later": not offered again at each save of this post
    doc.note = null; doc.stale_draft = null; render();
  }
  else if (act === "stale-merge") {   // sent on the draft's own version: the server answers with a conflict to merge
    const d = doc.stale_draft;
    if (!d) return;
    if (dirty()) {   // the comparison puts the older draft in their place: they are not thrown away unasked
      say("Save or undo the edits you made here first: the comparison shows your older draft in their place.");
      render();
      return;
    }
    doc.note = null; doc.stale_draft = null;
    localStorage.removeItem(OLDER_KEY(doc.post_id));   // in the comparison now (kept as the draft there)
    spans = d.spans.map((x) => ({ ...x }));
    doc.base_version = d.base_version;
    send("save");
  }
  else if (act === "stale-discard") {
    try { localStorage.removeItem(OLDER_KEY(doc.post_id)); } catch (e) { /* nothing kept to remove */ }
    doc.stale_draft = null; doc.note = "Discarded your older draft of this post."; render();
  }
  else if (act === "dismiss-error") { errFocus = null; render(); }
});

// A relation dropdown browsed with the keys (an arrow, or letters typed to reach a relation) is
// saved on Enter, Escape putting the saved one back: Chromium changes a closed dropdown's value on
// each such key, and each change was saved at once (one ArrowDown saved a wrong relation; typing
// "/per/per/p" saved another, and its "p"s went on to open earlier posts). Not on leaving the box:
// a letter meant for the editor ("n", reaching "None") would then be saved by the next click. A
// pick from the open list (a click, or Enter in it) is saved at once, as before.
let relKeyed = null;       // the dropdown a key was last pressed in {index, at}
let relByKeys = false;     // the dropdowns are worked with the keys (not the mouse): a redraw keeps the focus on one
let keyedPick = null;      // a relation reached with the keys, not saved yet {post_id, index, label}
const heldLabel = (index) => (keyedPick && doc && keyedPick.post_id === doc.post_id && keyedPick.index === index
  ? keyedPick.label : undefined);
// the held pick, where it changes what the pair shows (reached and put back by the keys: no change)
function heldChange() {
  const label = heldLabel(keyedPick ? keyedPick.index : -1);
  if (label === undefined) return null;
  const p = (doc.pairs || []).find((x) => x.index === keyedPick.index);
  const shown = waitingLabel(keyedPick.index);
  return label === (shown === undefined ? (p && p.label) : shown) ? null : keyedPick;
}
// anything on this post that leaving would lose: the tab bar, a reload and Next ask about it
const unsavedHere = () => dirty() || hasWaiting() || Boolean(heldChange());
const heldNote = () => el("span", { class: "se-pair-waiting se-pair-held", id: "se-pair-held" },
  el("span", { text: "not saved yet: Enter saves it, Esc puts the saved one back" }));
function saveKeyedPick() {
  const held = keyedPick;
  keyedPick = null;
  if (!held || !doc || held.post_id !== doc.post_id) return;
  const p = (doc.pairs || []).find((x) => x.index === held.index);
  if (p && p.label === held.label && waitingLabel(held.index) === undefined) { writeValue(); render(); return; }   // back where it was
  askRelation(held.index, held.label);
}
root.addEventListener("mousedown", (e) => {
  if (e.target.closest && e.target.closest("select[data-rel]")) relByKeys = false;
}, true);
root.addEventListener("keydown", (e) => {
  const s = e.target.closest && e.target.closest("select[data-rel]");
  if (!s || !doc) return;
  relByKeys = true;
  const index = Number(s.dataset.rel);
  if (e.key === "Enter" && heldLabel(index) !== undefined) { e.preventDefault(); saveKeyedPick(); return; }
  if (e.key === "Escape" && heldLabel(index) !== undefined) {
    e.preventDefault(); e.stopPropagation();
    keyedPick = null; writeValue(); render();
    return;
  }
  // the keys that change a closed dropdown's value in place: arrows, Home/End/PageUp/PageDown and
  // letters (not [ and ], the editor's; nor the keys that open the list, whose pick is saved at
  // once, as a click's)
  const k = e.key, mod = e.ctrlKey || e.metaKey || e.altKey;
  const moves = !mod && (/^(Arrow(Up|Down|Left|Right)|Home|End|PageUp|PageDown)$/.test(k) ||
    (k.length === 1 && k !== " " && k !== "[" && k !== "]"));
  relKeyed = moves ? { index, at: Date.now() } : null;
}, true);

root.addEventListener("change", (e) => {
  const s = e.target.closest("select[data-rel]");
  if (!s || !doc) return;
  const row = s.closest("[data-k]");   // the pair changed comes on show, outlined in the text (send passes it on)
  if (row) pair = Number(row.dataset.k);
  const index = Number(s.dataset.rel);
  if (relKeyed && relKeyed.index === index && Date.now() - relKeyed.at < 1500) {
    keyedPick = { post_id: doc.post_id, index, label: s.value };
    // marked where it is, not drawn again: a new dropdown would lose the letters typed so far
    s.classList.add("se-waiting");
    const extra = row && row.querySelector(".se-pair-extra");
    if (extra && !extra.querySelector(".se-pair-held")) extra.append(heldNote());
    writeValue();   // the server asks before opening another post over it
    showBarState();  // the bar beside the post no longer reads "saved"
    return;
  }
  askRelation(index, s.value);
});

// Escape is "Stay" from wherever the focus is: first, on the window, since a dropdown's own
// Escape (dropdown_keys.js) stops it on its way (from a filter's box it did nothing)
window.addEventListener("keydown", (e) => {
  if (e.key !== "Escape" || !dialog || !doc || !visible()) return;
  dialog.actions[dialog.actions.length - 1][1]();
  stayedOn = e;   // the editor's own handler below leaves this Escape be (it cleared the selection too)
}, true);
let stayedOn = null;

document.addEventListener("keydown", (e) => {
  if (!doc || !visible() || e === stayedOn) return;  // another tab is showing: nothing happens here
  const tag = (e.target.tagName || "").toLowerCase();
  // typing goes to text fields; a ticked checkbox (a queue filter) or a button takes no letters,
  // so the keys stay the editor's (n, p and s did nothing after a filter was ticked)
  // [ and ] move between the pairs from a pair's dropdown too (no relation's name holds them): the
  // keyboard stays on the dropdown after a relation is saved
  const pairKey = (e.key === "[" || e.key === "]") && tag === "select" && e.target.matches("select[data-rel]");
  const typing = (tag === "input" && !["checkbox", "radio", "button", "submit"].includes(e.target.type)) ||
    tag === "textarea" || (tag === "select" && !pairKey) || e.target.isContentEditable;
  if (typing) return;
  if (dialog) return;
  const k = e.key, mod = e.ctrlKey || e.metaKey;
  if (isLeaving() && !mod && (k.length === 1 || k === "Backspace" || k === "Delete")) {
    // the next post is on its way: a key now would change the post being left (said, not done);
    // n and p count, and are gone on with once it is on show (they were lost under load, and the
    // next key changed another post than the one the user counted to)
    e.preventDefault();
    if (k === "n" || k === "p") { navigate(k === "n" ? 1 : -1); return; }
    leaving.dropped = (leaving.dropped || 0) + 1;   // said again on the post asked for (this note goes with it)
    doc.note = "Opening the post you asked for: press the key again once it is on show.";
    announce(doc.note);
    render();
    return;
  }
  if (e.target.closest && e.target.closest(".se-tok") && root.contains(e.target) && onWordKey(e)) { e.preventDefault(); return; }
  let done = true;
  if (/^[1-9]$/.test(k) && !mod && doc.types[Number(k) - 1]) setType(doc.types[Number(k) - 1]);
  else if ((k === "Backspace" || k === "Delete") && selSpan >= 0) removeSpan(selSpan);
  else if (k === "Escape") { sel = null; selSpan = -1; render(); }
  else if (k === "s" && !mod) send("save");
  else if (k === "n" && !mod) navigate(1);
  else if (k === "p" && !mod) navigate(-1);
  else if ((k === "u" && !mod) || (mod && k.toLowerCase() === "z" && !e.shiftKey)) { if (!undoLocal()) undoSaved(); }
  else if ((k === "r" && !mod) || (mod && k.toLowerCase() === "z" && e.shiftKey)) { if (!redoLocal()) { clearNote(); send("redo"); } }
  else if (k === "w" && !mod) focusCursor();   // the words take the keyboard (about 20 Tabs from the tab bar)
  else if (k === "a" && !mod) takeFirst("student");
  else if (k === "t" && !mod) takeFirst("teacher");
  else if (k === "A" && !mod) { if (pending("student").length) acceptAll("student"); else takeFirst("student"); }
  else if (k === "]" && doc.pairs && doc.pairs.length) { pair = (pair + 1) % doc.pairs.length; render(); }
  else if (k === "[" && doc.pairs && doc.pairs.length) { pair = (pair + doc.pairs.length - 1) % doc.pairs.length; render(); }
  else done = false;
  if (done) e.preventDefault();
});

// The words from the keyboard: ← → move (and select the word), Shift+← → grow or shrink the
// selection from where it started, Home/End go to the ends, Enter or Space picks the span the
// word is in (then a number retypes it, Delete removes it). True where the key was the words'.
function onWordKey(e) {
  const n = doc.tokens.length, k = e.key;
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[k];
  const to = step !== undefined ? Math.max(0, Math.min(n - 1, cursor + step)) : k === "Home" ? 0 : k === "End" ? n - 1 : null;
  if (to !== null) {
    if (e.shiftKey) {
      if (!sel) { anchor = cursor; sel = { a: cursor, b: cursor }; }
      sel = { a: anchor !== null ? anchor : sel.a, b: to };
    } else { anchor = to; sel = { a: to, b: to }; }
    cursor = to; selSpan = -1;
    render();
    return true;
  }
  if (k === "Enter" || k === " ") {
    const i = spans.findIndex((sp) => sp.start <= cursor && cursor < sp.end);
    if (i >= 0) { selSpan = i; sel = null; } else { anchor = cursor; sel = { a: cursor, b: cursor }; selSpan = -1; }
    render();
    return true;
  }
  return false;
}

// Another post on show is said to a screen reader ("Post 3 of 40: …"): only its words changed
// on screen, and the position beside the buttons is redrawn with the rest, which is not read out.
// The region is the page's own, outside the editor that is drawn again at every change.
function announcePost() {
  if (!visible()) return;
  const pos = doc.pos || {};
  const where = pos.index >= 0 ? `Post ${pos.index + 1} of ${pos.total}` : "A post not in the queue";
  const words = (doc.tokens || []).slice(0, 12).map((t) => t.t).join(" ");
  announce(`${where}: ${words}${(doc.tokens || []).length > 12 ? " …" : ""}`);
}

// the region is made when the script loads: a region put in the page with its first words was
// often not read out
function announceRegion() {
  let box = document.getElementById("se-announce");
  if (!box) {
    box = document.createElement("div");
    box.id = "se-announce";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    box.className = "cot-sr-only";   // app.PAGE_CSS
    document.body.appendChild(box);
  }
  return box;
}
announceRegion();

function announce(text) {
  const box = announceRegion();
  if (box.textContent === text) {   // the same words again (a key pressed twice): emptied first, so they are read again
    box.textContent = "";
    setTimeout(() => { box.textContent = text; }, 50);
  } else {
    box.textContent = text;
  }
}

// a key whose suggestion is not there says so (it did nothing, and a missed key read the same)
// the one at the keyboard's word, else the next after it, else the first: the first in the text
// was taken wherever the keyboard was (a walker on the fifth word took the first word's)
function takeFirst(source) {
  const all = pending(source).slice().sort((x, y) => x.start - y.start);
  const s = all.find((x) => x.start <= cursor && cursor < x.end) || all.find((x) => x.start > cursor) || all[0];
  if (s) { accept(s); return; }
  doc.note = `No ${source === "student" ? "student" : "teacher"} suggestion left to take on this post.`;
  announce(doc.note);
  render();
}

function focusCursor() {
  const t = root.querySelector(`.se-tok[data-i="${cursor}"]`);
  if (t) t.focus({ preventScroll: false });
}

// Tabbing onto the words selects the one the keyboard is on; a number gives it a type at once.
// The focus comes back to the word after a render (an edit redraws the text).
root.addEventListener("focusin", (e) => {
  const t = e.target.closest && e.target.closest(".se-tok");
  if (!t || dragging) return;
  const i = Number(t.dataset.i);
  if (i !== cursor || (!sel && selSpan < 0)) { cursor = i; anchor = i; sel = { a: i, b: i }; selSpan = -1; render(); }
});

// -- conflicts: theirs and mine, span by span -------------------------------------------------

function mergedChoice() {
  const boxes = root.querySelectorAll("input[data-merge]:checked");
  return Array.from(boxes).map((b) => JSON.parse(b.dataset.merge));
}

// A three-way merge: a span is ticked where theirs and mine agree, where only they changed it
// since the version both started from, or where only I did (ticked by theirs and mine alone,
// a span I had not touched but they retyped came back in its old type, and "Keep mine", the main
// button, undid their correction). Where both changed the same words, theirs is ticked (saved
// first) and the row says so.
function conflictPanel() {
  const c = doc.conflict;
  const key = (s) => `${s.start}:${s.end}:${s.type}`;
  const base = new Set((c.base || []).map(key));
  const all = new Map();
  for (const s of c.theirs) all.set(key(s), { s, theirs: true, mine: false });
  for (const s of spans) { const v = all.get(key(s)) || { s, theirs: false, mine: false }; v.mine = true; all.set(key(s), v); }
  // the spans both sides took away or retyped: a row too (the table had no line for where they started)
  for (const s of c.base || []) if (!all.has(key(s))) all.set(key(s), { s, theirs: false, mine: false });
  const rows = Array.from(all.values()).sort((p, q) => p.s.start - q.s.start || (p.s.end - q.s.end));
  for (const v of rows) {
    v.before = base.has(key(v.s));
    v.keep = (v.theirs && v.mine) || (v.theirs !== v.mine && !v.before);   // agreed, or changed by one side
  }
  const overlap = (a, b) => a.s.start < b.s.end && b.s.start < a.s.end;
  // a new span over words that had one before is that span retyped (it read "added")
  const retyped = (v) => rows.some((o) => o !== v && o.before && overlap(o, v));
  for (const v of rows) {   // both changed these words: theirs stays ticked, mine not
    if (v.keep && v.mine && !v.theirs && rows.some((o) => o !== v && o.keep && o.theirs && overlap(o, v))) {
      v.keep = false; v.both = true;
    }
  }
  const clash = rows.some((v) => v.both);   // then not every change of both sides is ticked: said so
  // one's own save from another tab or browser is said so (it named the user as the other person)
  const them = c.own ? "your other save" : c.their_author, theirs = c.own ? "the other save's" : `${c.their_author}'s`;
  const since = c.base_version !== null && c.base_version !== undefined ? `version ${c.base_version}` : "the post without labels";
  const table = el("table", {}, el("tr", {}, el("th", { text: "keep" }), el("th", { text: "words" }), el("th", { text: "type" }),
      el("th", { text: "before", title: `in ${since}, where you both started` }), el("th", { text: "theirs" }),
      el("th", { text: "mine" }), el("th", { class: "se-why-col", text: "" })),
    ...rows.map((v) => {
      const words = doc.tokens.slice(v.s.start, v.s.end).map((t) => t.t).join(" ");
      const why = v.both ? "you both changed these words" :
        v.theirs && v.mine ? "" : !v.theirs && !v.mine ? "you both removed or retyped it" :
        v.theirs ? (v.before ? "you removed or retyped it" : `${them} ${retyped(v) ? "retyped" : "added"} it`) :
        v.before ? `${them} removed or retyped it` : `you ${retyped(v) ? "retyped" : "added"} it`;
      return el("tr", {},
        el("td", {}, (() => { const box = el("input", { type: "checkbox", "data-merge": JSON.stringify(v.s),
          "aria-label": `keep ${words} as ${v.s.type}` }); box.checked = v.keep; return box; })()),
        // on a phone the why is read under the words (a seventh column was cut off, or broken letter by letter)
        el("td", {}, el("span", { text: words }), why ? el("span", { class: "se-merge-why se-why-inline", text: why }) : null),
        el("td", { text: v.s.type }),
        el("td", { text: v.before ? "✓" : "" }),
        el("td", { text: v.theirs ? "✓" : "" }),
        el("td", { text: v.mine ? "✓" : "" }),
        el("td", { class: "se-merge-why se-why-col", text: why }));
    }));
  return el("div", { class: "se-conflict", role: "alertdialog" },
    el("strong", { text: c.own ? `You saved this post in another tab or browser (version ${c.their_version}${c.their_time ? `, ${c.their_time} UTC` : ""}) while you were editing it here.`
      : `${c.their_author} saved this post (version ${c.their_version}, ${c.their_time} UTC) while you were editing.` }),
    el("p", { text: `Nothing is lost. The ticks keep both sides' changes since ${since}: what ${them} changed and what you changed` +
      (clash ? `, except where you both changed the same words: there ${theirs}, saved first, is ticked and yours is not (tick yours instead to keep it).` : ".") +
      (c.own ? " Tick or untick span by span, then merge; or take the other save, or keep this tab's as it is (which undoes the other save's changes)."
        : " Tick or untick span by span, then merge; or take theirs, or keep yours as it is (which undoes their changes).") }),
    el("div", { class: "se-conflict-table" }, table),
    el("div", { class: "se-row" },
      el("button", { class: "se-btn primary", "data-act": "resolve", "data-choice": "merge", id: "se-merge", text: "Merge ticked spans" }),
      // one's own other save: no "theirs" (the buttons named a colleague who is not there)
      el("button", { class: "se-btn", "data-act": "resolve", "data-choice": "theirs", id: "se-take-theirs",
        text: c.own ? "Take the other save" : "Take theirs",
        title: c.own ? "drops this tab's edits and keeps the labels of your other save" :
          `drops your edits and saves ${c.their_author}'s labels as yours too: agreement counts you as agreeing` }),
      el("button", { class: "se-btn", "data-act": "resolve", "data-choice": "mine", id: "se-keep-mine",
        text: c.own ? "Keep this tab's as it is" : "Keep mine as it is",
        title: c.own ? `saves this tab's copy over version ${c.their_version}: your other save's changes are undone` :
          `saves your copy over version ${c.their_version}: ${c.their_author}'s changes are undone` })));
}

// -- drawing ---------------------------------------------------------------------------------

// a token the browser draws with no width (spaces, or only marks and format characters: the
// corpus's lone U+FE0F) is drawn by name, so that it can be seen and clicked
const NOTHING_TO_SEE = /^[\s\p{M}\p{Cf}]*$/u;
function shownToken(t) {
  if (!NOTHING_TO_SEE.test(t)) return t;
  if (!t.trim()) return "⟨blank⟩";
  return "⟨" + Array.from(t).map((c) => "U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")).join(" ") + "⟩";
}

// The post on show is named in the page's address while this tab shows (Explore names its own
// while that one does): a link copied while annotating opened Explore's post instead. A reload
// comes back to it; a link opened takes Explore and this tab to it.
function nameInAddress() {
  if (root.offsetParent === null) return;   // another tab is showing: the address is its post's
  const id = doc && doc.post_id;
  // no post yet (the page loading): the address is left be, a link in it still to be read
  if (!id || id.startsWith("preview/")) return;
  const url = new URL(window.location.href);
  url.searchParams.set("post", id);
  if (url.href !== window.location.href) window.history.replaceState(window.history.state, "", url);
}
// the tab shown again (its size goes from nothing to something)
if (typeof ResizeObserver === "function") new ResizeObserver(() => nameInAddress()).observe(root);

// the bar's word on what is saved. A relation waiting for a name, or for Enter, is not "saved"
// either (the bar said so beside it)
function barState() {
  const isDirty = dirty(), held = Boolean(heldChange());
  const text = isDirty && hasWaiting() ? "● unsaved; a relation waits for your name" :
    hasWaiting() ? "● a relation waits for your name" :
    held ? `${isDirty ? "● unsaved; " : "● "}a relation waits for Enter` :
    savedTogether ? `${isDirty ? "● unsaved; " : ""}✓ ${savedTogether === 1 ? "the relation" : `${savedTogether} relations`} saved under your name` :
    isDirty ? "● unsaved" : "saved";
  return { class: "se-dirty" + (isDirty || hasWaiting() || held ? " on" : ""), text,
    title: isDirty ? "edits not saved yet: Save (s) keeps them" : hasWaiting() ?
      "type your name in the annotator field and the relation is saved" :
      held ? "the relation picked with the keys is saved on Enter in its box; Esc puts the saved one back" : "what you see is saved" };
}
// the bar's word changed in place (a held pick is not drawn again: the letters typed would be lost)
function showBarState() {
  const span = root.querySelector("#se-dirty");
  if (!span) return;
  const st = barState();
  span.className = st.class; span.textContent = st.text; span.title = st.title;
}

function render() {
  nameInAddress();
  addSkipLink();
  // an edit from the keyboard redraws the words: the focus goes back to the word it was on
  const wordFocus = Boolean(document.activeElement && root.contains(document.activeElement) &&
    document.activeElement.classList.contains("se-tok"));
  // and a relation picked from the keyboard keeps it on its dropdown (it fell to the page, and
  // the next keys were the editor's shortcuts); one picked with the mouse lets it fall, as before,
  // so that n, p and s after a click are the editor's (on the dropdown, "n" would reach "None")
  const relFocus = relByKeys && document.activeElement && root.contains(document.activeElement) &&
    document.activeElement.matches("select[data-rel]") ? document.activeElement.dataset.rel : null;
  root.replaceChildren();
  if (!doc || !doc.post_id) {
    root.append(el("div", { class: "se-empty", text: (doc && doc.empty) || "Choose a dataset/split (or search) to start annotating." }));
    return;
  }
  const types = doc.types || [];
  const pos = doc.pos || {};
  const bar = el("div", { class: "se-bar" },
    el("button", { class: "se-btn", "data-act": "prev", id: "se-prev", title: "previous post (p)", text: "◀ Previous" }),
    el("button", { class: "se-btn", "data-act": "next", id: "se-next", title: "next post (n)", text: "Next ▶" }),
    // short, so that the bar keeps to one line (two on a phone); the rest in the tooltip
    el("span", { class: "se-pos", id: "se-pos", text: pos.index >= 0 ? `${pos.index + 1} / ${pos.total}` :
      (pos.total ? "not in the queue" : "no queue chosen"),
      title: pos.index < 0 && pos.total ? `the queue has ${pos.total} other posts; the status line says why this one is not, and where Next goes` : null }),
    el("span", { ...barState(), id: "se-dirty", role: "status" }),
    el("span", { class: "se-grow" }),
    el("button", { class: "se-btn", "data-act": "undo", id: "se-undo", title: "undo (u)", "aria-label": "Undo", text: "↶ Undo", disabled: doc.readonly }),
    el("button", { class: "se-btn", "data-act": "redo", id: "se-redo", title: "redo (r)", "aria-label": "Redo", text: "↷ Redo", disabled: doc.readonly }),
    el("button", { class: "se-btn primary", "data-act": "save", id: "se-save", title: "save (s)", disabled: doc.readonly, text: "Save" }));
  const palette = el("div", { class: "se-palette", role: "toolbar", "aria-label": "entity types" },
    // one text whatever is selected: it shrank to "Type:" as a finger went down on a phone, the
    // words moved up a line under the finger, and the tap took the word below
    // a viewer sees the editor greyed, and why, before trying (it looked editable until a try)
    el("span", { class: "se-hint", id: doc.readonly ? "se-readonly" : null,
                 text: doc.readonly ? READONLY_SAID : "Select words, then a type:" }),
    ...types.map((t, i) => el("button", { class: `se-type c${i}`, "data-act": "type", "data-k": i, title: `key ${i + 1}`,
                                          text: `${i + 1} ${t}`, disabled: doc.readonly })));

  // which tokens are in what
  const inSpan = new Array(doc.tokens.length).fill(-1);
  spans.forEach((s, i) => { for (let j = s.start; j < s.end; j++) inSpan[j] = i; });
  const sugs = pending();
  const sugAt = new Map();
  // after its last word, or after the span that word is in: drawn between a span's words, it
  // split the span in two ("Warriors [+ ORG] enjoy LOC")
  sugs.forEach((s) => {
    const inside = inSpan[s.end - 1];
    const at = inside >= 0 ? spans[inside].end - 1 : s.end - 1;
    const l = sugAt.get(at) || []; l.push(s); sugAt.set(at, l);
  });
  const sugMark = new Array(doc.tokens.length).fill("");
  sugs.forEach((s) => { for (let j = s.start; j < s.end; j++) sugMark[j] += ` sug-${s.source[0]}`; });
  const p = (doc.pairs || [])[pair];
  const lo = sel ? Math.min(sel.a, sel.b) : -1, hi = sel ? Math.max(sel.a, sel.b) : -2;

  // the words are one tab stop (the word at `cursor`): arrows move, Shift+arrows select, a number
  // gives the type, Enter picks the span a word is in (no word could take the keyboard's focus:
  // a keyboard-only annotator could take suggestions but not mark a span)
  cursor = Math.min(cursor, Math.max(0, doc.tokens.length - 1));
  // a group, not a listbox: the chips and suggestions among the words are buttons, which a
  // listbox may not hold; each word is a toggle, pressed while selected
  const text = el("div", { class: "se-text", id: "se-text", dir: "auto", role: "group",
    "aria-label": "the post's words: arrows move, Shift and arrows select, a number key gives the type, Enter picks a span" });
  doc.tokens.forEach((tok, i) => {
    const si = inSpan[i];
    let cls = "se-tok" + sugMark[i];
    if (si >= 0) {
      const s = spans[si];
      cls += ` in-span c${colorIndex(s.type)}` + (i === s.start ? " first" : "") + (i === s.end - 1 ? " last" : "") + (si === selSpan ? " picked" : "");
    }
    if (i >= lo && i <= hi) cls += " sel";
    if (errFocus && errFocus.gold && i >= errFocus.gold[0] && i < errFocus.gold[1]) cls += " err-gold";
    if (errFocus && errFocus.pred && i >= errFocus.pred[0] && i < errFocus.pred[1]) cls += " err-pred";
    if (p && i >= p.head[0] && i < p.head[1]) cls += " rel-head";
    if (p && i >= p.tail[0] && i < p.tail[1]) cls += " rel-tail";
    const shown = shownToken(tok.t);
    const inType = si >= 0 ? `, ${spans[si].type}` : "";
    const tokEl = el("span", { class: cls + (shown === tok.t ? "" : " invisible"), "data-i": i, text: shown, role: "button",
      tabindex: i === cursor ? "0" : "-1", "aria-pressed": i >= lo && i <= hi ? "true" : "false",
      "aria-label": `${shown}${inType}` });
    // a word and the chips and suggestions after it are one piece for the line breaks (a chip or
    // a suggestion wrapped to the next line, away from its words); wider than a line, it wraps inside
    const items = [];
    const after = (x) => items.push(x);
    if (si >= 0 && i === spans[si].end - 1) {
      after(el("span", { class: `se-chip c${colorIndex(spans[si].type)}` },
        el("button", { class: "se-chip-type", "data-act": "pick-span", "data-k": si, title: `origin: ${spans[si].origin || "saved"}`,
          "aria-label": `${spans[si].type}: ${words(spans[si])} (pick to retype)`, text: spans[si].type }),
        // none for a read-only editor: it looked like a button that removes the span
        doc.readonly ? null : el("button", { class: "se-x", "data-act": "remove", "data-k": si, "aria-label": `remove ${spans[si].type} span ${words(spans[si])}`, text: "×" })));
    }
    for (const s of sugAt.get(i) || []) {
      const clash = spans.some((x) => x.start < s.end && s.start < x.end) || sugs.some((o) => o !== s && o.source !== s.source && o.start < s.end && s.start < o.end && !same(o, s));
      const conf = s.confidence !== null && s.confidence !== undefined ? s.confidence.toFixed(2) : "";
      const who = s.source === "student" ? `student ${conf}` : s.source === "knowledge" ? `knowledge view ${conf}` : "teacher";
      after(el("button", {
        class: `se-sug ${s.source} c${colorIndex(s.type)}` + (clash ? " clash" : ""), "data-act": "accept", "data-s": JSON.stringify(s),
        // what taking it does, in words (it was read "⚠ ORG · student 1.00")
        "aria-label": `take ${words(s)} as ${s.type} (${who})${clash ? ", disagrees with a label or another suggestion" : ""}`,
        title: (s.source === "student" ? `${s.origin}: confidence ${s.confidence}` : s.source === "knowledge" ? `${s.origin} (reads the teacher's CoT): confidence ${s.confidence}` : `${s.origin}: ${s.rationale || "no rationale given"}`) + (clash ? " (disagrees with the labels or the other suggestion)" : ""),
        text: `${clash ? "⚠ " : "+ "}${s.type} · ${who}`,
      }));
    }
    text.append(items.length ? el("span", { class: "se-word" }, tokEl, ...items) : tokEl);
    if (tok.gap) {  // the space inside a span takes the span's colour, so a span reads as one
      const inside = si >= 0 && i + 1 < spans[si].end;
      text.append(inside ? el("span", { class: `se-gap c${colorIndex(spans[si].type)}`, text: tok.gap }) : document.createTextNode(tok.gap));
    }
  });

  const sugBar = el("div", { class: "se-sugbar" },
    el("span", { class: "se-hint", text: `Suggestions: ${pending("student").length} from the student (dashed), ` +
      (pending("knowledge").length ? `${pending("knowledge").length} from a knowledge view, which reads the teacher's CoT (thick left edge), ` : "") +
      `${pending("teacher").length} from the teacher (dotted); ⚠ marks one that disagrees with a label or another suggestion.` +
      (doc.readonly ? "" : " Click one to take it" + (pending("student").length || pending("teacher").length ? ", or" : ".")) }),
    // a "take all" only where there is something to take
    ...["student", "teacher"].filter((src) => !doc.readonly && pending(src).length).map((src) =>
      el("button", { class: "se-btn", "data-act": "accept-all", "data-source": src, id: `se-accept-${src}`,
                     text: src === "student" ? "take all the student's (A)" : "take all the teacher's" })));

  // (where the student read the whole post: past what it reads, a label is no miss of its own)
  const missed = doc.student_unread ? [] : missedByStudent();
  const missedLine = missed.length ? el("div", { class: "se-hint", id: "se-missed",
    text: `The student misses: ${missed.map((l) => `${doc.tokens.slice(l.start, l.end).map((t) => t.t).join(" ")} (${l.type})`).join(", ")}.` }) : null;
  // the queue's progress on a line of its own: as it grows ("by annotator: …") it would push
  // Redo and Save onto a second line of the bar after the first save
  const progress = el("div", { class: "se-progress", id: "se-progress", text: pos.progress || "" });
  // a question (leave with unsaved edits?) right under the bar whose button or tab asked it,
  // not below a long post and its pairs, out of sight: the page seemed to ignore the click
  // an alert dialog, named by its question: a screen reader says it when the focus moves into it
  // (it was silent, and the focus fell to the page, where the editor's keys did nothing)
  // (not aria-modal: the rest of the page stays usable, and the focus is not held in it)
  const question = dialog ? el("div", { class: "se-dialog", role: "alertdialog", id: "se-dialog",
                                        "aria-labelledby": "se-dialog-text" },
    el("p", { text: dialog.text, id: "se-dialog-text" }),
    el("div", { class: "se-row" }, ...dialog.actions.map(([label, , cls], i) =>
      el("button", { class: `se-btn ${cls}`, "data-act": "dialog", "data-k": i, text: label })))) : null;
  // a long post: the student's limit said, or its silence on the rest reads as "nothing there"
  const unread = doc.student_unread ? el("div", { class: "se-hint", id: "se-unread", text: doc.student_unread }) : null;
  const errLine = errFocus ? el("div", { class: "se-errfocus", id: "se-errfocus", role: "status" },
    el("span", { text: `From ${errFocus.source || "Errors"}: ${errFocus.said}. ` }),
    ...(errFocus.gold ? [el("span", { class: "err-key gold", text: "the labels' words" })] : []),
    ...(errFocus.pred ? [el("span", { class: "err-key pred", text: "the student's words" })] : []),
    el("button", { class: "se-btn", "data-act": "dismiss-error", text: "OK" })) : null;
  root.append(bar, ...(question ? [question] : []), progress, palette, ...(unread ? [unread] : []),
    ...(errLine ? [errLine] : []), text, sugBar, ...(missedLine ? [missedLine] : []));
  if (doc.pairs && doc.pairs.length) root.append(relationsPanel());
  if (doc.note || doc.stale_draft) {
    const stale = doc.stale_draft;
    root.append(el("div", { class: "se-note", id: stale ? "se-stale" : null }, el("span", { text: doc.note || "" }),
      stale ? el("span", { text: ` Your draft: ${stale.spans.map((s) => `${doc.tokens.slice(s.start, s.end).map((t) => t.t).join(" ")} (${s.type})`).join("; ") || "no spans"}.` }) : null,
      ...(stale && !doc.readonly ? [
        el("button", { class: "se-btn primary", "data-act": "stale-merge", id: "se-stale-merge", text: "Compare and merge…",
          title: "shows your draft beside the labels saved since, span by span, to merge or keep either" }),
        el("button", { class: "se-btn danger", "data-act": "stale-discard", id: "se-stale-discard", text: "Discard my draft" }),
        el("button", { class: "se-btn", "data-act": "dismiss", text: "Later",
          title: "keeps the draft in this browser: it is offered again when the post is opened" })]
        : [el("button", { class: "se-btn", "data-act": "dismiss", text: "OK" })])));
  }
  const elsewhere = otherDrafts();
  if (elsewhere.length) {  // left by a reload or a closed tab: said, one click away, not lost from sight
    root.append(el("div", { class: "se-drafts", id: "se-drafts" },
      el("span", { text: `Unsaved edits kept in this browser on ${elsewhere.length === 1 ? "another post" : `${elsewhere.length} other posts`}:` }),
      ...elsewhere.slice(0, 5).map((d) => el("span", { class: "se-draft" },
        el("button", { class: "se-btn", "data-act": "open-draft", "data-id": d.id,
          title: `${d.id}, ${d.edits ? "edited" : "picked"} ${d.at ? utcMoment(d.at) : "before"}; click to open the post ` +
            `(${d.edits ? "the edits come back there" : "the relations come back there, unless its relations changed since"})`,
          text: quoted(d) +
            (d.waiting ? ` (${d.waiting === 1 ? "a relation waits" : `${d.waiting} relations wait`} for your name)` : "") }),
        el("button", { class: "se-btn se-forget", "data-act": "forget-drafts", "data-id": d.id, text: "forget",
          title: `forget the unsaved edits on ${d.id}`, "aria-label": `Forget the edits on ${d.id}` }))),
      elsewhere.length > 5 ? el("span", { text: `and ${elsewhere.length - 5} more` }) : null,
      elsewhere.length > 1 ? el("button", { class: "se-btn danger", "data-act": "forget-drafts", text: "Forget them all" }) : null));
  }
  if (doc.conflict) root.append(conflictPanel());
  if (reveal && visible()) {
    reveal = false;
    // on a phone the filters, the name and the search fill the first screen: the post was below
    // (from the status line above the editor, which says what was opened: annotate.py's elem_id)
    const top = root.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.5) (document.getElementById("annotate-status") || root).scrollIntoView({ block: "start" });
    // opened with the keyboard (Enter on an error row): the row went with its tab and the next Tab
    // reached the page's foot; the keyboard goes to the post's words, at the error where one is named
    const active = document.activeElement;
    const opened = pairOpened && pairOpened.post_id === doc.post_id ?
      root.querySelector(`select[data-rel="${pairOpened.index}"]`) : null;
    pairOpened = null;
    if (opened && !opened.disabled && (!active || active === document.body || !active.getClientRects().length)) {
      // a relation error: the keyboard on its pair's dropdown, where the fix is made (it was on the
      // post's first word). Keys there change nothing saved: a relation reached with them waits
      // for Enter, and leaving the post asks about it
      relByKeys = true;
      setTimeout(() => opened.focus({ preventScroll: true }), 0);
    } else if (!active || active === document.body || !active.getClientRects().length) {
      const at = errFocus ? ((errFocus.gold || errFocus.pred || [cursor])[0]) : cursor;
      cursor = at; anchor = at;
      setTimeout(() => {
        const t = root.querySelector(`.se-tok[data-i="${at}"]`);
        if (t) t.focus({ preventScroll: true });
      }, 0);
    }
  }
  if (question && dialog !== shownDialog) {
    shownDialog = dialog;   // brought into view once when it opens (a tab clicked from far below, say)
    question.scrollIntoView({ block: "nearest" });
    const active = document.activeElement;
    const fromPage = !active || active === document.body || root.contains(active) || active.closest(".se-dialog");
    if (fromPage) {   // not from a box being typed in elsewhere: the keyboard goes to the choices
      dialogFromWords = dialogFromWords || wordFocus;
      // the first choice, or the one named safe (a colleague's labels undone by an Enter pressed on)
      const first = question.querySelector("button.se-safe") || question.querySelector("button");
      if (first) first.focus({ preventScroll: true });
    }
  }
  if (!dialog && shownDialog) {   // it closed: its button had the focus, gone with it
    shownDialog = null;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (dialogFromWords && lost) focusCursor();
    dialogFromWords = false;
  }
  if (wordFocus && !dialog) focusCursor();
  if (relFocus !== null && !dialog) {
    const again = root.querySelector(`select[data-rel="${relFocus}"]`);
    if (again && document.activeElement !== again) again.focus({ preventScroll: true });
  }
}

function relationsPanel() {
  // Pairs arrive least certain first; `p.index` is the pair's place in the saved labels.
  const words = (r) => doc.tokens.slice(r[0], r[1]).map((t) => shownToken(t.t)).join(" ");
  // an argument's type: the annotator's span on exactly its words (saved or not), else the
  // student's reading of the pair, else none (then any relation fits that side)
  const argType = (r, student) => {
    const mine = spans.find((s) => s.start === r[0] && s.end === r[1]);
    const type = mine ? mine.type : student;
    const names = doc.type_names || {};
    return type && type in names ? names[type] : (type || null);   // a type MNRE has no name for fits any
  };
  const fittingRelations = (p, all) => {
    const h = argType(p.head, p.head_type), t = argType(p.tail, p.tail_type);
    return all.filter((l) => {
      const types = (doc.relation_arguments || {})[l];
      return !types || ((!h || types[0] === h) && (!t || types[1] === t));
    });
  };
  const rows = doc.pairs.map((p, i) => {
    // the relations whose argument types fit the pair first, then the others (still choosable)
    const held = heldLabel(p.index);      // reached with the keys: saved on Enter
    const kept = held !== undefined ? held : waitingLabel(p.index);   // picked with no name typed: shown as picked, not saved
    const option = (l) => el("option", { value: l, selected: l === (kept === undefined ? p.label : kept), text: l });
    const all = doc.relation_labels || [];
    const fits = fittingRelations(p, all);
    const fitting = fits.length > 1 && fits.length < all.length ? fits : null;
    const others = all.filter((l) => !fitting || !fitting.includes(l));
    const select = el("select", { "data-rel": p.index, class: kept === undefined ? null : "se-waiting", "aria-label": `relation of pair ${p.index + 1}`, disabled: doc.readonly },
      ...(fitting ? [el("optgroup", { label: "fit the pair's entity types" }, ...fitting.map(option)),
                     el("optgroup", { label: "other relations" }, ...others.map(option))] : others.map(option)));
    const suggestion = (who, s, text, title) => {
      const taken = s.label === (kept === undefined ? p.label : kept);
      return el("button", { class: `se-sug ${who}` + (taken ? " taken" : ""), "data-act": "rel-use", "data-index": p.index,
        "data-label": s.label, disabled: doc.readonly || taken, title,
        text: (taken ? "✓ " : "") + text });
    };
    return el("div", { class: "se-pair" + (i === pair ? " on" : ""), "data-act": "pair", "data-k": i },
      // numbered as in Explore's pairs table and Errors (the pair's place in the labels), not
      // by this list's order, which puts the least certain first
      el("span", { class: "se-pair-n", text: `${p.index + 1}.` }),
      el("span", { class: "se-pair-words" }, el("span", { class: "rel-head-chip", text: words(p.head) }),
        el("span", { text: " → " }), el("span", { class: "rel-tail-chip", text: words(p.tail) })),
      select,
      el("span", { class: "se-pair-extra" },
        p.student ? suggestion("student", p.student, `student: ${p.student.label} (${p.student.confidence.toFixed(2)})`,
          `relation student ${p.student.model}; click to take it`) : null,
        p.teacher ? suggestion("teacher", p.teacher, `teacher: ${p.teacher.label}`,
          `teacher ${p.teacher.model || ""}; click to take it`) : null,
        // a relation is saved at once: said here, beside the dropdown (the status line can be a screen away)
        doc.pair_saved && doc.pair_saved.index === p.index ? el("span", { class: "se-pair-saved", id: "se-pair-saved" },
          el("span", { text: `✓ saved as version ${doc.pair_saved.version}` }),
          el("button", { class: "se-btn", "data-act": "undo-saved", text: "Undo", title: "take this relation change back" })) : null,
        // every relation saved here since the post opened: said on each pair (only the newest has the Undo)
        marks && marks.saved[p.index] !== undefined && !(doc.pair_saved && doc.pair_saved.index === p.index) ?
          el("span", { class: "se-pair-saved se-pair-batch", text: `✓ saved as version ${marks.saved[p.index]}`,
            title: "undo takes back the newest change first" }) : null,
        held !== undefined ? heldNote() :
        kept !== undefined ? el("span", { class: "se-pair-waiting" },
          el("span", { text: relPending() ? "not saved yet: it follows the relation on its way"
            : "not saved yet: type your name above and it is saved" }),
          // a name the browser filled in again (after a reload) is never "typed": saved from here
          relPending() ? null : el("button", { class: "se-btn", "data-act": "save-waiting", text: "Save it",
            title: "save under the name in the annotator field" })) : null),
      p.teacher && p.teacher.rationale ? el("div", { class: "se-rationale", text: `Teacher: ${p.teacher.rationale}` }) : null);
  });
  const sorted = doc.pairs.some((p) => p.student);
  return el("div", { class: "se-rels" }, el("div", { class: "se-hint",
    text: "Entity pairs" + (sorted ? ", the student's least certain first" : "") +
      " ([ and ] move between them; the pair on show is outlined in the text)" +
      (doc.readonly ? ": to read (your role does not change relations)" : ". Click a suggestion to take it:") }), ...rows);
}

watch("value", () => load(true));
load(true);
