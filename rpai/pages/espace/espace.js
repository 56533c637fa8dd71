// The staff space: one login for the gérant, managers and sellers, and the KPI dashboard each
// may see — the gérant his chain (by store, by seller, by period), a manager his store, a seller
// himself. The server decides what each session reads; this page only asks /graphql for the
// summaries (kpiSummary) and draws them with the vendored Chart.js.
// Every piece of data goes into the DOM through textContent, never as HTML.
'use strict';

(() => {
  const { graphql, session, format, $, say, ROLE_LABELS } = window.RPAI;
  const { run, logOut } = window.RPAI.actions({ forget });

  const GROUPS = {
    DAY: { column: 'Jour', title: 'Par jour', per: 'par jour' },
    WEEK: { column: 'Semaine', title: 'Par semaine', per: 'par semaine' },
    MONTH: { column: 'Mois', title: 'Par mois', per: 'par mois' },
  };
  const COLORS = { ca: '#2f5bd3', panier: '#8e44ad', indice: '#d35400', transformation: '#16a085' };
  const COMPARISON_COLOR = '#9aa5b1';
  const DAY_MS = 24 * 60 * 60 * 1000;
  // What "compare with" asks the server for: the previous period moved back to whole weeks,
  // so that each day faces the same weekday (resolvers/kpi/comparison.py).
  const COMPARISONS = {
    PREVIOUS: [
      'PREVIOUS_WEEKS',
      'la période précédente, jour de la semaine pour jour de la semaine',
      'vs période précédente',
    ],
    LAST_YEAR_WEEKDAYS: [
      'LAST_YEAR_WEEKDAYS',
      'les mêmes jours de la semaine, un an plus tôt',
      'vs un an plus tôt',
    ],
    LAST_YEAR: ['LAST_YEAR', "l'année précédente, aux mêmes dates", 'vs année précédente'],
  };

  const PHONE = window.matchMedia('(max-width: 600px)');
  const WHOLE_EUROS = new Intl.NumberFormat('fr-FR', {
    style: 'currency',
    currency: 'EUR',
    maximumFractionDigits: 0,
  });

  let viewer = null;
  const charts = new Map();
  const sorting = new Map();

  // --- Dates (the browser's calendar: the shop's day) ------------------------------------------

  function iso(day) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
  }

  function parseDay(text) {
    const [year, month, day] = text.split('-').map(Number);
    return new Date(year, month - 1, day);
  }

  function addDays(day, days) {
    const result = new Date(day);
    result.setDate(result.getDate() + days);
    return result;
  }

  function presetPeriod(preset) {
    const today = new Date();
    today.setHours(0, 0, 0, 0);
    if (preset === 'month') {
      return [new Date(today.getFullYear(), today.getMonth(), 1), today];
    }
    if (preset === 'last-month') {
      const first = new Date(today.getFullYear(), today.getMonth() - 1, 1);
      return [first, new Date(today.getFullYear(), today.getMonth(), 0)];
    }
    if (preset === '365') {
      // Twelve calendar months, this one included: each drawn whole or marked partial.
      return [new Date(today.getFullYear(), today.getMonth() - 11, 1), today];
    }
    return [addDays(today, 1 - Number(preset)), today];
  }

  function applyPreset() {
    const preset = $('preset').value;
    if (preset === 'custom') {
      return;
    }
    if (preset === '365') {
      $('group').value = 'MONTH';
    }
    const [from, to] = presetPeriod(preset);
    $('from').value = iso(from);
    $('to').value = iso(to);
  }

  function shortDate(text) {
    return parseDay(text).toLocaleDateString('fr-FR', { dateStyle: 'short' });
  }

  /** The ISO week (`2025-W10`) of a day, as the server keys WEEK rows. */
  function isoWeek(day) {
    const thursday = addDays(day, 3 - ((day.getDay() + 6) % 7));
    const firstThursday = new Date(thursday.getFullYear(), 0, 4);
    const week =
      1 +
      Math.round(
        (thursday - addDays(firstThursday, 3 - ((firstThursday.getDay() + 6) % 7))) / (7 * DAY_MS),
      );
    return `${thursday.getFullYear()}-W${String(week).padStart(2, '0')}`;
  }

  /** The key of the row a day falls in, for a grouping. */
  function periodKey(group, day) {
    if (group === 'WEEK') {
      return isoWeek(day);
    }
    return group === 'MONTH' ? iso(day).slice(0, 7) : iso(day);
  }

  /** Every period of [from, to] in order, each with whether the range cuts it (partial). */
  function everyPeriod(group, from, to) {
    const periods = new Map();
    for (let day = parseDay(from); iso(day) <= to; day = addDays(day, 1)) {
      const key = periodKey(group, day);
      periods.set(key, (periods.get(key) || 0) + 1);
    }
    return [...periods].map(([key, days]) => {
      let whole = 1;
      if (group === 'WEEK') {
        whole = 7;
      } else if (group === 'MONTH') {
        const first = parseDay(`${key}-01`);
        whole = new Date(first.getFullYear(), first.getMonth() + 1, 0).getDate();
      }
      return { key, partial: days < whole };
    });
  }

  /** The x-axis label of a period key: `3 mars`, `sem. 10`, `mars 2025`. */
  function axisLabel(group, key) {
    if (group === 'WEEK') {
      return `sem. ${Number(key.split('-W')[1])}`;
    }
    if (group === 'MONTH') {
      return parseDay(`${key}-01`).toLocaleDateString('fr-FR', { month: 'short', year: 'numeric' });
    }
    return parseDay(key).toLocaleDateString('fr-FR', { day: 'numeric', month: 'short' });
  }

  // --- Session and view ----------------------------------------------------------------------

  function showView() {
    const inside = viewer !== null;
    $('login-section').hidden = inside;
    $('dashboard').hidden = !inside;
    $('session').hidden = !inside;
    $('to-console').hidden = !inside || viewer.role !== 'GERANT';
    $('to-import').hidden = !inside || viewer.role !== 'GERANT';
    $('store-filter').hidden = !inside || viewer.role !== 'GERANT';
    if (!inside) {
      $('session-user').textContent = '';
      return;
    }
    const where = viewer.store ? ` — ${viewer.store.name}` : '';
    $('session-user').textContent = `${viewer.name} (${ROLE_LABELS[viewer.role]}${where})`;
  }

  /** What the space showed of the session that ended. */
  function forget() {
    viewer = null;
    for (const chart of charts.values()) {
      chart.destroy();
    }
    charts.clear();
    showView();
  }

  async function enter() {
    viewer = await window.RPAI.viewer();
    showView();
    if (viewer.role === 'GERANT') {
      const { stores } = await graphql('stores');
      const options = stores.map((store) => {
        const label = store.active ? store.name : `${store.name} (fermé)`;
        return new Option(label, store.id);
      });
      $('store').replaceChildren(new Option('Tous les magasins', ''), ...options);
    }
    await load();
  }

  async function logIn() {
    await window.RPAI.logIn($('login-email').value.trim(), $('login-password').value);
    $('login-form').reset();
    say('notice', '');
    await enter();
  }

  // --- Figures -------------------------------------------------------------------------------

  function scopeTitle() {
    if (viewer.role === 'SELLER') {
      return viewer.store ? `Vos chiffres — ${viewer.store.name}` : 'Vos chiffres';
    }
    if (viewer.role === 'MANAGER') {
      return viewer.store ? `Magasin ${viewer.store.name}` : 'Votre magasin';
    }
    const store = $('store');
    return store.value ? `Magasin ${store.selectedOptions[0].textContent}` : "Toute l'enseigne";
  }

  /** The filter, grouping and comparison the form asks for. */
  function asked() {
    const from = $('from').value;
    const to = $('to').value;
    if (!from || !to) {
      throw new Error('Choisissez les dates de début et de fin de la période.');
    }
    const filter = { from, to };
    if (viewer.role === 'GERANT' && $('store').value) {
      filter.storeIds = [$('store').value];
    }
    const [compareTo, words, versus] = COMPARISONS[$('compare').value];
    return { filter, group: $('group').value, compareTo, words, versus };
  }

  async function load() {
    const { filter, group, compareTo, words, versus } = asked();
    const { from, to } = filter;
    const data = await graphql('kpiSummary', {
      f: filter,
      g: group,
      c: compareTo,
      stores: viewer.role === 'GERANT' && !$('store').value,
      sellers: viewer.role !== 'SELLER',
    });
    $('scope-title').textContent = scopeTitle();
    $('period-caption').textContent =
      `Du ${shortDate(from)} au ${shortDate(to)} ; évolutions comparées à ${words} ` +
      `(du ${shortDate(data.compared.from)} au ${shortDate(data.compared.to)}).`;
    $('filters-summary').textContent =
      `Filtres : ${$('preset').selectedOptions[0].textContent}, ` +
      `${GROUPS[group].title.toLowerCase()}`;
    const [total] = data.total;
    $('empty').hidden = !idle(total);
    renderTiles(total, versus);
    const periods = allPeriods(group, from, to, data.periods);
    renderCharts(group, periods);
    const partial = periods.filter((row) => row.partial).length;
    say(
      'partial-note',
      partial > 0
        ? 'En clair sur les graphiques et marquées « partiel » : les périodes que vos dates ' +
            'coupent, dont les chiffres ne couvrent pas tous les jours.'
        : '',
    );
    $('periods-title').textContent = GROUPS[group].title;
    renderTable('periods-table', GROUPS[group].column, periods, 'key');
    $('stores-card').hidden = !data.stores;
    $('export-stores-xlsx').hidden = !data.stores;
    $('export-stores-csv').hidden = !data.stores;
    if (data.stores) {
      renderTable('stores-table', 'Magasin', data.stores, 'ca', openStore);
    }
    $('sellers-card').hidden = !data.sellers;
    $('export-sellers-xlsx').hidden = !data.sellers;
    $('export-sellers-csv').hidden = !data.sellers;
    if (data.sellers) {
      renderTable('sellers-table', 'Vendeur', data.sellers, 'ca');
    }
  }

  /** A store's row opens the store: its figures and its sellers. */
  async function openStore(row) {
    $('store').value = row.key;
    await load();
    $('sellers-card').scrollIntoView({ block: 'start' });
  }

  /** Nothing sold: a closed day, or no figures sent. */
  function idle(row) {
    return !row.nbVentes && !Number(row.ca) && !row.prospects;
  }

  /** One row per period of [from, to], periods without sales included, partial ones marked. */
  function allPeriods(group, from, to, rows) {
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return everyPeriod(group, from, to).map(({ key, partial }) => {
      const row = byKey.get(key) || {
        key,
        label: axisLabel(group, key),
        ca: '0.00',
        nbVentes: 0,
        prospects: 0,
        panierMoyen: null,
        indiceDeVente: null,
        tauxTransformation: null,
        previous: null,
        change: {},
      };
      return { ...row, partial, label: partial ? `${row.label} (partiel)` : row.label };
    });
  }

  /** The change shown for a metric: none where nothing was sold (a closed day is no fall). */
  function changeOf(row, metric) {
    return idle(row) ? null : row.change[metric];
  }

  function changeText(row, metric) {
    if (idle(row)) {
      return 'aucune vente';
    }
    const value = row.change[metric];
    return value === null || value === undefined ? 'sans comparaison' : format.change(value);
  }

  /** Green or red for a change that shows as one: "0,0 %" stays neutral. */
  function changeClass(value) {
    if (!value || Math.abs(value) < 0.0005) {
      return '';
    }
    return value > 0 ? 'up' : 'down';
  }

  const TILES = [
    ["Chiffre d'affaires", (row) => format.euros(row.ca), 'ca', 'Total des ventes encaissées.'],
    ['Ventes', (row) => format.integer(row.nbVentes), 'nbVentes', 'Nombre de tickets de caisse.'],
    [
      'Panier moyen',
      (row) => format.euros(row.panierMoyen),
      'panierMoyen',
      'Montant moyen par vente.',
    ],
    [
      'Indice de vente',
      (row) => format.decimal(row.indiceDeVente),
      'indiceDeVente',
      "Nombre moyen d'articles par vente.",
    ],
    [
      'Taux de transformation',
      (row) => format.percent(row.tauxTransformation),
      'tauxTransformation',
      'Part des visiteurs qui achètent.',
    ],
  ];

  function renderTiles(total, versus) {
    const tiles = TILES.map(([label, value, metric, help]) => {
      const tile = document.createElement('div');
      tile.className = 'card tile';
      tile.dataset.testid = `tile-${metric}`;
      const name = document.createElement('div');
      name.className = 'tile-label';
      name.textContent = label;
      const figure = document.createElement('div');
      figure.className = 'tile-value';
      figure.dataset.testid = 'tile-value';
      figure.textContent = value(total);
      const evolution = document.createElement('div');
      evolution.className = `tile-change ${changeClass(changeOf(total, metric))}`;
      evolution.dataset.testid = 'tile-change';
      evolution.textContent = `${changeText(total, metric)} ${versus}`;
      const explanation = document.createElement('div');
      explanation.className = 'tile-help';
      explanation.textContent = help;
      tile.append(name, figure, evolution, explanation);
      return tile;
    });
    $('tiles').replaceChildren(...tiles);
  }

  function number(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  const CHARTS = [
    [
      'chart-ca',
      'bar',
      "Chiffre d'affaires",
      'ca',
      (v) => WHOLE_EUROS.format(v),
      format.euros,
      COLORS.ca,
    ],
    [
      'chart-panier',
      'line',
      'Panier moyen',
      'panierMoyen',
      (v) => WHOLE_EUROS.format(v),
      format.euros,
      COLORS.panier,
    ],
    [
      'chart-indice',
      'line',
      'Indice de vente',
      'indiceDeVente',
      format.decimal,
      format.decimal,
      COLORS.indice,
    ],
    [
      'chart-transformation',
      'line',
      'Taux de transformation',
      'tauxTransformation',
      format.percent,
      format.percent,
      COLORS.transformation,
    ],
  ];

  function renderCharts(group, rows) {
    const labels = rows.map((row) => axisLabel(group, row.key) + (row.partial ? '*' : ''));
    $('chart-ca-title').textContent = `Chiffre d'affaires ${GROUPS[group].per}`;
    for (const [id, type, label, metric, axis, formatter, color] of CHARTS) {
      const current = rows.map((row) => number(row[metric]));
      const previous = rows.map((row) => (row.previous ? number(row.previous[metric]) : null));
      // A partial period's bar or point is paler: its figures do not cover all its days.
      const colors = rows.map((row) => (row.partial ? `${color}80` : color));
      draw(id, type, label, labels, [current, previous], axis, formatter, [colors, color]);
    }
  }

  function draw(id, type, label, labels, [current, previous], axis, formatter, [colors, color]) {
    if (charts.has(id)) {
      charts.get(id).destroy();
    }
    const chart = new window.Chart($(id), {
      type,
      data: {
        labels,
        datasets: [
          {
            label: 'Période choisie',
            data: current,
            backgroundColor: colors,
            borderColor: color,
            pointBackgroundColor: colors,
            pointRadius: 3,
            pointHoverRadius: 5,
            borderWidth: 2,
            spanGaps: false,
            order: 1,
          },
          {
            label: 'Comparaison',
            data: previous,
            backgroundColor: `${COMPARISON_COLOR}99`,
            borderColor: COMPARISON_COLOR,
            borderDash: [5, 4],
            pointRadius: 0,
            pointHoverRadius: 4,
            borderWidth: 2,
            spanGaps: false,
            order: 2,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: 'fr-FR',
        plugins: {
          legend: { display: true, position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: (context) =>
                `${context.dataset.label} — ${label} : ${formatter(context.parsed.y)}`,
            },
          },
        },
        scales: {
          x: {
            ticks: {
              maxRotation: 0,
              autoSkip: true,
              autoSkipPadding: 8,
              // A phone's axis shows a few labels, each whole.
              maxTicksLimit: PHONE.matches ? 5 : 12,
            },
          },
          y: {
            beginAtZero: true,
            ticks: { maxTicksLimit: PHONE.matches ? 5 : 8, callback: (value) => axis(value) },
          },
        },
      },
    });
    charts.set(id, chart);
  }

  // Each column: its title, its text, its sort value, and its colour class.
  const COLUMNS = [
    ['CA', (row) => format.euros(row.ca), (row) => Number(row.ca)],
    [
      'Évolution du CA',
      (row) => changeText(row, 'ca'),
      (row) => changeOf(row, 'ca') ?? Number.NEGATIVE_INFINITY,
      (row) => changeClass(changeOf(row, 'ca')),
    ],
    ['Ventes', (row) => format.integer(row.nbVentes), (row) => row.nbVentes],
    [
      'Panier moyen',
      (row) => format.euros(row.panierMoyen),
      (row) => number(row.panierMoyen) ?? -1,
    ],
    [
      'Indice de vente',
      (row) => format.decimal(row.indiceDeVente),
      (row) => row.indiceDeVente ?? -1,
    ],
    [
      'Taux de transformation',
      (row) => format.percent(row.tauxTransformation),
      (row) => row.tauxTransformation ?? -1,
    ],
  ];

  /** The rows in the order the table's sort asks: a column, ascending or not. */
  function sortedRows(id, rows) {
    const { column, descending } = sorting.get(id);
    const value =
      column === 'key'
        ? (row) => row.key
        : column === 'label'
          ? (row) => row.label
          : COLUMNS[column][2];
    const sorted = [...rows].sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      return typeof x === 'string' ? x.localeCompare(y, 'fr') : x - y;
    });
    return descending ? sorted.reverse() : sorted;
  }

  function headerCell(id, title, column, rows, first, onRow) {
    const th = document.createElement('th');
    th.scope = 'col';
    const state = sorting.get(id);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.textContent = title;
    button.title = `Trier par ${title.toLowerCase()}`;
    if (state.column === column) {
      th.setAttribute('aria-sort', state.descending ? 'descending' : 'ascending');
      button.textContent += state.descending ? ' ▼' : ' ▲';
    }
    button.addEventListener('click', () => {
      const again = state.column === column;
      // Figures sort biggest first; names and periods in their own order.
      sorting.set(id, {
        column,
        descending: again ? !state.descending : typeof column === 'number',
      });
      renderTable(id, first, rows, null, onRow);
    });
    th.append(button);
    return th;
  }

  /** A phone shows rows as cards, without the headers: a list chooses the order there. */
  function sortChoice(id, first, rows, onRow) {
    let select = $(`${id}-sort`);
    if (!select) {
      const label = document.createElement('label');
      label.className = 'sort-choice';
      label.textContent = 'Trier par ';
      select = document.createElement('select');
      select.id = `${id}-sort`;
      label.append(select);
      $(id).before(label);
    }
    const keyColumn = id === 'periods-table' ? 'key' : 'label';
    const choices = [
      [keyColumn, first],
      ...COLUMNS.map(([title], index) => [String(index), `${title} (du plus grand)`]),
    ];
    select.replaceChildren(...choices.map(([value, text]) => new Option(text, value)));
    select.value = String(sorting.get(id).column);
    select.onchange = () => {
      const column = select.value === keyColumn ? keyColumn : Number(select.value);
      sorting.set(id, { column, descending: typeof column === 'number' });
      renderTable(id, first, rows, null, onRow);
    };
  }

  function renderTable(id, first, rows, defaultSort, onRow) {
    if (defaultSort) {
      sorting.set(
        id,
        defaultSort === 'ca'
          ? { column: 0, descending: true }
          : { column: 'key', descending: false },
      );
    }
    const table = $(id);
    sortChoice(id, first, rows, onRow);
    const head = document.createElement('thead');
    const headRow = document.createElement('tr');
    headRow.append(
      headerCell(id, first, id === 'periods-table' ? 'key' : 'label', rows, first, onRow),
    );
    for (const [index, [title]] of COLUMNS.entries()) {
      const th = headerCell(id, title, index, rows, first, onRow);
      th.classList.add('number');
      headRow.append(th);
    }
    head.append(headRow);
    const body = document.createElement('tbody');
    for (const row of sortedRows(id, rows)) {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'figure-row';
      tr.classList.toggle('partial', Boolean(row.partial));
      const name = document.createElement('th');
      name.scope = 'row';
      name.dataset.label = first;
      if (onRow) {
        const open = document.createElement('button');
        open.type = 'button';
        open.className = 'link';
        open.dataset.testid = 'open-row';
        open.textContent = row.label;
        open.addEventListener('click', () => run(() => onRow(row), open));
        name.append(open);
      } else {
        name.textContent = row.label;
      }
      tr.append(name);
      for (const [title, value, , style] of COLUMNS) {
        const td = document.createElement('td');
        td.className = `number ${style ? style(row) : ''}`.trim();
        td.dataset.label = title;
        td.textContent = value(row);
        tr.append(td);
      }
      body.append(tr);
    }
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = COLUMNS.length + 1;
      td.className = 'muted';
      td.textContent = 'Aucun chiffre sur cette période.';
      tr.append(td);
      body.append(tr);
    }
    table.replaceChildren(head, body);
  }

  // --- Exports -------------------------------------------------------------------------------

  const EXPORTED_GROUPS = { stores: 'STORE', sellers: 'SELLER' };

  /** The file of a table as the server writes it (kpiExport), saved by the browser. */
  async function exportTable(button) {
    const { filter, group, compareTo } = asked();
    const data = await graphql('kpiExport', {
      f: filter,
      g: EXPORTED_GROUPS[button.dataset.table] || group,
      c: compareTo,
      format: button.dataset.format,
    });
    const file = data.kpiExport;
    const bytes = Uint8Array.from(atob(file.base64), (char) => char.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: file.contentType }));
    const link = document.createElement('a');
    link.href = url;
    link.download = file.filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
    $('export-menu').open = false;
    say('notice', `Fichier « ${file.filename} » téléchargé.`);
  }

  // --- Wiring --------------------------------------------------------------------------------

  function init() {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      run(logIn, $('login-submit'));
    });
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      run(load, $('show'));
    });
    $('preset').addEventListener('change', () => {
      applyPreset();
      run(load);
    });
    for (const id of ['from', 'to']) {
      $(id).addEventListener('change', () => {
        $('preset').value = 'custom';
      });
    }
    for (const id of ['group', 'store']) {
      $(id).addEventListener('change', () => run(load));
    }
    $('compare').addEventListener('change', () => run(load));
    for (const button of $('export-choices').querySelectorAll('button')) {
      button.addEventListener('click', () => run(() => exportTable(button), button));
    }
    // On a phone the filters and the long list of periods start folded.
    if (PHONE.matches) {
      $('filters-box').open = false;
      $('periods-box').open = false;
    }
    $('logout').addEventListener('click', logOut);
    applyPreset();
    showView();
    if (session.token()) {
      $('login-section').hidden = true;
      run(enter);
    }
  }

  init();
})();
