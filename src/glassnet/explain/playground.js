/* glassnet playground: the network's forward pass, in the page, on every pointer move.
 *
 * The model (weights as base64 float32, the stored preprocessing, the formulas of every layer
 * and activation) comes from the JSON in <script id="gn-model">, written by playground.py.
 * Notation as in glassnet: x the input vector, W (n_in × n_out) a layer's weights whose column
 * j is unit j's weight vector w_j, b its biases, z = Wᵀx + b the weighted sum, a = f(z).
 * Plain JavaScript, no libraries, nothing fetched.
 */
(function () {
  "use strict";

  const M = JSON.parse(document.getElementById("gn-model").textContent);
  const PAD_SIDE = 280;            // the pad's pixels; the pen is 1/14 of its width
  const PEN = PAD_SIDE / 14;
  const MNIST_BOX = 20, MNIST_SIDE = 28;   // digits fitted into 20×20, centred in 28×28
  const MAX_ROWS = 32;             // units per column of the network figure
  const UNIT_TERMS = 6;            // terms written out for the unit up close
  const UNIT_FUNCTION = {sigmoid: "σ", tanh: "tanh", relu: "relu", leaky_relu: "leaky_relu", identity: ""};
  const NEG = [33, 102, 172], POS = [178, 24, 43];
  const $ = (id) => document.getElementById(id);

  // ---- the model ---------------------------------------------------------------------------
  function floats(b64) {
    const text = atob(b64), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  const N = M.input.n;
  const SHAPE = M.input.shape;     // [h, w, c] or null (plain vectors)
  const PRE = M.preprocessing;
  if (PRE.kind === "standardize") { PRE.meanValues = floats(PRE.mean); PRE.stdValues = floats(PRE.std); }
  const DENSE = M.layers.filter((layer) => layer.type === "dense");
  DENSE.forEach((layer, l) => {
    layer.Wv = floats(layer.W);
    layer.bv = floats(layer.b);
    layer.index = l;
    layer.kind = l === DENSE.length - 1 ? "output" : "hidden";
  });

  // ---- the math: preprocessing, z = Wᵀx + b, a = f(z) ---------------------------------------
  function preprocess(raw) {
    const x = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      if (PRE.kind === "scale") x[i] = raw[i] / PRE.divisor;
      else if (PRE.kind === "standardize") x[i] = (raw[i] - PRE.meanValues[i]) / PRE.stdValues[i];
      else x[i] = raw[i];
    }
    return x;
  }

  function weightedSum(layer, x) {
    const u = layer.units, W = layer.Wv, z = Float64Array.from(layer.bv);
    for (let i = 0; i < layer.nIn; i++) {
      const xi = x[i];
      if (xi === 0) continue;      // black pixels add nothing: skip their row of W
      const row = i * u;
      for (let j = 0; j < u; j++) z[j] += xi * W[row + j];
    }
    return z;
  }

  function sigmoid(z) {           // stable on both sides: no e^(−z) overflow for z ≪ 0
    if (z >= 0) return 1 / (1 + Math.exp(-z));
    const e = Math.exp(z);
    return e / (1 + e);
  }

  function unitFunction(act) {
    switch (act.name) {
      case "sigmoid": return sigmoid;
      case "tanh": return Math.tanh;
      case "relu": return (z) => Math.max(0, z);
      case "leaky_relu": return (z) => (z > 0 ? z : act.alpha * z);
      case "identity": return (z) => z;
      default: return null;
    }
  }

  function activate(act, z) {
    if (act.name === "softmax") {  // subtract the max: no e^z overflows
      let top = -Infinity, total = 0;
      for (const v of z) top = Math.max(top, v);
      const a = z.map((v) => Math.exp(v - top));
      for (const v of a) total += v;
      return a.map((v) => v / total);
    }
    const f = unitFunction(act);
    if (!f) throw new Error("glassnet playground: unknown activation " + act.name);
    return z.map(f);
  }

  function forward(raw) {
    const x = preprocess(raw);
    const steps = [];
    let a = x;                     // Flatten and Dropout (at prediction time) pass x unchanged
    for (const layer of DENSE) {
      const z = weightedSum(layer, a);
      steps.push({layer, input: a, z, a: activate(layer.activation, z)});
      a = steps[steps.length - 1].a;
    }
    const out = steps[steps.length - 1].a;
    let p = null;
    if (M.task === "binary") p = [1 - out[0], out[0]];
    else if (M.task === "multiclass") p = Array.from(out);
    return {raw, x, steps, p};
  }

  // ---- what explain writes out: the most active units, the largest terms ---------------------
  function chosenUnits(step) {
    const n = step.a.length, all = [...Array(n).keys()], opt = M.explain;
    if (n === 1) return {units: [0], text: "its one unit"};
    if (step.layer.kind === "output" && n <= opt.maxOutputUnits) return {units: all, text: `all ${n} units`};
    const k = Math.min(n, step.layer.kind === "hidden" ? opt.topUnits : Math.floor(opt.maxOutputUnits / 2));
    if (k >= n) return {units: all, text: `all ${n} units`};
    const order = all.sort((i, j) => Math.abs(step.a[j]) - Math.abs(step.a[i])).slice(0, k);
    return {units: order.sort((i, j) => i - j), text: `the ${k} most active of ${n} units (largest |a_j|)`};
  }

  function unitSum(step, j, k) {  // z_j = Σ_i w_ij·x_i + b_j, the k largest |w_ij·x_i| shown
    const layer = step.layer, u = layer.units, W = layer.Wv, x = step.input;
    const terms = [];
    let total = 0, zeros = 0;
    for (let i = 0; i < layer.nIn; i++) {
      const wx = W[i * u + j] * x[i];
      total += wx;
      if (wx === 0) { zeros++; continue; }
      if (terms.length === k && Math.abs(wx) <= Math.abs(terms[k - 1].wx)) continue;
      let at = terms.length;
      while (at > 0 && Math.abs(terms[at - 1].wx) < Math.abs(wx)) at--;
      terms.splice(at, 0, {i, w: W[i * u + j], x: x[i], wx});
      if (terms.length > k) terms.pop();
    }
    const shown = terms.reduce((s, t) => s + t.wx, 0);
    return {j, terms, nRest: layer.nIn - terms.length, nRestZero: zeros, rest: total - shown,
            b: layer.bv[j], z: step.z[j], a: step.a[j]};
  }

  // ---- numbers and math as MathML -------------------------------------------------------------
  function number(value, digits = 3) {   // glassnet's number(): fixed decimals, a true minus
    if (value === 0) return "0";
    const v = Math.abs(value);
    let text;
    if (v >= 10 ** -digits && v < 1e5) text = value.toFixed(digits);
    else if (v >= 1e-5 && v < 1) text = String(Number(value.toPrecision(digits)));
    else text = value.toExponential(digits - 1);
    return text.replace(/-/g, "−");
  }
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  // The equations are HTML (italic letters, sub- and superscripts): laid out many times faster
  // than MathML, which matters when they change on every pointer move.
  const mi = (s) => `<i>${esc(s)}</i>`;
  const mo = (s) => (s === "(" || s === ")" ? esc(s) : `<span class="pg-o">${esc(s)}</span>`);
  const bold = (s) => `<b>${esc(s)}</b>`;
  const fn = (s) => (s.length > 1 ? `<span class="pg-fn">${esc(s)}</span>` : mi(s));
  const sub = (base, s) => `${base}<sub>${s}</sub>`;
  const subsup = (base, s, t) => `${base}<sub>${s}</sub>${t}`;
  const math = (inner) => `<span class="pg-math">${inner}</span>`;

  function inputSymbol(layer) {
    return layer.index === 0 ? bold("x") : `${bold("a")}<sup>(${layer.index})</sup>`;
  }

  // An equation is built once as HTML; after that only its numbers change (text updates), so a
  // pointer move costs no parsing and very little layout.
  function equation(layer, k) {     // z_j = w_jᵀx + b_j = (k terms) + (the rest) + b_j = z_j; a_j = f(z_j)
    const J = "<span data-j></span>", name = UNIT_FUNCTION[layer.activation.name];
    const part = (inner) => `<span data-part><span>${mo("+")}</span>${inner}</span>`;
    let sum = sub(mi("z"), J) + mo("=") + subsup(bold("w"), J, "ᵀ") + inputSymbol(layer) + mo("+") +
      sub(mi("b"), J) + mo("=");
    for (let t = 0; t < k; t++) sum += part('<span class="pg-n"></span>');
    sum += part('<span class="pg-under"><span class="pg-n"></span><small></small></span>');
    sum += part('<span class="pg-n"></span>') + mo("=") + '<span class="pg-n" data-z></span>';
    let act = "";
    if (name !== undefined) {
      const applied = name ? fn(name) + mo("(") + sub(mi("z"), J) + mo(")") + mo("=") + fn(name) + mo("(") +
        '<span class="pg-n" data-z></span>' + mo(")") : sub(mi("z"), J);
      act = sub(mi("a"), J) + mo("=") + applied + mo("=") + '<span class="pg-n" data-a></span>';
    }
    const box = document.createElement("div");
    box.innerHTML = `<div class="gn-eq"><span class="gn-tag" hidden></span>${math(sum)}</div>` +
      (act ? `<div class="gn-eq">${math(act)}</div>` : "");
    const all = (selector) => Array.from(box.querySelectorAll(selector));
    return {nodes: Array.from(box.children), tag: box.querySelector(".gn-tag"), js: all("[data-j]"),
            parts: all("[data-part]"), zs: all("[data-z]"), as: all("[data-a]"), k};
  }

  function setText(node, value) { if (node.textContent !== value) node.textContent = value; }
  function setShown(node, shown) { if (node.hidden === shown) node.hidden = !shown; }
  const signedText = (v) => { const t = number(v); return t.startsWith("−") ? `(${t})` : t; };

  function fillEquation(eq, s, tag) {
    for (const node of eq.js) setText(node, String(s.j));
    eq.parts.forEach((part, p) => {
      const value = part.lastChild;
      if (p < eq.k) {
        setShown(part, p < s.terms.length);
        if (p < s.terms.length) setText(value, `${signedText(s.terms[p].w)} · ${signedText(s.terms[p].x)}`);
      } else if (p === eq.k) {
        setShown(part, s.nRest > 0);
        setText(value.firstChild, signedText(s.rest));
        setText(value.lastChild, `${s.nRest} more term${s.nRest !== 1 ? "s" : ""}` + (s.nRestZero ? `, ${s.nRestZero} of them 0` : ""));
      } else {
        setText(value, signedText(s.b));
      }
    });
    let first = true;                 // no "+" before the first part shown
    for (const part of eq.parts) if (!part.hidden) { setShown(part.firstChild, !first); first = false; }
    for (const node of eq.zs) setText(node, number(s.z));
    for (const node of eq.as) setText(node, number(s.a, 4));
    setText(eq.tag, tag || "");
    setShown(eq.tag, Boolean(tag));
  }

  function formula(text) {          // "z_j = w_jᵀx + b_j", "e^(−z)" → HTML with sub- and superscripts
    const html = esc(text).replace(/\^\(([^()]*)\)/g, "<sup>$1</sup>")
      .replace(/([A-Za-zσ)])_(?:\(([^()]*)\)|([A-Za-z0-9]+))/g, (all, base, group, word) => `${base}<sub>${group || word}</sub>`);
    return `<span class="pg-formula">${html}</span>`;
  }

  function preview(values, head = 5, tail = 3) {
    const v = Array.from(values), f = (t) => number(t);
    if (v.length <= head + tail) return "[" + v.map(f).join(", ") + "]";
    return "[" + v.slice(0, head).map(f).join(", ") + ", …, " + v.slice(-tail).map(f).join(", ") + "]";
  }

  function countNote(values) {
    let nonzero = 0;
    for (const v of values) if (v !== 0) nonzero++;
    return `${values.length.toLocaleString("en")} values` + (nonzero < values.length ? `, ${nonzero.toLocaleString("en")} of them non-zero` : "");
  }

  // ---- colours --------------------------------------------------------------------------------
  function diverging(t) {           // −1 blue … 0 white … 1 red
    t = Math.max(-1, Math.min(1, t || 0));
    const end = t > 0 ? POS : NEG, s = Math.abs(t);
    return end.map((c) => Math.round(255 + s * (c - 255)));
  }
  const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;
  function maxAbs(values) { let m = 0; for (const v of values) m = Math.max(m, Math.abs(v)); return m; }

  function paintCanvas(canvas, w, h, colour) {  // colour(i) → [r, g, b] for pixel i (row-major)
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d"), image = ctx.createImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      const c = colour(i);
      image.data.set([c[0], c[1], c[2], 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }

  function rawPixel(raw, c) {       // raw pixel i of h×w×c → gray or RGB in 0..255
    const top = M.input.rawRange || 1;
    return (i) => {
      const v = (k) => Math.round(255 * Math.max(0, Math.min(1, raw[i * c + k] / top)));
      return c === 3 ? [v(0), v(1), v(2)] : [v(0), v(0), v(0)];
    };
  }

  // ---- drawings → raw x (MNIST's preparation for 28×28 grayscale models) ---------------------
  function areaTaps(sn, dn) {       // for each output pixel: (source index, weight) pairs
    const scale = sn / dn, taps = [];
    for (let d = 0; d < dn; d++) {
      const lo = d * scale, hi = lo + scale, t = [];
      for (let i = Math.floor(lo); i < Math.min(sn, Math.ceil(hi)); i++) {
        const w = Math.min(hi, i + 1) - Math.max(lo, i);
        if (w > 0) t.push(i, w / scale);
      }
      taps.push(t);
    }
    return taps;
  }

  function resizeArea(src, sw, sh, dw, dh) {  // box-filter (antialiased) resampling, separable
    const tx = areaTaps(sw, dw), ty = areaTaps(sh, dh), tmp = new Float64Array(sh * dw);
    for (let y = 0; y < sh; y++) {
      for (let d = 0; d < dw; d++) {
        const t = tx[d];
        let s = 0;
        for (let k = 0; k < t.length; k += 2) s += src[y * sw + t[k]] * t[k + 1];
        tmp[y * dw + d] = s;
      }
    }
    const out = new Float64Array(dh * dw);
    for (let d = 0; d < dh; d++) {
      const t = ty[d];
      for (let k = 0; k < t.length; k += 2) {
        for (let x = 0; x < dw; x++) out[d * dw + x] += tmp[t[k] * dw + x] * t[k + 1];
      }
    }
    return out;
  }

  function mnistDigit(ink, side) {  // crop to the ink, fit in 20×20, centre of mass at (14, 14)
    let x0 = side, y0 = side, x1 = -1, y1 = -1;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        if (ink[y * side + x] > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      }
    }
    const out = new Float64Array(MNIST_SIDE * MNIST_SIDE);
    if (x1 < 0) return out;
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1, crop = new Float64Array(bw * bh);
    for (let y = 0; y < bh; y++) crop.set(ink.subarray((y0 + y) * side + x0, (y0 + y) * side + x1 + 1), y * bw);
    const s = MNIST_BOX / Math.max(bw, bh);
    const dw = Math.max(1, Math.round(bw * s)), dh = Math.max(1, Math.round(bh * s));
    const small = resizeArea(crop, bw, bh, dw, dh);
    let mass = 0, cx = 0, cy = 0;
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) { const v = small[y * dw + x]; mass += v; cx += (x + 0.5) * v; cy += (y + 0.5) * v; }
    }
    const place = (c, size) => Math.max(0, Math.min(MNIST_SIDE - size, Math.round(MNIST_SIDE / 2 - c / mass)));
    const ox = place(cx, dw), oy = place(cy, dh);
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) out[(oy + y) * MNIST_SIDE + ox + x] = Math.min(1, small[y * dw + x]);
    }
    return out;
  }

  function padToRaw() {
    const [h, w, c] = SHAPE, data = padContext.getImageData(0, 0, PAD_SIDE, PAD_SIDE).data;
    const channel = (k) => {
      const v = new Float64Array(PAD_SIDE * PAD_SIDE);
      for (let i = 0; i < v.length; i++) v[i] = (k < 0 ? (data[4 * i] + data[4 * i + 1] + data[4 * i + 2]) / 3 : data[4 * i + k]) / 255;
      return v;
    };
    const raw = new Float64Array(N), top = M.input.rawRange;
    if (M.input.mnist) {
      const digit = mnistDigit(channel(-1), PAD_SIDE);
      for (let i = 0; i < N; i++) raw[i] = digit[i] * top;
      return raw;
    }
    for (let k = 0; k < c; k++) {
      const small = resizeArea(c === 3 ? channel(k) : channel(-1), PAD_SIDE, PAD_SIDE, w, h);
      for (let i = 0; i < h * w; i++) raw[i * c + k] = small[i] * top;
    }
    return raw;
  }

  // ---- the drawing pad ------------------------------------------------------------------------
  const pad = $("pad");
  const padContext = pad.getContext("2d", {willReadFrequently: true});
  let last = null;

  function clearPad() {
    padContext.fillStyle = "#000";
    padContext.fillRect(0, 0, PAD_SIDE, PAD_SIDE);
  }

  function padPoint(event) {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * PAD_SIDE / box.width, (event.clientY - box.top) * PAD_SIDE / box.height];
  }

  function stroke(from, to) {
    padContext.strokeStyle = "#fff";
    padContext.lineWidth = PEN;
    padContext.lineCap = padContext.lineJoin = "round";
    padContext.beginPath();
    padContext.moveTo(from[0], from[1]);
    padContext.lineTo(to[0], to[1]);
    padContext.stroke();
  }

  function setupPad() {
    clearPad();
    pad.addEventListener("pointerdown", (event) => {
      pad.setPointerCapture(event.pointerId);
      last = padPoint(event);
      stroke(last, last);
      update(padToRaw());
    });
    pad.addEventListener("pointermove", (event) => {
      if (!last) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const e of events.length ? events : [event]) { const p = padPoint(e); stroke(last, p); last = p; }
      update(padToRaw());
    });
    for (const name of ["pointerup", "pointercancel"]) pad.addEventListener(name, () => { last = null; });
    $("clear").addEventListener("click", () => { clearPad(); update(new Float64Array(N)); });
    document.addEventListener("dragover", (event) => event.preventDefault());
    document.addEventListener("drop", dropImage);
    $("pad-note").textContent = M.input.mnist
      ? "Prepared like MNIST: cropped to the ink, fitted into 20×20, centred by its centre of mass in 28×28."
      : `Resized to ${SHAPE[0]}×${SHAPE[1]}; full ink is ${number(M.input.rawRange, 0)} (the model's raw range).`;
  }

  function dropImage(event) {       // optional: an image file dropped anywhere on the page
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (!file || !SHAPE) return;
    createImageBitmap(file).then((bitmap) => {
      const s = Math.min(PAD_SIDE / bitmap.width, PAD_SIDE / bitmap.height);
      const w = bitmap.width * s, h = bitmap.height * s, x = (PAD_SIDE - w) / 2, y = (PAD_SIDE - h) / 2;
      clearPad();
      padContext.imageSmoothingEnabled = true;
      padContext.drawImage(bitmap, x, y, w, h);
      if (M.input.mnist && brightness(x, y, w, h) > 0.5) {  // dark ink on light paper: MNIST's is light on dark
        padContext.fillStyle = "#fff";
        padContext.fillRect(0, 0, PAD_SIDE, PAD_SIDE);
        padContext.drawImage(bitmap, x, y, w, h);
        padContext.globalCompositeOperation = "difference";
        padContext.fillRect(0, 0, PAD_SIDE, PAD_SIDE);
        padContext.globalCompositeOperation = "source-over";
      }
      update(padToRaw());
    }).catch(() => { $("pad-note").textContent = "That file is not an image the browser can read."; });
  }

  function brightness(x, y, w, h) { // mean gray level of a part of the pad, 0..1
    const data = padContext.getImageData(Math.floor(x), Math.floor(y), Math.max(1, Math.floor(w)), Math.max(1, Math.floor(h))).data;
    let total = 0;
    for (let i = 0; i < data.length; i += 4) total += data[i] + data[i + 1] + data[i + 2];
    return total / (data.length / 4) / 765;
  }

  function showOnPad(raw) {         // setInput: the pad shows the input, ready to draw over
    const [h, w, c] = SHAPE, small = document.createElement("canvas");
    paintCanvas(small, w, h, rawPixel(raw, c));
    clearPad();
    padContext.imageSmoothingEnabled = false;
    padContext.drawImage(small, 0, 0, PAD_SIDE, PAD_SIDE);
  }

  // ---- the page: built once, then updated -------------------------------------------------------
  const view = {selected: null, state: null, timings: []};

  function buildCards() {
    const shape = SHAPE ? `${SHAPE[0]}×${SHAPE[1]}${SHAPE[2] > 1 ? "×" + SHAPE[2] : ""} → ${N}` : `${N} numbers`;
    const cards = [["network", M.network], ["parameters", M.nParams.toLocaleString("en")], ["input", shape],
      ["preprocessing", PRE.describe]];
    $("cards").innerHTML = cards.map(([k, v]) =>
      `<div class="card"><div class="label">${esc(k)}</div><div class="value pg-small">${esc(v)}</div></div>`).join("");
  }

  function buildProbabilities() {
    if (!M.classes) { $("probabilities").innerHTML = '<p class="note">A regression network: the output values are shown below.</p>'; return; }
    const rows = M.classes.map((name, k) => `<tr id="prob-${k}"><td>${esc(name)}</td><td class="pg-p"></td>` +
      `<td class="gn-barcell"><div class="gn-bar"></div></td></tr>`).join("");
    $("probabilities").innerHTML = `<div class="gn-trace"><table class="gn-probs"><tr><th>class</th><th>p</th><th></th></tr>${rows}</table></div>`;
  }

  function buildInput() {
    $("input-formula").textContent = M.input.formula;
    if (!SHAPE) { $("input-figure").hidden = true; $("pad-box").hidden = true; }
    const strip = $("input-strip");
    strip.width = N;
  }

  function buildLayerSteps() {
    $("layer-steps").innerHTML = DENSE.map((layer) => {
      const where = layer.index === 0 ? "" : `, here x = a⁽${layer.index}⁾, the output of layer ${layer.index}`;
      const act = layer.activation;
      return `<div class="gn-trace pg-layer"><h3>Layer ${layer.index + 1} (${layer.kind}): ${esc(layer.describe)}</h3>` +
        `<p>${formula(layer.formula)} with W of shape ${layer.nIn}×${layer.units} and b of ${layer.units}${where}. ` +
        `Each unit j computes ${formula("z_j = w_jᵀx + b_j")}; written out for <span id="sel-${layer.index}"></span>, largest terms ${formula("w_ij·x_i")} first:</p>` +
        `<div class="pg-eqs" id="eqs-${layer.index}"></div>` +
        `<p>Activation: ${formula(act.formula)} <span class="gn-muted">(derivative ${formula(act.derivative)})</span></p>` +
        `<p><code id="z-${layer.index}"></code><br><code id="a-${layer.index}"></code></p></div>`;
    }).join("");
  }

  function renderInput(state) {
    if (SHAPE) paintCanvas($("input-image"), SHAPE[1], SHAPE[0], rawPixel(state.raw, SHAPE[2]));
    const strip = $("input-strip"), ctx = strip.getContext("2d"), image = ctx.createImageData(N, 1);
    const vimage = FIG.ctx.createImageData(1, N);
    const gray = SHAPE ? null : maxAbs(state.x) || 1;
    for (let i = 0; i < N; i++) {
      const v = gray ? diverging(state.x[i] / gray) : rawPixel(state.raw, 1)(i);
      image.data.set([v[0], v[1], v[2], 255], 4 * i);
      vimage.data.set([v[0], v[1], v[2], 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
    state.stripPixels = vimage;
    $("input-preview").textContent = `x = ${preview(state.x)} (${countNote(state.x)})`;
  }

  function renderProbabilities(state) {
    if (!state.p) { $("verdict").textContent = "Output: " + preview(state.steps[state.steps.length - 1].a); return; }
    let best = 0;
    state.p.forEach((p, k) => { if (p > state.p[best]) best = k; });
    state.p.forEach((p, k) => {
      const row = $("prob-" + k);
      row.className = k === best ? "gn-best" : "";
      row.children[1].textContent = p.toFixed(4);
      row.children[2].firstChild.style.width = (100 * p).toFixed(1) + "%";
    });
    $("verdict").textContent = `Prediction: ${M.classes[best]} (p = ${state.p[best].toFixed(3)})`;
  }

  function renderLayerSteps(state) {
    for (const step of state.steps) {
      const layer = step.layer, chosen = chosenUnits(step);
      if (!layer.equations) {          // as many as explain writes out: fixed for a layer
        layer.equations = chosen.units.map(() => equation(layer, M.explain.topTerms));
        $("eqs-" + layer.index).append(...layer.equations.flatMap((eq) => eq.nodes));
      }
      chosen.units.forEach((j, k) => {
        const tag = layer.kind === "output" && M.task === "multiclass" ? `class ${M.classes[j]}` : "";
        fillEquation(layer.equations[k], unitSum(step, j, M.explain.topTerms), tag);
      });
      setText($("sel-" + layer.index), chosen.text);
      setText($("z-" + layer.index), `z = ${preview(step.z)}`);
      setText($("a-" + layer.index), `a = ${preview(step.a)} (${step.a.length} units)`);
    }
  }

  // ---- the network figure (the article's Figure 1, live), drawn on a canvas -------------------
  // Every unit is a circle split in two, as in the article: the weighted sum z on the left, the
  // activation a on the right. A canvas repaints in well under a millisecond and, unlike a few
  // hundred SVG nodes, costs the page no style or layout work on each pointer move.
  const FIG = {top: 52, height: 340, gap: 120, stripX: 40, stripW: 16, width: 0};

  function buildFigure() {
    let prev = {x: FIG.stripX + FIG.stripW, y0: FIG.top, y1: FIG.top + FIG.height};
    for (const layer of DENSE) {
      const rows = Math.min(layer.units, MAX_ROWS), cols = Math.ceil(layer.units / rows);
      const cell = Math.min(34, FIG.height / rows), r = cell * 0.42;
      const left = prev.x + FIG.gap, y0 = FIG.top + (FIG.height - rows * cell) / 2;
      layer.fan = [prev, {x: left, y0, y1: y0 + rows * cell}];
      layer.nodes = [];
      for (let j = 0; j < layer.units; j++) {
        layer.nodes.push({cx: left + Math.floor(j / rows) * cell + cell / 2, cy: y0 + (j % rows) * cell + cell / 2, r});
      }
      layer.centre = left + cols * cell / 2;
      prev = {x: left + cols * cell, y0, y1: y0 + rows * cell};
    }
    FIG.width = prev.x + 160;
    const canvas = document.createElement("canvas"), ratio = window.devicePixelRatio || 1;
    canvas.id = "net";
    canvas.width = Math.round(FIG.width * ratio);
    canvas.height = Math.round((FIG.top + FIG.height + 10) * ratio);
    Object.assign(canvas.style, {width: FIG.width + "px", height: FIG.top + FIG.height + 10 + "px"});
    canvas.setAttribute("aria-label", "the network: input layer, weighted sums z and activations a");
    $("figure").appendChild(canvas);
    FIG.ctx = canvas.getContext("2d");
    FIG.ctx.scale(ratio, ratio);
    FIG.strip = document.createElement("canvas");
    FIG.strip.width = 1;
    FIG.strip.height = N;
    canvas.addEventListener("click", (event) => {
      const box = canvas.getBoundingClientRect(), x = event.clientX - box.left, y = event.clientY - box.top;
      const hit = unitAt(x, y);
      if (hit) select(hit[0], hit[1]);
    });
    canvas.addEventListener("mousemove", (event) => {
      const box = canvas.getBoundingClientRect();
      canvas.style.cursor = unitAt(event.clientX - box.left, event.clientY - box.top) ? "pointer" : "default";
    });
  }

  function unitAt(x, y) {           // [layer, unit] under the point, or null
    for (const layer of DENSE) {
      for (let j = 0; j < layer.nodes.length; j++) {
        const n = layer.nodes[j], reach = Math.max(n.r, 5);
        if ((x - n.cx) ** 2 + (y - n.cy) ** 2 <= reach * reach) return [layer.index, j];
      }
    }
    return null;
  }

  function unitPosition(l, j) {     // for the browser test: the page coordinates of a unit
    const node = DENSE[l].nodes[j], box = $("net").getBoundingClientRect();
    return [box.left + node.cx, box.top + node.cy];
  }

  function text(ctx, x, y, value, options = {}) {
    ctx.font = options.font || "13px system-ui, sans-serif";
    ctx.fillStyle = options.colour || "#1f2328";
    ctx.textAlign = options.align || "center";
    ctx.fillText(value, x, y);
  }

  function renderFigure(state) {
    const ctx = FIG.ctx;
    ctx.clearRect(0, 0, FIG.width, FIG.top + FIG.height + 10);
    for (const layer of DENSE) {    // the fans: every unit is connected to every input below it
      const [a, b] = layer.fan;
      ctx.fillStyle = "#eef1f4";
      ctx.beginPath();
      ctx.moveTo(a.x, a.y0); ctx.lineTo(b.x, b.y0); ctx.lineTo(b.x, b.y1); ctx.lineTo(a.x, a.y1);
      ctx.fill();
    }
    const strip = FIG.strip.getContext("2d");
    strip.putImageData(state.stripPixels, 0, 0);
    ctx.imageSmoothingEnabled = N < FIG.height;
    ctx.drawImage(FIG.strip, FIG.stripX, FIG.top, FIG.stripW, FIG.height);
    ctx.strokeStyle = "#d0d7de";
    ctx.strokeRect(FIG.stripX - 0.5, FIG.top - 0.5, FIG.stripW + 1, FIG.height + 1);
    text(ctx, FIG.stripX + FIG.stripW / 2, 18, "input x");
    text(ctx, FIG.stripX + FIG.stripW / 2, 33, `${N} values`, {font: "11px system-ui, sans-serif", colour: "#57606a"});
    renderEdges(state);
    for (const step of state.steps) renderUnits(ctx, state, step);
  }

  function renderUnits(ctx, state, step) {
    const layer = step.layer, zScale = maxAbs(step.z) || 1;
    const absolute = layer.activation.name === "sigmoid" || layer.activation.name === "softmax";
    const aScale = absolute ? 1 : maxAbs(step.a) || 1;
    text(ctx, layer.centre, 18, layer.kind === "output" ? "output layer" : `hidden layer ${layer.index + 1}`);
    text(ctx, layer.centre, 33, `z | ${layer.activation.name}`, {font: "11px system-ui, sans-serif", colour: "#57606a"});
    layer.nodes.forEach((n, j) => {
      for (const [half, value] of [[true, step.z[j] / zScale], [false, step.a[j] / aScale]]) {
        ctx.fillStyle = rgb(diverging(value));
        ctx.beginPath();
        ctx.arc(n.cx, n.cy, n.r, Math.PI / 2, 3 * Math.PI / 2, !half);
        ctx.fill();
      }
      const chosen = view.selected && view.selected.layer === layer.index && view.selected.unit === j;
      ctx.lineWidth = chosen ? 2.4 : 0.8;
      ctx.strokeStyle = chosen ? "#1f2328" : "#8c959f";
      ctx.beginPath();
      ctx.arc(n.cx, n.cy, n.r, 0, 2 * Math.PI);
      ctx.moveTo(n.cx, n.cy - n.r); ctx.lineTo(n.cx, n.cy + n.r);
      ctx.stroke();
      if (layer.kind === "output" && state.p) {
        const k = M.task === "binary" ? 1 : j;
        text(ctx, n.cx + n.r + 8, n.cy + 4, `${M.classes[k]}   p = ${state.p[k].toFixed(3)}`, {align: "left", font: "12px system-ui, sans-serif"});
      }
    });
  }

  function sourcePoint(layer, i) {
    if (layer.index === 0) return [FIG.stripX + FIG.stripW, FIG.top + (i + 0.5) / layer.nIn * FIG.height];
    const node = DENSE[layer.index - 1].nodes[i];
    return [node.cx + node.r, node.cy];
  }

  function renderEdges(state) {     // the selected unit's largest terms w_ij·x_i, as lines
    if (!view.selected) return;
    const ctx = FIG.ctx, step = state.steps[view.selected.layer], s = unitSum(step, view.selected.unit, 6);
    const node = step.layer.nodes[s.j], top = s.terms.length ? Math.abs(s.terms[0].wx) : 1;
    ctx.globalAlpha = 0.8;
    for (const t of s.terms) {
      const [x, y] = sourcePoint(step.layer, t.i);
      ctx.strokeStyle = rgb(diverging(t.wx > 0 ? 1 : -1));
      ctx.lineWidth = 1 + 3 * Math.abs(t.wx) / top;
      ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(node.cx - node.r, node.cy); ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }

  // ---- one unit up close ------------------------------------------------------------------------
  function select(l, j) {
    view.selected = {layer: l, unit: j};
    const layer = DENSE[l], name = UNIT_FUNCTION[layer.activation.name];
    const aText = name === undefined ? `a = ${layer.activation.name}(z)` : name === "" ? `a_${j} = z_${j}` : `a_${j} = ${name}(z_${j})`;
    $("unit-panel").innerHTML = `<div class="gn-trace"><h3>Unit ${j} of layer ${l + 1} (${layer.kind}): ` +
      `${formula(`z_${j} = w_${j}ᵀx + b_${j}`)}, ${formula(aText)}</h3>` +
      `<div class="pg-unit-box"><figure><canvas id="unit-weights"></canvas><figcaption id="unit-weights-caption"></figcaption></figure>` +
      `<figure><svg id="unit-curve" class="pg-curve" width="280" height="170" viewBox="0 0 280 170">` +
      `<line class="pg-axis" x1="30" x2="270"/><line class="pg-axis" y1="12" y2="152"/><path class="pg-curve-line"/>` +
      `<circle class="pg-dot" r="5"/><text class="pg-sub" text-anchor="middle"></text>` +
      `<text x="270" y="166" text-anchor="end" class="pg-sub">z</text><text x="30" y="166" class="pg-sub"></text></svg>` +
      `<figcaption>Where ${formula(`z_${j}`)} sits on ${formula(layer.activation.formula)}` +
      `${layer.activation.name === "softmax" ? " (the other units' z held fixed)" : ""}.</figcaption></figure></div>` +
      `<p>Its weighted sum, the ${UNIT_TERMS} largest terms ${formula(`w_i${j}·x_i`)} first:</p><div class="pg-eqs" id="unit-sum"></div></div>`;
    view.unitEquation = equation(layer, UNIT_TERMS);
    $("unit-sum").append(...view.unitEquation.nodes);
    drawWeights(layer, j);
    if (view.state) { renderUnit(view.state); renderFigure(view.state); }
  }

  function drawWeights(layer, j) {  // w_j as the input image (first layer) or as a strip
    const w = new Float64Array(layer.nIn);
    for (let i = 0; i < layer.nIn; i++) w[i] = layer.Wv[i * layer.units + j];
    const canvas = $("unit-weights"), scale = maxAbs(w) || 1;
    const caption = `${formula(`w_${j}`)}, ${layer.nIn} weights (largest |w| = ${number(scale)}): red raises ${formula(`z_${j}`)} where its input is large, blue lowers it.`;
    if (layer.index === 0 && SHAPE) {
      const [h, wd, c] = SHAPE, summed = new Float64Array(h * wd);
      for (let i = 0; i < layer.nIn; i++) summed[Math.floor(i / c)] += w[i];
      const s = maxAbs(summed) || 1;
      paintCanvas(canvas, wd, h, (i) => diverging(summed[i] / s));
      canvas.className = "pg-pixels";
    } else {
      paintCanvas(canvas, layer.nIn, 1, (i) => diverging(w[i] / scale));
      canvas.className = "pg-strip";
    }
    $("unit-weights-caption").innerHTML = caption + (layer.index === 0 && SHAPE ? " Drawn as the input image." : " One cell per unit of the layer below.");
  }

  function curvePoints(step, j) {   // the activation as a function of z_j (softmax: others fixed)
    const act = step.layer.activation, z = step.z[j];
    let f = unitFunction(act);
    if (!f) {                       // softmax_j(t) = σ(t − log Σ_{k≠j} e^(z_k))
      let top = -Infinity, rest = 0;
      step.z.forEach((v, k) => { if (k !== j) top = Math.max(top, v); });
      step.z.forEach((v, k) => { if (k !== j) rest += Math.exp(v - top); });
      const shift = top + Math.log(rest);
      f = step.z.length > 1 ? (t) => sigmoid(t - shift) : () => 1;
    }
    const span = Math.max(6, 1.25 * Math.abs(z)), points = [];
    for (let k = 0; k <= 120; k++) { const t = -span + 2 * span * k / 120; points.push([t, f(t)]); }
    return {points, span, z, a: step.a[j]};
  }

  function renderUnit(state) {
    if (!view.selected) return;
    const step = state.steps[view.selected.layer], j = view.selected.unit;
    fillEquation(view.unitEquation, unitSum(step, j, UNIT_TERMS));
    const c = curvePoints(step, j), values = c.points.map((p) => p[1]);
    let lo = Math.min(0, ...values), hi = Math.max(1, ...values);
    if (hi - lo > 50) { lo = Math.max(lo, -c.span); hi = Math.min(hi, c.span); }
    const X = (t) => 30 + (t + c.span) / (2 * c.span) * 240;
    const Y = (v) => 150 - (Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo) * 135;
    const [xAxis, yAxis, path, dot, label, , left] = $("unit-curve").children;
    xAxis.setAttribute("y1", Y(0)); xAxis.setAttribute("y2", Y(0));
    yAxis.setAttribute("x1", X(0)); yAxis.setAttribute("x2", X(0));
    path.setAttribute("d", c.points.map((p, k) => `${k ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(""));
    dot.setAttribute("cx", X(c.z)); dot.setAttribute("cy", Y(c.a));
    label.setAttribute("x", Math.max(80, Math.min(200, X(c.z)))); label.setAttribute("y", Math.max(24, Y(c.a) - 10));
    setText(label, `z = ${number(c.z)}, a = ${number(c.a, 4)}`);
    setText(left, number(-c.span, 1));
  }

  // ---- one update: new input → new numbers ------------------------------------------------------
  function update(raw) {
    const started = performance.now();
    const state = forward(raw);
    view.state = state;
    renderInput(state);
    renderProbabilities(state);
    renderFigure(state);
    renderLayerSteps(state);
    renderUnit(state);
    const ms = performance.now() - started;
    view.timings.push(ms);
    if (view.timings.length > 200) view.timings.shift();
    const sorted = [...view.timings].sort((a, b) => a - b);
    $("timing").textContent = `Updated in ${ms.toFixed(1)} ms (median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms over the last ${sorted.length}).`;
  }

  function checkInput(x) {
    const values = Array.from(x || [], Number);
    if (values.length !== N) throw new Error(`setInput: expected ${N} raw values (the model's input, row-major, channels last), got ${values.length}.`);
    if (!values.every(Number.isFinite)) throw new Error("setInput: every value must be a finite number.");
    return Float64Array.from(values);
  }

  window.glassnet = {
    setInput(x) { const raw = checkInput(x); if (SHAPE) showOnPad(raw); update(raw); },
    input: () => Array.from(view.state.raw),
    probabilities: () => (view.state.p ? Array.from(view.state.p) : null),
    classes: () => (M.classes ? M.classes.slice() : null),
    outputs: () => Array.from(view.state.steps[view.state.steps.length - 1].a),
    select,
    unitPosition,
    timings: () => view.timings.slice(),
  };

  buildCards();
  buildProbabilities();
  buildInput();
  buildFigure();
  buildLayerSteps();
  if (SHAPE) setupPad();
  update(new Float64Array(N));
})();
