"""Serve the web demo on localhost with a given model and drive it in headless Chromium.

Copies nothing: a temporary folder links `index.html`, `app.js`, `node_modules/` and the
model, Python's http.server serves it on 127.0.0.1, and `e2e.mjs` (playwright-core with
Debian's Chromium) types each text and reads what the page shows. Used by
`tests/test_web_demo.py`, and by hand to time the real model:

    .venv/bin/python web_demo/run_e2e.py --model runs/demo/export_mediapipe/mediapipe/model.tflite \\
        --task fine_foods --n 21 --screenshot runs/web_demo.png

prints the page's label, scores and milliseconds per text (the first call includes the WASM
warm-up) and their p50 over the rest.
"""

import argparse
import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def missing() -> str:
    """Why the browser check cannot run here ('' when it can)."""
    if not shutil.which("node"):
        return "node is not installed (web_demo/scripts/install.sh)"
    if not (os.path.exists("/usr/lib/chromium/chromium") or shutil.which("chromium")):
        return "Chromium is not installed (web_demo/scripts/install.sh: apt install chromium)"
    for package in ("@mediapipe/tasks-text", "playwright-core"):
        if not os.path.isdir(os.path.join(HERE, "node_modules", package)):
            return f"{package} is not installed (web_demo/scripts/install.sh: npm ci)"
    return ""


@contextlib.contextmanager
def serve(model_path: str):
    """A localhost server of the page with `model.tflite`; yields the page's URL."""
    with tempfile.TemporaryDirectory() as root:
        for name in ("index.html", "app.js", "node_modules"):
            os.symlink(os.path.join(HERE, name), os.path.join(root, name))
        os.symlink(os.path.abspath(model_path), os.path.join(root, "model.tflite"))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/index.html?model=model.tflite"
        finally:
            server.shutdown()


def run(model_path: str, texts, screenshot: str, timeout: int = 300) -> dict:
    """Type `texts` into the page in Chromium; the page's results as a dict (see e2e.mjs)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(list(texts), f)
    try:
        with serve(model_path) as url:
            proc = subprocess.run(["node", os.path.join(HERE, "e2e.mjs"), url, f.name, os.path.abspath(screenshot)],
                                  capture_output=True, text=True, timeout=timeout, cwd=HERE)
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        raise RuntimeError(f"The browser run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a .tflite with metadata (export --format mediapipe)")
    parser.add_argument("--task", default="fine_foods", help="take the first --n test texts of this task")
    parser.add_argument("--n", type=int, default=21)
    parser.add_argument("--screenshot", default="web_demo.png")
    args = parser.parse_args(argv)
    import sys

    import numpy as np

    sys.path.insert(0, os.path.dirname(HERE))
    from tinybert_tf import data as data_lib

    why = missing()
    if why:
        raise SystemExit(f"run_e2e: {why}")
    texts = data_lib.load_task(args.task).test.texts[:args.n]
    out = run(args.model, texts, args.screenshot)
    for r in out["results"]:
        print(f"{r['label']:>8} {max(r['scores'].values()):.4f} {r['ms']:8.2f} ms  {r['text'][:70]!r}")
    ms = [r["ms"] for r in out["results"]]
    print(f"Chromium {out['chromium']}: page ready in {out['load_ms']} ms; first call {ms[0]:.1f} ms, "
          f"p50 of the other {len(ms) - 1}: {np.percentile(ms[1:], 50):.2f} ms; screenshot {args.screenshot}")


if __name__ == "__main__":
    main()
