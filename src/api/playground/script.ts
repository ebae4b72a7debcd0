/**
 * The playground's browser script, served as /playground.js. Plain ES2017 (async functions, no
 * modules) in a string (the Worker has no bundler step for browser code), with the job mode
 * (job-script.ts) spliced into its closure; it touches the API only through fetch with the token
 * typed into the page, and puts server text into the page only as text or parsed SVG.
 */
import { PLAYGROUND_JOB_JS } from './job-script.js';

export const PLAYGROUND_JS = String.raw`'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var FIELDS = ['hiddenSize', 'epochs', 'learningRate', 'batchSize', 'sparsityTarget', 'sparsityWeight',
    'weightDecay', 'reduction', 'normalize', 'optimizer', 'seed', 'name'];

  function token() { return $('token').value.trim(); }

  function setStatus(text, isError) {
    var status = $('status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  function api(path, init) {
    init = init || {};
    var headers = init.headers || {};
    if (token()) headers.authorization = 'Bearer ' + token();
    init.headers = headers;
    return fetch(path, init).then(function (res) {
      if (res.ok) return res;
      return res.text().then(function (text) {
        var message = res.status + ' ' + res.statusText;
        try {
          var problem = JSON.parse(text);
          message = (problem.title || message) + (problem.detail ? ': ' + problem.detail : '');
        } catch (e) { /* not JSON */ }
        var error = new Error(message);
        error.status = res.status;
        throw error;
      });
    });
  }

  /** The first row of the CSV whose cells are all numbers (a header row is not). */
  function firstDataRow(csv) {
    var lines = csv.split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      var numeric = line !== '' && line.split(',').every(function (cell) { return cell.trim() !== '' && isFinite(Number(cell)); });
      if (numeric) return line;
    }
    return '';
  }

  function describeData() {
    var lines = $('csv').value.split(/\r?\n/).filter(function (l) { return l.trim() !== ''; });
    var first = firstDataRow($('csv').value);
    var cols = first ? first.split(',').length : 0;
    $('data-info').textContent = lines.length ? lines.length + ' lines, ' + cols + ' columns' : '';
    if (first && !$('row').value) $('row').value = first;
  }

  /** 4×4 images, each a few random horizontal and vertical bars: the filters learn bars. */
  function exampleCsv() {
    var seed = 7;
    var random = function () { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    var rows = [];
    for (var r = 0; r < 200; r++) {
      var pixels = [];
      for (var k = 0; k < 16; k++) pixels.push(0);
      for (var b = 0; b < 4; b++) {
        if (random() < 0.3) for (var x = 0; x < 4; x++) pixels[b * 4 + x] = 1;
        if (random() < 0.3) for (var y = 0; y < 4; y++) pixels[y * 4 + b] = 1;
      }
      rows.push(pixels.join(','));
    }
    return rows.join('\n') + '\n';
  }

  /** Parses an SVG document from the server and shows it in place of the container's content. */
  function showSvg(container, text) {
    var doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    var svg = doc.documentElement;
    container.textContent = '';
    if (svg.nodeName !== 'svg') { container.textContent = 'could not read the picture'; return; }
    container.appendChild(document.importNode(svg, true));
  }

  function showError(container, error) {
    container.textContent = '';
    var p = document.createElement('p');
    p.className = 'error';
    p.textContent = error.message;
    container.appendChild(p);
  }

  function showMetrics(model) {
    var table = $('metrics');
    table.textContent = '';
    var rows = [['id', model.id], ['size', model.inputSize + ' → ' + model.hiddenSize], ['version', model.version]];
    if (model.backend) rows.push(['backend', model.backend]);
    var m = model.metrics || {};
    ['loss', 'reconstruction', 'weightDecay', 'sparsity', 'meanActivation', 'fvu', 'deadUnits'].forEach(function (k) {
      if (m[k] !== undefined && m[k] !== null) rows.push([k, typeof m[k] === 'number' ? Number(m[k].toPrecision(5)) : m[k]]);
    });
    rows.forEach(function (pair) {
      var tr = document.createElement('tr');
      pair.forEach(function (value) {
        var td = document.createElement('td');
        td.textContent = String(value);
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
  }

  function loadPictures(id) {
    var shape = $('shape').value.trim().replace(/\s+/g, '').replace('×', 'x');
    var base = '/v1/models/' + encodeURIComponent(id);
    var loss = api(base + '/loss.svg').then(function (res) { return res.text(); })
      .then(function (text) { showSvg($('loss-chart'), text); }, function (e) { showError($('loss-chart'), e); });
    var filters = api(base + '/filters.svg' + (shape ? '?shape=' + encodeURIComponent(shape) : ''))
      .then(function (res) { return res.text(); })
      .then(function (text) { showSvg($('filters'), text); }, function (e) { showError($('filters'), e); });
    return Promise.all([loss, filters]);
  }

  function train() {
    if ($('asJob').checked) { trainJob(); return; }
    var csv = $('csv').value;
    if (!csv.trim()) { setStatus('Paste or upload a CSV first.', true); return; }
    var query = new URLSearchParams();
    FIELDS.forEach(function (name) {
      var value = $(name).value.trim();
      if (value !== '') query.set(name, value);
    });
    var button = $('train');
    button.disabled = true;
    var started = Date.now();
    setStatus('Training…');
    api('/v1/models?' + query.toString(), { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })
      .then(function (res) { return res.json(); })
      .then(function (model) {
        setStatus('Trained ' + model.lossHistory.length + ' epochs in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s.');
        $('modelId').value = model.id;
        showMetrics(model);
        return loadPictures(model.id);
      })
      .catch(function (error) { setStatus(error.message, true); })
      .then(function () { button.disabled = false; });
  }

${PLAYGROUND_JOB_JS}
  function load() {
    var id = $('modelId').value.trim();
    if (!id) { setStatus('Enter a model id.', true); return; }
    setStatus('Loading…');
    api('/v1/models/' + encodeURIComponent(id)).then(function (res) { return res.json(); })
      .then(function (model) { setStatus('Loaded ' + (model.name || model.id) + '.'); showMetrics(model); return loadPictures(id); })
      .catch(function (error) { setStatus(error.message, true); });
  }

  function encode() {
    var id = $('modelId').value.trim();
    var out = $('encode-result');
    if (!id) { showError(out, new Error('Train or load a model first.')); return; }
    var values = $('row').value.split(',').map(function (v) { return v.trim(); }).filter(function (v) { return v !== ''; }).map(Number);
    api('/v1/models/' + encodeURIComponent(id) + '/encode', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: values }),
    }).then(function (res) { return res.json(); }).then(function (body) {
      var codes = body.codes[0];
      out.textContent = '';
      var summary = document.createElement('p');
      summary.className = 'summary';
      summary.textContent = codes.length + ' hidden activations (mean ' + (codes.reduce(function (a, b) { return a + b; }, 0) / codes.length).toFixed(3) + '):';
      out.appendChild(summary);
      var grid = document.createElement('div');
      grid.className = 'codes';
      codes.forEach(function (value, j) {
        var cell = document.createElement('div');
        cell.className = 'code';
        cell.title = 'unit ' + j;
        var label = document.createElement('span');
        label.textContent = j + ': ' + value.toFixed(3);
        var bar = document.createElement('span');
        bar.className = 'bar';
        bar.style.width = Math.max(1, Math.round(value * 50)) + 'px';
        cell.appendChild(label);
        cell.appendChild(bar);
        grid.appendChild(cell);
      });
      out.appendChild(grid);
    }).catch(function (error) { showError(out, error); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    try { $('token').value = sessionStorage.getItem('edge-sae-token') || ''; } catch (e) { /* storage off */ }
    $('token').addEventListener('change', function () {
      try { sessionStorage.setItem('edge-sae-token', token()); } catch (e) { /* storage off */ }
    });
    $('example').addEventListener('click', function () {
      $('csv').value = exampleCsv();
      $('row').value = '';
      describeData();
    });
    $('file').addEventListener('change', function () {
      var file = $('file').files[0];
      if (!file) return;
      file.text().then(function (text) { $('csv').value = text; $('row').value = ''; describeData(); });
    });
    $('csv').addEventListener('input', describeData);
    $('train').addEventListener('click', train);
    $('asJob').addEventListener('change', function () { $('train').textContent = $('asJob').checked ? 'Start job' : 'Train'; });
    $('cancelJob').addEventListener('click', cancelJob);
    $('load').addEventListener('click', load);
    $('encode').addEventListener('click', encode);
    $('shape').addEventListener('change', function () { if ($('modelId').value.trim()) loadPictures($('modelId').value.trim()); });
    document.body.setAttribute('data-ready', 'true');
  });
})();
`;
