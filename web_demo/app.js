// Loads MediaPipe Tasks' TextClassifier (WebAssembly) with the exported model and classifies
// typed text, timing each call. The model is `?model=<url>` (default: the demo's export).
import { FilesetResolver, TextClassifier } from "./node_modules/@mediapipe/tasks-text/text_bundle.mjs";

const params = new URLSearchParams(location.search);
const modelUrl = params.get("model") || "../runs/demo/export_mediapipe/mediapipe/model.tflite";
const $ = (id) => document.getElementById(id);
$("model-path").textContent = modelUrl;

let classifier = null;

async function load() {
  try {
    const fileset = await FilesetResolver.forTextTasks(new URL("./node_modules/@mediapipe/tasks-text/wasm", import.meta.url).href);
    classifier = await TextClassifier.createFromOptions(fileset, {
      baseOptions: { modelAssetPath: modelUrl, delegate: "CPU" },
      maxResults: -1,
    });
    $("status").textContent = "ready";
    $("classify").disabled = false;
    document.body.dataset.ready = "true";
  } catch (e) {
    // A model without metadata, a wrong path, a missing wasm: say which, keep the page usable.
    $("status").textContent = `could not load the model: ${e.message || e}. Export one with ` +
      "`tinybert-tf export --format mediapipe` and pass ?model=<its url>.";
    document.body.dataset.ready = "error";
  }
}

function classify() {
  const text = $("text").value;
  if (!text.trim()) {
    $("label").textContent = "Type some text first.";
    return;
  }
  const start = performance.now();
  const result = classifier.classify(text);
  const ms = performance.now() - start;
  const top = result.classifications[0].categories[0];
  $("label").textContent = top.categoryName;
  $("score").textContent = top.score.toFixed(4);
  $("latency").textContent = ms.toFixed(2);
  const row = document.createElement("tr");
  for (const value of [text.slice(0, 60), top.categoryName, top.score.toFixed(4), ms.toFixed(2)]) {
    const cell = document.createElement("td");
    cell.textContent = value;
    row.appendChild(cell);
  }
  row.dataset.label = top.categoryName;
  row.dataset.scores = JSON.stringify(Object.fromEntries(
    result.classifications[0].categories.map((c) => [c.categoryName, c.score])));
  row.dataset.ms = String(ms);
  $("history").appendChild(row);
}

$("classify").addEventListener("click", classify);
load();
