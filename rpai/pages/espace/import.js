// The gérant's KPI import (/espace/import): a CSV or NDJSON file read in the browser and sent
// with startKpiImport, its progress followed every second until it ends, its refused lines
// offered as a CSV file, and the recent imports. Every rule is the API's; every piece of data
// goes into the DOM through textContent.
'use strict';

(() => {
  const { graphql, viewer, session, $, say, format, ROLE_LABELS } = window.RPAI;
  const MAX_BYTES = 900 * 1024; // GraphQL's requests stop at 1 MiB; REST takes 200 MB
  const FORMATS = { csv: 'CSV', ndjson: 'NDJSON', jsonl: 'NDJSON' };
  const STATUS_LABELS = {
    QUEUED: 'En attente',
    RUNNING: 'En cours',
    COMPLETED: 'Terminé',
    FAILED: 'Échoué',
  };
  const POLL_MS = 1000;

  function formatOf(file) {
    const extension = file.name.split('.').pop().toLowerCase();
    return FORMATS[extension] || null;
  }

  function counts(job) {
    const done = `${format.integer(job.linesDone)} ligne(s) traitée(s) sur ${format.integer(job.lines)}`;
    const written = `${format.integer(job.entriesCreated)} créée(s), ${format.integer(job.entriesUpdated)} mise(s) à jour`;
    return `${STATUS_LABELS[job.status]} : ${done} ; ${written} ; ${format.integer(job.errors)} refusée(s).`;
  }

  function show(job) {
    $('progress-card').hidden = false;
    $('progress-title').textContent =
      `Import du ${new Date(job.createdAt).toLocaleString('fr-FR')}`;
    $('import-progress').max = Math.max(job.lines, 1);
    $('import-progress').value = job.linesDone;
    $('import-counts').textContent = counts(job);
    const ended = job.status === 'COMPLETED' || job.status === 'FAILED';
    $('download-errors').hidden = !(ended && job.errors > 0);
    $('download-errors').dataset.importId = job.id;
  }

  async function follow(id) {
    for (;;) {
      const job = (await graphql('kpiImport', { id })).kpiImport;
      show(job);
      if (job.status === 'COMPLETED' || job.status === 'FAILED') {
        say('notice', job.status === 'COMPLETED' ? 'Import terminé.' : 'Import échoué.');
        await listImports();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async function refusedLines(id) {
    const lines = [];
    let after = null;
    for (;;) {
      const page = (await graphql('kpiImportRefusedLines', { id, after })).kpiImport.refusedLines;
      lines.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return lines;
      after = page.pageInfo.endCursor;
    }
  }

  const quoted = (text) => `"${String(text).replaceAll('"', '""')}"`;

  async function downloadErrors() {
    say('error', '');
    const id = $('download-errors').dataset.importId;
    try {
      const lines = await refusedLines(id);
      const rows = ['ligne;détail', ...lines.map((row) => `${row.line};${quoted(row.detail)}`)];
      const blob = new Blob([`${rows.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `import-${id}-erreurs.csv`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (error) {
      say('error', error.message);
    }
  }

  async function startImport(event) {
    event.preventDefault();
    say('error', '');
    say('notice', '');
    const file = $('import-file').files[0];
    if (!file) return;
    const kind = formatOf(file);
    if (!kind) {
      say('error', 'Choisissez un fichier .csv, .ndjson ou .jsonl.');
      return;
    }
    if (file.size > MAX_BYTES) {
      say(
        'error',
        "Ce fichier dépasse 900 Ko : envoyez-le par l'API (POST /kpi/imports, jusqu'à 200 Mo), " +
          'ou découpez-le.',
      );
      return;
    }
    $('import-submit').disabled = true;
    try {
      const content = await file.text();
      const job = (await graphql('startKpiImport', { format: kind, content })).startKpiImport;
      show(job);
      say('notice', "Fichier reçu : l'import tourne en arrière-plan.");
      await follow(job.id);
    } catch (error) {
      say('error', error.message);
      if (error.code === 'UNAUTHENTICATED') signOut();
    } finally {
      $('import-submit').disabled = false;
    }
  }

  async function listImports() {
    const list = $('imports');
    list.replaceChildren();
    const page = (await graphql('kpiImports')).kpiImports;
    for (const { node: job } of page.edges) {
      const item = document.createElement('li');
      item.className = 'person';
      const when = document.createElement('span');
      when.textContent = new Date(job.createdAt).toLocaleString('fr-FR');
      const what = document.createElement('span');
      what.textContent = counts(job);
      item.append(when, what);
      list.append(item);
    }
  }

  function signOut() {
    session.clear();
    $('importer').hidden = true;
    $('session').hidden = true;
    $('signed-out').hidden = false;
  }

  async function start() {
    $('import-form').addEventListener('submit', startImport);
    $('download-errors').addEventListener('click', downloadErrors);
    $('logout').addEventListener('click', signOut);
    let me = null;
    try {
      me = await viewer();
    } catch (error) {
      say('error', error.message);
    }
    if (!me) {
      $('signed-out').hidden = false;
      return;
    }
    $('session').hidden = false;
    $('session-user').textContent = `${me.name} (${ROLE_LABELS[me.role]})`;
    if (me.role !== 'GERANT') {
      say('notice', 'Les imports de KPI sont réservés au gérant.');
      return;
    }
    $('importer').hidden = false;
    try {
      await listImports();
    } catch (error) {
      say('error', error.message);
    }
  }

  start();
})();
