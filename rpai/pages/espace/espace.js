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
  const DAY_MS = 24 * 60 * 60 * 1000;

  let viewer = null;
  const charts = new Map();

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

  function daysBetween(from, to) {
    return Math.round((parseDay(to) - parseDay(from)) / DAY_MS) + 1;
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
    return [addDays(today, 1 - Number(preset)), today];
  }

  function applyPreset() {
    const preset = $('preset').value;
    if (preset === 'custom') {
      return;
    }
    const [from, to] = presetPeriod(preset);
    $('from').value = iso(from);
    $('to').value = iso(to);
  }

  function shortDate(text) {
    return parseDay(text).toLocaleDateString('fr-FR', { dateStyle: 'short' });
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

  async function load() {
    const from = $('from').value;
    const to = $('to').value;
    if (!from || !to) {
      throw new Error('Choisissez les dates de début et de fin de la période.');
    }
    const group = $('group').value;
    const filter = { from, to };
    if (viewer.role === 'GERANT' && $('store').value) {
      filter.storeIds = [$('store').value];
    }
    const data = await graphql('kpiSummary', {
      f: filter,
      g: group,
      stores: viewer.role === 'GERANT' && !$('store').value,
      sellers: viewer.role !== 'SELLER',
    });
    $('scope-title').textContent = scopeTitle();
    const days = daysBetween(from, to);
    const previousTo = addDays(parseDay(from), -1);
    const previousFrom = addDays(previousTo, 1 - days);
    $('period-caption').textContent =
      `Du ${shortDate(from)} au ${shortDate(to)} ; évolutions comparées aux ${days} jours ` +
      `précédents (du ${previousFrom.toLocaleDateString('fr-FR')} au ` +
      `${previousTo.toLocaleDateString('fr-FR')}).`;
    const [total] = data.total;
    $('empty').hidden = total.nbVentes > 0 || Number(total.ca) > 0 || total.prospects > 0;
    renderTiles(total);
    const periods = group === 'DAY' ? everyDay(from, to, data.periods) : data.periods;
    renderCharts(group, periods);
    $('periods-title').textContent = GROUPS[group].title;
    renderTable('periods-table', GROUPS[group].column, data.periods, false);
    $('stores-card').hidden = !data.stores;
    if (data.stores) {
      renderTable('stores-table', 'Magasin', data.stores, true);
    }
    $('sellers-card').hidden = !data.sellers;
    if (data.sellers) {
      renderTable('sellers-table', 'Vendeur', data.sellers, true);
    }
  }

  /** One row per day of the period, days without sales included (no ratio on those). */
  function everyDay(from, to, rows) {
    const byKey = new Map(rows.map((row) => [row.key, row]));
    const result = [];
    for (let day = parseDay(from); iso(day) <= to; day = addDays(day, 1)) {
      const key = iso(day);
      result.push(
        byKey.get(key) || {
          key,
          ca: '0.00',
          nbVentes: 0,
          prospects: 0,
          panierMoyen: null,
          indiceDeVente: null,
          tauxTransformation: null,
        },
      );
    }
    return result;
  }

  function changeText(value) {
    return value === null || value === undefined ? 'sans comparaison' : format.change(value);
  }

  function changeClass(value) {
    if (!value) {
      return '';
    }
    return value > 0 ? 'up' : 'down';
  }

  const TILES = [
    ["Chiffre d'affaires", (row) => format.euros(row.ca), 'ca'],
    ['Ventes', (row) => format.integer(row.nbVentes), 'nbVentes'],
    ['Panier moyen', (row) => format.euros(row.panierMoyen), 'panierMoyen'],
    ['Indice de vente', (row) => format.decimal(row.indiceDeVente), 'indiceDeVente'],
    [
      'Taux de transformation',
      (row) => format.percent(row.tauxTransformation),
      'tauxTransformation',
    ],
  ];

  function renderTiles(total) {
    const tiles = TILES.map(([label, value, change]) => {
      const tile = document.createElement('div');
      tile.className = 'card tile';
      tile.dataset.testid = `tile-${change}`;
      const name = document.createElement('div');
      name.className = 'tile-label';
      name.textContent = label;
      const figure = document.createElement('div');
      figure.className = 'tile-value';
      figure.dataset.testid = 'tile-value';
      figure.textContent = value(total);
      const evolution = document.createElement('div');
      evolution.className = `tile-change ${changeClass(total.change[change])}`;
      evolution.dataset.testid = 'tile-change';
      evolution.textContent = `${changeText(total.change[change])} vs période précédente`;
      tile.append(name, figure, evolution);
      return tile;
    });
    $('tiles').replaceChildren(...tiles);
  }

  function number(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  function renderCharts(group, rows) {
    const labels = rows.map((row) => axisLabel(group, row.key));
    $('chart-ca-title').textContent = `Chiffre d'affaires ${GROUPS[group].per}`;
    draw(
      'chart-ca',
      'bar',
      "Chiffre d'affaires",
      labels,
      rows.map((r) => number(r.ca)),
      format.euros,
      COLORS.ca,
    );
    draw(
      'chart-panier',
      'line',
      'Panier moyen',
      labels,
      rows.map((r) => number(r.panierMoyen)),
      format.euros,
      COLORS.panier,
    );
    draw(
      'chart-indice',
      'line',
      'Indice de vente',
      labels,
      rows.map((r) => r.indiceDeVente),
      format.decimal,
      COLORS.indice,
    );
    draw(
      'chart-transformation',
      'line',
      'Taux de transformation',
      labels,
      rows.map((r) => r.tauxTransformation),
      format.percent,
      COLORS.transformation,
    );
  }

  function draw(id, type, label, labels, values, formatter, color) {
    if (charts.has(id)) {
      charts.get(id).destroy();
    }
    const chart = new window.Chart($(id), {
      type,
      data: {
        labels,
        datasets: [
          {
            label,
            data: values,
            backgroundColor: color,
            borderColor: color,
            pointRadius: 3,
            pointHoverRadius: 5,
            borderWidth: 2,
            spanGaps: false,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: 'fr-FR',
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: { label: (context) => `${label} : ${formatter(context.parsed.y)}` },
          },
        },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkipPadding: 8 } },
          y: { beginAtZero: true, ticks: { callback: (value) => formatter(value) } },
        },
      },
    });
    charts.set(id, chart);
  }

  const COLUMNS = [
    ['CA', (row) => format.euros(row.ca)],
    ['Évolution du CA', (row) => changeText(row.change.ca), (row) => changeClass(row.change.ca)],
    ['Ventes', (row) => format.integer(row.nbVentes)],
    ['Panier moyen', (row) => format.euros(row.panierMoyen)],
    ['Indice de vente', (row) => format.decimal(row.indiceDeVente)],
    ['Taux de transformation', (row) => format.percent(row.tauxTransformation)],
  ];

  function renderTable(id, first, rows, byRevenue) {
    const table = $(id);
    const head = document.createElement('thead');
    const headRow = document.createElement('tr');
    for (const [index, name] of [first, ...COLUMNS.map(([title]) => title)].entries()) {
      const th = document.createElement('th');
      th.textContent = name;
      if (index > 0) {
        th.className = 'number';
      }
      headRow.append(th);
    }
    head.append(headRow);
    const sorted = byRevenue ? [...rows].sort((a, b) => Number(b.ca) - Number(a.ca)) : rows;
    const body = document.createElement('tbody');
    for (const row of sorted) {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'figure-row';
      const name = document.createElement('th');
      name.scope = 'row';
      name.dataset.label = first;
      name.textContent = row.label;
      tr.append(name);
      for (const [title, value, style] of COLUMNS) {
        const td = document.createElement('td');
        td.className = `number ${style ? style(row) : ''}`.trim();
        td.dataset.label = title;
        td.textContent = value(row);
        tr.append(td);
      }
      body.append(tr);
    }
    if (sorted.length === 0) {
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
