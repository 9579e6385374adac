// The menu editor: a tree form over the document's plain mapping, a YAML view of the same
// document, and live validation by the server (the same parse_menu as `ivr menu validate`).
// The history page uses only the confirm step for rollback forms.
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  var dataEl = document.getElementById("editor-data");
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var L = JSON.parse(document.getElementById("editor-labels").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var form = document.getElementById("menu-form");
  var textarea = document.getElementById("yaml");
  var treeEl = document.getElementById("tree");
  var yamlView = document.getElementById("yaml-view");
  var problemsEl = document.getElementById("problems");
  var stateEl = document.getElementById("validate-state");
  var messageEl = document.getElementById("view-message");
  var documentField = document.getElementById("document-field");
  var switcher = document.getElementById("view-switch");

  var NODE_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
  var EDGE_FIELDS = ["next", "fallback", "no_answer", "open", "closed"];
  var state = data.document; // the document as a plain mapping; null when YAML cannot be one
  var result = { errors: data.errors, warnings: data.warnings };
  var view = state ? "tree" : "yaml";
  var seq = 0;
  var timer = null;
  // Until the tree is edited, the YAML text is sent as typed: a save then keeps the
  // author's layout instead of the server's re-dump of the mapping.
  var treeEdited = false;

  // ---- small DOM helpers -------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }
  function nodes() {
    return isObject(state.nodes) ? state.nodes : {};
  }
  function languages() {
    return Array.isArray(state.languages) ? state.languages.filter(function (l) { return typeof l === "string"; }) : [];
  }

  // A labelled field: its error slot sits right after the control (filled by showProblems).
  function field(label, path, control, extraClass) {
    control.dataset.field = path;
    return el("div", { class: "field " + (extraClass || ""), dataset: { field: path } }, [
      el("label", {}, [el("span", { class: "label", text: label }), control]),
      el("span", { class: "field-error", role: "alert" }),
    ]);
  }
  function textInput(value, onInput, attrs) {
    var input = el("input", Object.assign({ type: "text", value: value === undefined || value === null ? "" : String(value) }, attrs || {}));
    input.addEventListener("input", function () { onInput(input.value); changed(); });
    return input;
  }
  function selectInput(choices, value, onChange) {
    var select = el("select", {}, choices.map(function (choice) {
      return el("option", { value: choice[0], text: choice[1], selected: String(value) === choice[0] });
    }));
    if (!choices.some(function (c) { return c[0] === String(value); }) && value !== undefined && value !== "") {
      select.appendChild(el("option", { value: String(value), text: String(value), selected: true }));
    }
    select.addEventListener("change", function () { onChange(select.value); });
    return select;
  }
  function numberInput(node, name) {
    return textInput(node[name], function (value) {
      var trimmed = value.trim();
      if (trimmed === "") delete node[name];
      else node[name] = /^-?\d+$/.test(trimmed) ? parseInt(trimmed, 10) : trimmed;
    }, { inputmode: "numeric", class: "short" });
  }
  function refInput(target, name) {
    return textInput(target[name], function (value) { target[name] = value.trim(); }, { list: "node-ids", class: "ref" });
  }

  // ---- walking the document ------------------------------------------------------------
  function targetsOf(node) {
    if (!isObject(node)) return [];
    var found = [];
    if (isObject(node.options)) {
      Object.keys(node.options).forEach(function (key) {
        var option = node.options[key];
        found.push(isObject(option) ? option.next : option);
      });
    }
    EDGE_FIELDS.forEach(function (name) { if (name in node) found.push(node[name]); });
    return found.filter(function (t) { return typeof t === "string"; });
  }

  // Reachability order from start, depth-first like `ivr menu show`; the rest after, flagged.
  function ordered() {
    var all = nodes();
    var seen = {};
    var order = [];
    function visit(id, depth) {
      if (!(id in all) || seen[id]) return;
      seen[id] = true;
      order.push({ id: id, depth: depth, reachable: true });
      targetsOf(all[id]).forEach(function (target) { visit(target, depth + 1); });
    }
    if (typeof state.start === "string") visit(state.start, 0);
    settingsEntries().forEach(function (id) { visit(id, 0); });
    Object.keys(all).forEach(function (id) {
      if (!seen[id]) order.push({ id: id, depth: 0, reachable: false });
    });
    return order;
  }

  // The elderly path and the person key lead into the menu as well as its start.
  function settingsEntries() {
    var settings = isObject(state.settings) ? state.settings : {};
    return ["elderly", "person_key"].map(function (name) {
      return isObject(settings[name]) ? settings[name].next : null;
    }).filter(function (t) { return typeof t === "string"; });
  }

  function renameNode(oldId, newId) {
    var renamed = {};
    Object.keys(nodes()).forEach(function (id) { renamed[id === oldId ? newId : id] = nodes()[id]; });
    state.nodes = renamed;
    if (state.start === oldId) state.start = newId;
    if (isObject(state.settings)) {
      ["elderly", "person_key"].forEach(function (name) {
        var route = state.settings[name];
        if (isObject(route) && route.next === oldId) route.next = newId;
      });
    }
    Object.keys(renamed).forEach(function (id) {
      var node = renamed[id];
      if (!isObject(node)) return;
      EDGE_FIELDS.forEach(function (name) { if (node[name] === oldId) node[name] = newId; });
      if (isObject(node.options)) {
        Object.keys(node.options).forEach(function (key) {
          var option = node.options[key];
          if (option === oldId) node.options[key] = newId;
          else if (isObject(option) && option.next === oldId) option.next = newId;
        });
      }
    });
  }

  // A node of a new kind keeps the fields that kind has, and gets its required ones.
  function changeKind(id, kind) {
    var old = nodes()[id];
    var fresh = { kind: kind };
    var fields = data.kinds[kind];
    Object.keys(fields).forEach(function (name) {
      if (isObject(old) && name in old) fresh[name] = old[name];
      else if (fields[name]) fresh[name] = defaultValue(name);
    });
    nodes()[id] = fresh;
  }
  function defaultValue(name) {
    if (name === "prompt") {
      var prompts = {};
      languages().forEach(function (lang) { prompts[lang] = ""; });
      return prompts;
    }
    if (name === "options") return { "1": "" };
    if (name === "choices") return { "1": languages()[0] || "zh" };
    return "";
  }

  // ---- rendering the tree ------------------------------------------------------------
  function render() {
    treeEl.textContent = "";
    treeEl.appendChild(datalist("node-ids", Object.keys(nodes())));
    treeEl.appendChild(datalist("prompt-files", data.prompt_files));
    treeEl.appendChild(datalist("station-codes", data.stations));
    treeEl.appendChild(datalist("speech-rates", data.speech_rates));
    treeEl.appendChild(settingsCard());
    ordered().forEach(function (entry) { treeEl.appendChild(nodeCard(entry)); });
    treeEl.appendChild(addNodeCard());
    showProblems();
  }

  function datalist(id, values) {
    return el("datalist", { id: id }, values.map(function (v) { return el("option", { value: v }); }));
  }

  function settingsCard() {
    var langs = textInput(languages().join(", "), function () {}, {});
    langs.addEventListener("change", function () {
      state.languages = langs.value.split(/[\s,，]+/).filter(Boolean);
      render();
      changed();
    });
    return el("section", { class: "node-card settings-card", dataset: { node: "" } }, [
      el("h3", { text: L.menuSettings }),
      el("ul", { class: "node-errors" }),
      field(L.start, "start", refInput(state, "start")),
      field(L.languages, "languages", langs),
      "voices" in state ? el("p", { class: "meta", text: L.voicesNote }) : null,
      elderlySettings(),
    ]);
  }

  // The elderly-friendly settings (适老设置): speech rate, key wait, * and 0 on every menu,
  // the short path for callers the registry flags as elderly.
  function elderlySettings() {
    if (state.settings !== undefined && !isObject(state.settings)) {
      return el("p", { class: "meta", text: L.settingsInYaml });
    }
    var settings = isObject(state.settings) ? state.settings : {};
    function store() {
      if (Object.keys(settings).length) state.settings = settings;
      else delete state.settings;
    }
    var rate = rateInput(settings, "speech_rate", L.normalRate, store);
    var timeout = numberInput(settings, "key_timeout");
    timeout.addEventListener("input", store);
    var group = el("fieldset", { class: "elderly-settings", dataset: { field: "settings" } }, [
      el("legend", { text: L.elderlySettings }),
      el("p", { class: "meta", text: L.elderlyHint }),
      el("span", { class: "field-error", role: "alert" }),
      el("div", { class: "field-row" }, [
        field(L.speechRate, "settings.speech_rate", rate),
        field(L.keyTimeout, "settings.key_timeout", timeout),
      ]),
    ]);
    group.appendChild(switchedSetting(settings, "repeat_key", L.repeatKey, false, store));
    group.appendChild(switchedSetting(settings, "person_key", L.personKey, L.personNext, store));
    group.appendChild(switchedSetting(settings, "elderly", L.elderlyPath, L.elderlyNext, store));
    return group;
  }

  // One setting turned on or off; on, its prompt (and for a route, where it leads).
  function switchedSetting(settings, name, label, nextLabel, store) {
    var path = "settings." + name;
    var box = el("div", { class: "switched field", dataset: { field: path } });
    var toggle = el("input", { type: "checkbox", checked: isObject(settings[name]), id: "setting-" + name });
    toggle.addEventListener("change", function () {
      if (toggle.checked) {
        settings[name] = { prompt: defaultValue("prompt") };
        if (nextLabel) settings[name].next = "";
      } else delete settings[name];
      store();
      render();
      changed();
    });
    box.appendChild(el("label", { class: "toggle" }, [toggle, " " + label]));
    box.appendChild(el("span", { class: "field-error", role: "alert" }));
    if (!isObject(settings[name])) return box;
    if (nextLabel) box.appendChild(field(nextLabel, path + ".next", refInput(settings[name], "next")));
    box.appendChild(promptGroup(settings[name], "prompt", L.settingPrompt, false, path + ".prompt"));
    return box;
  }

  function rateInput(holder, name, placeholder, after) {
    var input = textInput(holder[name], function (value) {
      var trimmed = value.trim();
      if (trimmed === "") delete holder[name];
      else holder[name] = trimmed;
      if (after) after();
    }, { list: "speech-rates", class: "short", placeholder: placeholder });
    return input;
  }

  function nodeCard(entry) {
    var id = entry.id;
    var node = nodes()[id];
    var kind = isObject(node) ? node.kind : undefined;
    var card = el("section", {
      class: "node-card" + (entry.reachable ? "" : " unreachable"),
      id: "node-" + id,
      style: "--depth:" + Math.min(entry.depth, 8),
      dataset: { node: id },
    });
    var idInput = el("input", { type: "text", value: id, class: "node-id", "aria-label": L.nodeId });
    idInput.addEventListener("change", function () {
      var wanted = idInput.value.trim();
      if (wanted === id) return;
      if (!NODE_ID.test(wanted) || wanted in nodes()) {
        idInput.value = id;
        say(wanted in nodes() ? L.idTaken : L.idInvalid);
        return;
      }
      renameNode(id, wanted);
      render();
      changed();
    });
    var kinds = Object.keys(data.kinds).map(function (k) { return [k, k + " · " + L.kinds[k]]; });
    var kindSelect = selectInput(kinds, kind, function (value) { changeKind(id, value); render(); changed(); });
    kindSelect.dataset.field = "kind";
    kindSelect.setAttribute("aria-label", L.kind);
    var remove = el("button", { type: "button", class: "secondary danger", text: L.removeNode, onclick: function () {
      if (!window.confirm(fmt(L.confirmRemove, { id: id }))) return;
      delete nodes()[id];
      render();
      changed();
    } });
    card.appendChild(el("header", { class: "node-head" }, [
      idInput, kindSelect,
      entry.reachable ? null : el("span", { class: "badge", text: L.unreachable }),
      el("span", { class: "problem-count" }),
      remove,
    ]));
    card.appendChild(el("ul", { class: "node-errors" }));
    card.appendChild(el("span", { class: "field-error", dataset: { field: "kind" } }));
    if (isObject(node) && data.kinds[kind]) kindFields(card, node, kind);
    return card;
  }

  function kindFields(card, node, kind) {
    var fields = data.kinds[kind];
    if ("prompt" in fields) card.appendChild(promptGroup(node, "prompt", L.prompt, !fields.prompt));
    if (kind === "menu") card.appendChild(optionsGroup(node));
    if (kind === "language") card.appendChild(choicesGroup(node));
    var row = el("div", { class: "field-row" });
    var nextLabel = kind === "callback" ? L.callbackNext : L.next;
    if ("next" in fields) row.appendChild(field(nextLabel, "next", refInput(node, "next")));
    if ("limit" in fields) row.appendChild(field(L.callbackLimit, "limit", numberInput(node, "limit")));
    if ("fallback" in fields) row.appendChild(field(L.fallback, "fallback", refInput(node, "fallback")));
    if ("repeat" in fields) row.appendChild(field(L.repeat, "repeat", numberInput(node, "repeat")));
    if ("timeout" in fields) row.appendChild(field(L.timeout, "timeout", numberInput(node, "timeout")));
    if ("max_length" in fields) row.appendChild(field(L.maxLength, "max_length", numberInput(node, "max_length")));
    if ("tags" in fields) row.appendChild(field(L.tags, "tags", tagsInput(node)));
    if ("priority" in fields) row.appendChild(field(L.priority, "priority", namedSelect(node, "priority", data.priorities, L.priorityNames)));
    if ("strategy" in fields) row.appendChild(field(L.strategy, "strategy", namedSelect(node, "strategy", data.strategies, L.strategyNames)));
    if ("no_answer" in fields) row.appendChild(field(L.noAnswer, "no_answer", refInput(node, "no_answer")));
    if ("station" in fields) row.appendChild(field(L.station, "station", textInput(node.station, function (v) { node.station = v.trim(); }, { list: "station-codes" })));
    if ("open" in fields) row.appendChild(field(L.open, "open", refInput(node, "open")));
    if ("closed" in fields) row.appendChild(field(L.closed, "closed", refInput(node, "closed")));
    if ("speech_rate" in fields) row.appendChild(field(L.speechRate, "speech_rate", rateInput(node, "speech_rate", L.fromSettings)));
    var settings = isObject(state.settings) ? state.settings : {};
    if ("repeat_key" in fields && isObject(settings.repeat_key)) row.appendChild(keySwitch(node, "repeat_key", L.repeatHere));
    if ("person_key" in fields && isObject(settings.person_key)) row.appendChild(keySwitch(node, "person_key", L.personHere));
    card.appendChild(row);
    if ("invalid" in fields) card.appendChild(promptGroup(node, "invalid", L.invalid, true));
    if ("thanks" in fields) card.appendChild(promptGroup(node, "thanks", L.thanks, true));
  }

  // On by default (the menu's setting); unticked writes `false` for this node alone.
  function keySwitch(node, name, label) {
    var toggle = el("input", { type: "checkbox", checked: node[name] !== false });
    toggle.dataset.field = name;
    toggle.addEventListener("change", function () {
      if (toggle.checked) delete node[name];
      else node[name] = false;
      changed();
    });
    return el("div", { class: "field", dataset: { field: name } }, [
      el("label", { class: "toggle" }, [toggle, " " + label]),
      el("span", { class: "field-error", role: "alert" }),
    ]);
  }

  function namedSelect(node, name, values, names) {
    var choices = [["", L.default]].concat(values.map(function (v) { return [v, names[v] || v]; }));
    return selectInput(choices, node[name] === undefined ? "" : node[name], function (value) {
      if (value === "") delete node[name];
      else node[name] = value;
      changed();
    });
  }

  function tagsInput(node) {
    var shown = Array.isArray(node.tags) ? node.tags.join(", ") : (node.tags === undefined ? "" : String(node.tags));
    return textInput(shown, function (value) {
      var tags = value.split(/[\s,，]+/).filter(Boolean);
      if (tags.length) node.tags = tags;
      else delete node.tags;
    });
  }

  // Prompts by language: text to say or a library file to play, and an optional voice.
  function promptGroup(node, name, label, optional, path) {
    var where = path || name;
    var group = el("fieldset", { class: "prompts", dataset: { field: where } }, [el("legend", { text: label })]);
    if (optional) {
      var toggle = el("input", { type: "checkbox", checked: name in node });
      toggle.addEventListener("change", function () {
        if (toggle.checked) node[name] = defaultValue("prompt");
        else delete node[name];
        render();
        changed();
      });
      group.appendChild(el("label", { class: "toggle" }, [toggle, L.optional]));
    }
    group.appendChild(el("span", { class: "field-error", role: "alert" }));
    if (!(name in node)) return group;
    if (!isObject(node[name])) node[name] = {};
    var prompts = node[name];
    languages().forEach(function (lang) { group.appendChild(promptRow(prompts, where, lang)); });
    return group;
  }

  function promptRow(prompts, name, lang) {
    var entry = prompts[lang];
    var mode = isObject(entry) && "play" in entry ? "play" : "say";
    var text = isObject(entry) ? (entry[mode] === undefined ? "" : String(entry[mode])) : (entry === undefined ? "" : String(entry));
    var voice = isObject(entry) && entry.voice ? String(entry.voice) : "";
    function write() {
      if (mode === "say" && !voice) prompts[lang] = text;
      else {
        var value = {};
        value[mode] = text;
        if (voice) value.voice = voice;
        prompts[lang] = value;
      }
    }
    var path = name + "." + lang;
    var input = mode === "say"
      ? el("textarea", { rows: 2, class: "say" })
      : el("input", { type: "text", list: "prompt-files", class: "play" });
    input.value = text;
    input.dataset.field = path;
    input.setAttribute("aria-label", lang + " " + (mode === "say" ? L.say : L.play));
    input.addEventListener("input", function () { text = input.value; write(); changed(); });
    var modeSelect = selectInput([["say", L.say], ["play", L.play]], mode, function (value) {
      mode = value;
      write();
      render();
      changed();
    });
    return el("div", { class: "prompt-row field", dataset: { field: path } }, [
      el("span", { class: "lang", text: lang }),
      modeSelect,
      input,
      voiceInput(lang, voice, function (value) { voice = value; write(); changed(); }),
      el("span", { class: "field-error", role: "alert" }),
    ]);
  }

  function voiceInput(lang, voice, onChange) {
    var known = data.voices && data.voices[lang];
    if (known) {
      var choices = [["", L.defaultVoice]].concat(known.map(function (v) { return [v[0], v[1]]; }));
      var select = selectInput(choices, voice, onChange);
      select.setAttribute("aria-label", lang + " " + L.voice);
      return select;
    }
    var input = textInput(voice, function (v) { onChange(v.trim()); }, { placeholder: L.defaultVoice, class: "voice" });
    input.setAttribute("aria-label", lang + " " + L.voice);
    return input;
  }

  // Phone keys → options (menu) or languages (language node); rows in keypad order.
  function keyedRows(mapping, makeRow) {
    var order = data.keys;
    return Object.keys(mapping).sort(function (a, b) {
      return (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99);
    }).map(makeRow);
  }
  function keySelect(mapping, key) {
    var select = el("select", { "aria-label": L.key }, data.keys.map(function (k) {
      return el("option", { value: k, text: k, selected: k === key, disabled: k !== key && k in mapping });
    }));
    if (data.keys.indexOf(key) < 0) select.appendChild(el("option", { value: key, text: key, selected: true }));
    select.addEventListener("change", function () {
      var renamed = {};
      Object.keys(mapping).forEach(function (k) { renamed[k === key ? select.value : k] = mapping[k]; });
      Object.keys(mapping).forEach(function (k) { delete mapping[k]; });
      Object.assign(mapping, renamed);
      render();
      changed();
    });
    return select;
  }
  function addKey(mapping, value) {
    var free = data.keys.filter(function (k) { return !(k in mapping); })[0];
    if (free !== undefined) mapping[free] = value;
  }

  function optionsGroup(node) {
    if (!isObject(node.options)) node.options = {};
    var options = node.options;
    var group = el("fieldset", { class: "options", dataset: { field: "options" } }, [
      el("legend", { text: L.options }),
      el("span", { class: "field-error", role: "alert" }),
    ]);
    keyedRows(options, function (key) {
      var option = options[key];
      var holder = { next: isObject(option) ? option.next : option, need: isObject(option) ? option.need : undefined };
      function write() {
        if (holder.need === undefined || holder.need === "") {
          if (isObject(options[key])) { options[key].next = holder.next; delete options[key].need; }
          else options[key] = holder.next;
        } else options[key] = Object.assign(isObject(options[key]) ? options[key] : {}, { next: holder.next, need: holder.need });
      }
      var next = textInput(holder.next, function (v) { holder.next = v.trim(); write(); }, { list: "node-ids", class: "ref" });
      next.dataset.field = "options." + key + ".next";
      next.setAttribute("aria-label", L.key + " " + key + " " + L.next);
      var need = textInput(holder.need, function (v) { holder.need = v.trim(); write(); }, { class: "need", placeholder: L.need });
      need.dataset.field = "options." + key + ".need";
      need.setAttribute("aria-label", L.key + " " + key + " " + L.need);
      return el("div", { class: "option-row field", dataset: { field: "options." + key, key: key } }, [
        keySelect(options, key), el("span", { text: "→" }), next, need,
        el("button", { type: "button", class: "secondary", text: L.remove, onclick: function () {
          delete options[key]; render(); changed();
        } }),
        el("span", { class: "field-error", role: "alert" }),
      ]);
    }).forEach(function (row) { group.appendChild(row); });
    group.appendChild(el("button", { type: "button", class: "secondary add-option", text: L.addOption, onclick: function () {
      addKey(options, ""); render(); changed();
    } }));
    return group;
  }

  function choicesGroup(node) {
    if (!isObject(node.choices)) node.choices = {};
    var choices = node.choices;
    var group = el("fieldset", { class: "options", dataset: { field: "choices" } }, [
      el("legend", { text: L.choices }),
      el("span", { class: "field-error", role: "alert" }),
    ]);
    keyedRows(choices, function (key) {
      var langChoices = languages().map(function (l) { return [l, l]; });
      var lang = selectInput(langChoices, choices[key], function (value) { choices[key] = value; changed(); });
      lang.setAttribute("aria-label", L.key + " " + key + " " + L.language);
      lang.dataset.field = "choices." + key;
      return el("div", { class: "option-row field", dataset: { field: "choices." + key } }, [
        keySelect(choices, key), el("span", { text: "→" }), lang,
        el("button", { type: "button", class: "secondary", text: L.remove, onclick: function () {
          delete choices[key]; render(); changed();
        } }),
        el("span", { class: "field-error", role: "alert" }),
      ]);
    }).forEach(function (row) { group.appendChild(row); });
    group.appendChild(el("button", { type: "button", class: "secondary", text: L.addChoice, onclick: function () {
      addKey(choices, languages()[0] || "zh"); render(); changed();
    } }));
    return group;
  }

  function addNodeCard() {
    var idInput = el("input", { type: "text", placeholder: L.newNodeId, "aria-label": L.newNodeId, id: "new-node-id" });
    var kinds = Object.keys(data.kinds).map(function (k) { return [k, k + " · " + L.kinds[k]]; });
    var kind = "message";
    var kindSelect = selectInput(kinds, kind, function (value) { kind = value; });
    kindSelect.id = "new-node-kind";
    kindSelect.setAttribute("aria-label", L.kind);
    var error = el("span", { class: "field-error", role: "alert" });
    var add = el("button", { type: "button", id: "add-node", text: L.addNode, onclick: function () {
      var id = idInput.value.trim();
      if (!NODE_ID.test(id) || id in nodes()) {
        error.textContent = id in nodes() ? L.idTaken : L.idInvalid;
        return;
      }
      if (!isObject(state.nodes)) state.nodes = {};
      state.nodes[id] = {};
      changeKind(id, kind);
      render();
      changed();
      var card = document.getElementById("node-" + id);
      if (card) card.scrollIntoView({ block: "center" });
    } });
    return el("section", { class: "node-card add-card" }, [el("h3", { text: L.addNode }), idInput, kindSelect, add, error]);
  }

  // ---- problems -----------------------------------------------------------------------
  function say(text) {
    messageEl.textContent = text;
    messageEl.hidden = !text;
  }

  function problemItem(problem) {
    var item = el("li", { dataset: { node: problem.node || "", line: problem.line || "" } }, [
      el("code", { text: problem.path }),
      problem.line ? el("span", { class: "line", text: " " + fmt(L.lineN, { n: problem.line }) }) : null,
      ": " + problem.message,
    ]);
    if (problem.line) {
      item.classList.add("jump");
      item.addEventListener("click", function () { jumpToLine(problem.line); });
    }
    return item;
  }

  function jumpToLine(line) {
    if (view !== "yaml") return;
    var lines = textarea.value.split("\n");
    var start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1] || "").length);
  }

  // The error slot of the deepest field whose path starts the problem's path.
  function slotFor(card, fieldPath) {
    var parts = fieldPath ? fieldPath.split(".") : [];
    for (var n = parts.length; n > 0; n--) {
      var wanted = CSS.escape(parts.slice(0, n).join("."));
      var holders = card.querySelectorAll('[data-field="' + wanted + '"]');
      for (var i = 0; i < holders.length; i++) {
        if (holders[i].classList.contains("field-error")) return holders[i];
        var slot = holders[i].querySelector(":scope > .field-error");
        if (slot) return slot;
      }
    }
    return null;
  }

  function showProblems() {
    var errors = result.errors || [];
    var warnings = result.warnings || [];
    var top = [];
    treeEl.querySelectorAll(".field-error").forEach(function (e) { e.textContent = ""; });
    treeEl.querySelectorAll(".node-errors").forEach(function (e) { e.textContent = ""; });
    treeEl.querySelectorAll(".node-card").forEach(function (c) {
      c.classList.remove("has-errors");
      var count = c.querySelector(".problem-count");
      if (count) count.textContent = "";
    });
    treeEl.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    var perNode = {};
    errors.forEach(function (problem) {
      var card = view === "tree" && cardFor(problem);
      if (!card) { top.push(problem); return; }
      card.classList.add("has-errors");
      perNode[problem.node || ""] = (perNode[problem.node || ""] || 0) + 1;
      var fieldPath = problem.node ? problem.field : problem.path;
      var slot = slotFor(card, fieldPath);
      if (slot) {
        slot.textContent = (slot.textContent ? slot.textContent + " " : "") + problem.message;
        var wanted = '[data-field="' + CSS.escape(fieldPath) + '"]';
        var control = card.querySelector("input" + wanted + ", select" + wanted + ", textarea" + wanted);
        if (control) control.setAttribute("aria-invalid", "true");
      } else {
        card.querySelector(".node-errors").appendChild(problemItem(problem));
      }
    });
    Object.keys(perNode).forEach(function (id) {
      var card = treeEl.querySelector('.node-card[data-node="' + CSS.escape(id) + '"]');
      var count = card && card.querySelector(".problem-count");
      if (count) count.textContent = fmt(L.problemsOnNode, { n: perNode[id] });
    });
    renderList(view === "tree" ? top : errors, warnings, errors.length);
  }

  function cardFor(problem) {
    var id = problem.node;
    if (id === null || id === undefined) {
      var topField = problem.path.split(".")[0];
      return topField === "start" || topField === "languages" || topField === "settings"
        ? treeEl.querySelector(".settings-card") : null;
    }
    return treeEl.querySelector('.node-card[data-node="' + CSS.escape(id) + '"]');
  }

  function renderList(errors, warnings, total) {
    problemsEl.textContent = "";
    if (errors.length) {
      problemsEl.appendChild(el("h2", { text: L.problemsTitle + " (" + errors.length + ")" }));
      problemsEl.appendChild(el("ul", { class: "problem-list errors" }, errors.map(problemItem)));
    } else if (total) {
      problemsEl.appendChild(el("p", { class: "field-error", text: fmt(L.problems, { n: total }) }));
    }
    if (warnings.length) {
      problemsEl.appendChild(el("h2", { text: L.warningsTitle + " (" + warnings.length + ")" }));
      problemsEl.appendChild(el("ul", { class: "problem-list warnings" }, warnings.map(problemItem)));
    }
    if (!total) problemsEl.appendChild(el("p", { class: "ok", text: L.allGood }));
    stateEl.textContent = total ? fmt(L.problems, { n: total }) : L.valid;
  }

  // ---- talking to the server ------------------------------------------------------------
  function changed() {
    if (view === "tree") treeEdited = true;
    seq += 1; // any answer still on its way is for an older document
    clearTimeout(timer);
    stateEl.textContent = L.checking;
    timer = setTimeout(function () { check(); }, 400);
  }

  // The tree is the source once it has been edited; until then, and in the YAML view, the
  // text is (so that switching views keeps the author's layout and comments).
  function treeIsSource() {
    return view === "tree" && treeEdited && state !== null;
  }

  function check() {
    clearTimeout(timer);
    var mine = ++seq;
    var fromTree = treeIsSource();
    var body = fromTree ? { document: state } : { yaml: textarea.value };
    return fetch(data.validate_url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (answer) {
      if (mine !== seq) return null;
      result = answer;
      if (fromTree) textarea.value = answer.yaml;
      else if (view === "yaml") state = answer.document;
      showProblems();
      return answer;
    }).catch(function () {
      if (mine === seq) stateEl.textContent = L.checkFailed;
      return null;
    });
  }

  function show(which) {
    view = which;
    treeEl.hidden = which !== "tree";
    yamlView.hidden = which !== "yaml";
    switcher.querySelectorAll("button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.view === which));
    });
    if (which === "tree") render();
    else showProblems();
  }

  switcher.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () {
      var wanted = button.dataset.view;
      if (wanted === view) return;
      say("");
      check().then(function (answer) {
        if (!answer) return;
        if (wanted === "tree" && !answer.document) { say(L.noTree); return; }
        if (wanted === "tree") {
          state = answer.document;
          treeEdited = false;
        }
        show(wanted);
      });
    });
  });

  textarea.addEventListener("input", function () { if (view === "yaml") changed(); });
  treeEl.addEventListener("keydown", function (event) {
    // Enter in a tree field must not submit the form (it would save a draft).
    if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
  });
  // What is on screen is what is saved: the tree's mapping, or the YAML text as typed.
  form.addEventListener("submit", function () {
    documentField.value = treeIsSource() ? JSON.stringify(state) : "";
  });

  switcher.hidden = false;
  if (!state) say(L.noTree);
  show(view);
  showLinkedNode();

  // A link to "#node-<id>" (菜单健康检查 links each problem so) opens at that node's card:
  // the cards are built here, after the browser has looked for the fragment.
  function showLinkedNode() {
    if (location.hash.indexOf("#node-") !== 0 || view !== "tree") return;
    var card = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!card) return;
    card.classList.add("linked");
    card.scrollIntoView({ block: "start" });
  }
})();
