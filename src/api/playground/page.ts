/** The playground's HTML and CSS (the script is in script.ts). */

const field = (id: string, label: string, attrs: string, hint = '') =>
  `<label for="${id}">${label}${hint ? ` <small>${hint}</small>` : ''}</label><input id="${id}" ${attrs}>`;

const select = (id: string, label: string, options: string[]) =>
  `<label for="${id}">${label}</label><select id="${id}">${options.map((o) => `<option>${o}</option>`).join('')}</select>`;

export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-sae playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/playground.css">
<script src="/playground.js" defer></script>
</head>
<body>
<header>
  <h1>edge-sae playground</h1>
  <p>Train a sparse autoencoder on a CSV, watch its loss and filters, encode a row. This page only calls the
  public API (<a href="/docs">docs</a>) with your token.</p>
</header>
<main>
<section id="auth-section">
  <h2>1. Token</h2>
  <div class="row">
    ${field('token', 'API token', 'type="password" autocomplete="off" placeholder="Bearer token" size="32"', 'admin token to train; an encode token can load and encode')}
  </div>
</section>

<section id="data-section">
  <h2>2. Data</h2>
  <p>Comma-separated numbers, one row a line, optional header row. Paste, upload, or
  <button type="button" id="example">use example data</button> (4×4 images made of bars).</p>
  <textarea id="csv" rows="8" spellcheck="false" placeholder="0,0.5,1&#10;1,0.25,0"></textarea>
  <div class="row"><input type="file" id="file" accept=".csv,text/csv,text/plain"> <span id="data-info"></span></div>
</section>

<section id="params-section">
  <h2>3. Hyperparameters</h2>
  <div class="grid">
    ${field('hiddenSize', 'hidden units', 'type="number" min="1" step="1" placeholder="3 × columns"')}
    ${field('epochs', 'epochs', 'type="number" min="1" step="1" value="300"')}
    ${field('learningRate', 'learning rate', 'type="number" min="0" step="any" value="0.03"')}
    ${field('batchSize', 'batch size', 'type="number" min="0" step="1" value="0"', '0 = all rows')}
    ${field('sparsityTarget', 'sparsity target ρ', 'type="number" min="0" max="1" step="any" value="0.1"')}
    ${field('sparsityWeight', 'sparsity weight β', 'type="number" min="0" step="any" value="0.1"')}
    ${field('weightDecay', 'weight decay α', 'type="number" min="0" step="any" value="0.001"')}
    ${select('reduction', 'reduction', ['mean', 'sum'])}
    ${select('normalize', 'normalize', ['minmax', 'none'])}
    ${select('optimizer', 'optimizer', ['adam', 'sgd'])}
    ${field('seed', 'seed', 'type="number" min="0" step="1" value="42"')}
    ${field('name', 'model name', 'type="text" maxlength="100" placeholder="optional"')}
  </div>
  <div class="row">
    <button type="button" id="train" class="primary">Train</button>
    <label class="check"><input type="checkbox" id="asJob"> train as a job
      <small>asynchronous, for larger data: follows its progress</small></label>
    <button type="button" id="cancelJob" hidden>Cancel job</button>
    <span id="status" role="status" aria-live="polite"></span>
  </div>
  <div class="row" id="job-row" hidden>
    <progress id="job-progress" max="1" value="0"></progress>
    <span id="job-line" aria-live="polite"></span>
  </div>
</section>

<section id="model-section">
  <h2>4. Model</h2>
  <div class="row">
    ${field('modelId', 'model id', 'type="text" size="36" spellcheck="false" placeholder="trained, or paste an id"')}
    <button type="button" id="load">Load</button>
  </div>
  <table id="metrics" class="metrics"></table>
  <div class="pictures">
    <figure><figcaption>Loss per epoch</figcaption><div id="loss-chart" class="picture"></div></figure>
    <figure>
      <figcaption>Filters: each hidden unit's input weights
        (${field('shape', 'shape', 'type="text" size="7" placeholder="auto"', 'W×H')})</figcaption>
      <div id="filters" class="picture"></div>
    </figure>
  </div>
</section>

<section id="encode-section">
  <h2>5. Encode a row</h2>
  <div class="row">
    ${field('row', 'row', 'type="text" size="48" spellcheck="false" placeholder="comma-separated values"')}
    <button type="button" id="encode">Encode</button>
  </div>
  <div id="encode-result"></div>
</section>
</main>
</body>
</html>
`;

export const PLAYGROUND_CSS = `
:root { color-scheme: light; --accent: #1f77b4; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
header, main { max-width: 1080px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; }
h1 { font-size: 1.5em; margin: 0.4em 0 0.2em; }
h2 { font-size: 1.05em; margin: 0 0 0.6em; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
label { font-size: 0.9em; color: #333; display: block; }
label small { color: var(--muted); }
input, select, textarea, button { font: inherit; }
input, select, textarea { border: 1px solid #bbb; border-radius: 4px; padding: 4px 6px; }
textarea { width: 100%; font-family: ui-monospace, monospace; font-size: 13px; }
.row { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin: 8px 0; }
.row label { display: inline-block; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px 14px; }
.grid input, .grid select { width: 100%; }
button { border: 1px solid #999; background: #f4f4f4; border-radius: 4px; padding: 5px 12px; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: 0.6; cursor: progress; }
#status { color: var(--muted); }
label.check { align-self: center; }
label.check input { margin: 0 4px 0 0; vertical-align: -1px; }
#job-progress { width: 220px; }
#job-line { font-variant-numeric: tabular-nums; }
#status.error, .error { color: #b00020; }
.pictures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; flex: 1 1 420px; }
figcaption { font-size: 0.9em; color: var(--muted); margin-bottom: 4px; }
figcaption label { display: inline; }
.picture svg { max-width: 100%; height: auto; border: 1px solid var(--line); }
#filters svg { min-width: 160px; }
table.metrics { border-collapse: collapse; margin: 8px 0; font-size: 0.9em; }
table.metrics td { padding: 2px 12px 2px 0; }
table.metrics td:first-child { color: var(--muted); }
#encode-result .codes { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 4px 12px; font-size: 0.85em; }
#encode-result .code { display: flex; align-items: center; gap: 6px; }
#encode-result .bar { height: 8px; background: var(--accent); border-radius: 2px; }
`;
