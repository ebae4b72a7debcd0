/**
 * The playground's "train as a job" mode, spliced into /playground.js (script.ts) inside its
 * closure, so it shares $, api, setStatus, showMetrics and loadPictures. It POSTs /v1/jobs with the
 * pasted CSV as rows and the page's hyperparameters, follows /v1/jobs/{id}/events with fetch (an
 * EventSource cannot send the bearer token) and a small SSE reader, shows the progress and the loss
 * so far, and at the end loads the job's model as the synchronous mode does.
 */
export const PLAYGROUND_JOB_JS = String.raw`  var CONFIG_FIELDS = ['hiddenSize', 'sparsityTarget', 'sparsityWeight', 'weightDecay', 'reduction', 'normalize'];
  var CHOICE_FIELDS = ['reduction', 'normalize', 'optimizer'];
  // The server's rule for a number cell (src/data/csv.ts): Number() alone would take "", "0x1f", " ".
  var NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  var currentJob = null;

  /**
   * The CSV as rows of numbers for a JSON body, by the server's rules: blank lines around the data
   * ignored, the first line a header when none of its cells is a number, quoted cells unquoted.
   */
  function csvRows(text) {
    var lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    var start = 0;
    var end = lines.length;
    while (start < end && !lines[start].trim()) start++;
    while (end > start && !lines[end - 1].trim()) end--;
    var cells = function (line) {
      return line.split(',').map(function (cell) {
        cell = cell.trim();
        return /^".*"$/.test(cell) ? cell.slice(1, -1).trim() : cell;
      });
    };
    if (start < end && cells(lines[start]).every(function (cell) { return !NUMBER.test(cell); })) start++;
    if (start === end) throw new Error('The CSV has no data rows.');
    var rows = [];
    for (var i = start; i < end; i++) {
      var row = cells(lines[i]);
      if (rows.length && row.length !== rows[0].length) {
        throw new Error('CSV line ' + (i + 1) + ' has ' + row.length + ' values; the first data row has ' + rows[0].length + '.');
      }
      for (var j = 0; j < row.length; j++) {
        if (!NUMBER.test(row[j])) throw new Error('CSV line ' + (i + 1) + ', column ' + (j + 1) + ': "' + row[j].slice(0, 24) + '" is not a number.');
        row[j] = Number(row[j]);
      }
      rows.push(row);
    }
    return rows;
  }

  /** The body of POST /v1/jobs: the rows and the same hyperparameters the synchronous mode sends. */
  function jobRequest(rows) {
    var body = { data: rows, config: {}, training: {} };
    FIELDS.forEach(function (name) {
      var value = $(name).value.trim();
      if (value === '') return;
      if (name === 'name') { body.name = value; return; }
      var typed = CHOICE_FIELDS.indexOf(name) >= 0 ? value : Number(value);
      (CONFIG_FIELDS.indexOf(name) >= 0 ? body.config : body.training)[name] = typed;
    });
    return body;
  }

  /**
   * Reads a text/event-stream body, calling onEvent(type, data) for each event (the SSE rules:
   * lines end in CRLF, LF or CR; "field: value"; data lines joined by newlines; a blank line ends
   * an event; ":" starts a comment). Stops early when onEvent returns true. EventSource would do
   * this, but cannot send the Authorization header.
   */
  async function readEvents(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    var type = '';
    var data = [];
    var line = function (text) {
      if (text === '') {
        var stop = data.length > 0 && onEvent(type || 'message', data.join('\n'));
        type = '';
        data = [];
        return stop;
      }
      if (text.charAt(0) === ':') return false;
      var colon = text.indexOf(':');
      var field = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      return false;
    };
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) return; // an unterminated last event is dropped, as EventSource drops it
      buffer += decoder.decode(chunk.value, { stream: true });
      for (;;) {
        var at = buffer.search(/[\r\n]/);
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
        if (at < 0 || (buffer.charAt(at) === '\r' && at === buffer.length - 1)) break;
        var text = buffer.slice(0, at);
        buffer = buffer.slice(at + (buffer.charAt(at) === '\r' && buffer.charAt(at + 1) === '\n' ? 2 : 1));
        if (line(text)) { reader.cancel().catch(function () { /* already closed */ }); return; }
      }
    }
  }

  function sleep(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }

  /**
   * Follows a job's events until its end event, which it returns; progress events go to
   * onProgress. A dropped stream is reopened a few times (the job carries on regardless).
   */
  async function followJob(id, onProgress) {
    for (var attempt = 1; ; attempt++) {
      var end = null;
      try {
        var res = await api('/v1/jobs/' + encodeURIComponent(id) + '/events', { headers: { accept: 'text/event-stream' } });
        await readEvents(res.body, function (type, data) {
          if (type === 'progress') onProgress(JSON.parse(data));
          if (type === 'end') end = JSON.parse(data);
          return end !== null;
        });
      } catch (error) {
        if (error.status || attempt >= 5) throw error; // an HTTP error (401, 404) will not mend itself
      }
      if (end) return end;
      if (attempt >= 5) throw new Error('Lost the events of job ' + id + '; GET /v1/jobs/' + id + ' says where it is.');
      await sleep(1000);
    }
  }

  function formatSeconds(seconds) {
    if (seconds === null || seconds === undefined) return '…';
    var s = Math.round(seconds);
    return s < 60 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';
  function svgElement(name, attributes, text) {
    var element = document.createElementNS(SVG_NS, name);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, String(attributes[key])); });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  /**
   * The loss so far, drawn in the page (the server's loss.svg needs a model, which a job has only
   * at its end): one point a progress event, on an x axis of all the job's epochs.
   */
  function drawLiveLoss(points, totalEpochs) {
    var width = 640, height = 400, left = 72, right = 24, top = 40, bottom = 48;
    var plotW = width - left - right, plotH = height - top - bottom;
    var losses = points.map(function (p) { return p[1]; });
    var low = Math.min.apply(null, losses), high = Math.max.apply(null, losses);
    if (high === low) { var pad = low === 0 ? 1 : Math.abs(low) * 0.05; low -= pad; high += pad; }
    var y0 = low - (high - low) * 0.04, y1 = high + (high - low) * 0.04;
    var px = function (epoch) { return left + (totalEpochs <= 1 ? plotW / 2 : ((epoch - 1) / (totalEpochs - 1)) * plotW); };
    var py = function (loss) { return top + plotH - ((loss - y0) / (y1 - y0)) * plotH; };
    var svg = svgElement('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', class: 'live-loss',
      'font-family': 'system-ui, sans-serif', 'font-size': 12 });
    svg.appendChild(svgElement('rect', { width: width, height: height, fill: '#ffffff' }));
    svg.appendChild(svgElement('text', { x: left + plotW / 2, y: top - 16, 'text-anchor': 'middle', 'font-size': 14 }, 'Training loss (live)'));
    svg.appendChild(svgElement('path', { d: 'M' + left + ' ' + top + 'V' + (top + plotH) + 'H' + (left + plotW), fill: 'none', stroke: '#333333' }));
    svg.appendChild(svgElement('text', { x: left - 8, y: py(high) + 4, 'text-anchor': 'end' }, Number(high.toPrecision(4))));
    svg.appendChild(svgElement('text', { x: left - 8, y: py(low) + 4, 'text-anchor': 'end' }, Number(low.toPrecision(4))));
    svg.appendChild(svgElement('text', { x: left, y: top + plotH + 18, 'text-anchor': 'middle' }, '1'));
    svg.appendChild(svgElement('text', { x: left + plotW, y: top + plotH + 18, 'text-anchor': 'middle' }, totalEpochs));
    svg.appendChild(svgElement('text', { x: left + plotW / 2, y: height - 10, 'text-anchor': 'middle' }, 'epoch'));
    svg.appendChild(svgElement('path', { class: 'live-loss-line', fill: 'none', stroke: '#1f77b4', 'stroke-width': 1.75, 'stroke-linejoin': 'round',
      d: points.map(function (p, i) { return (i ? 'L' : 'M') + px(p[0]).toFixed(1) + ' ' + py(p[1]).toFixed(1); }).join('') }));
    points.forEach(function (p) { svg.appendChild(svgElement('circle', { cx: px(p[0]).toFixed(1), cy: py(p[1]).toFixed(1), r: 2.5, fill: '#1f77b4' })); });
    var chart = $('loss-chart');
    chart.textContent = '';
    chart.appendChild(svg);
  }

  /** Shows a job's state in the progress line and bar, and adds its latest loss to the live curve. */
  function showJob(job, points) {
    $('job-row').hidden = false;
    var bar = $('job-progress');
    bar.max = Math.max(1, job.totalSteps);
    bar.value = job.step;
    var text = 'Job ' + job.status + ': epoch ' + job.epoch + '/' + job.totalEpochs;
    if (job.loss !== null && job.loss !== undefined) text += ', loss ' + Number(job.loss.toPrecision(5));
    if (job.status === 'queued' || job.status === 'running') text += ', ETA ' + formatSeconds(job.etaSeconds);
    $('job-line').textContent = text;
    var last = points[points.length - 1];
    if (job.epoch > 0 && job.loss !== null && isFinite(job.loss) && (!last || job.epoch > last[0])) {
      points.push([job.epoch, job.loss]);
      drawLiveLoss(points, job.totalEpochs);
    }
  }

  async function trainJob() {
    var rows;
    try { rows = csvRows($('csv').value); } catch (error) { setStatus(error.message, true); return; }
    var button = $('train');
    button.disabled = true;
    var started = Date.now();
    var points = [];
    setStatus('Submitting the job…');
    $('loss-chart').textContent = '';
    try {
      var res = await api('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(jobRequest(rows)) });
      var job = await res.json();
      currentJob = job.id;
      $('cancelJob').hidden = false;
      setStatus('Job ' + job.id + ' submitted; following its progress…');
      showJob(job, points);
      var end = await followJob(job.id, function (progress) { showJob(progress, points); });
      currentJob = null;
      $('cancelJob').hidden = true;
      showJob(end, points);
      var seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (end.status === 'succeeded') {
        setStatus('Trained ' + end.totalEpochs + ' epochs as job ' + end.id + ' in ' + seconds + ' s (' + end.slices + ' slices).');
        $('modelId').value = end.modelId;
        var model = await (await api('/v1/models/' + encodeURIComponent(end.modelId))).json();
        showMetrics(model);
        await loadPictures(end.modelId);
      } else if (end.status === 'failed') {
        setStatus('Job failed' + (end.error ? ' (' + end.error.type + '): ' + end.error.detail : '.'), true);
      } else {
        setStatus('Job cancelled after ' + end.epoch + ' of ' + end.totalEpochs + ' epochs; no model was saved.', true);
      }
    } catch (error) {
      setStatus(error.message, true);
    } finally {
      currentJob = null;
      $('cancelJob').hidden = true;
      button.disabled = false;
    }
  }

  function cancelJob() {
    if (!currentJob) return;
    // The events stream then ends with the cancelled job; a job that finished meanwhile answers 409.
    api('/v1/jobs/' + encodeURIComponent(currentJob), { method: 'DELETE' })
      .catch(function (error) { if (error.status !== 409) setStatus(error.message, true); });
  }
`;
