// Key console: a gérant logs in and manages the tenant's integration API keys over /graphql,
// and in its Webhooks tab (webhooks.js) the tenant's webhook endpoints.
// Managers and sellers who log in here are sent to their space: the keys are the gérant's.
// Every piece of data goes into the DOM through textContent, never as HTML.
'use strict';

(() => {
  const { graphql, session, format, $, say } = window.RPAI;
  const { run, logOut } = window.RPAI.actions({
    forget,
    clears: ['error', 'notice'],
    // A key that cannot be acted on stays disabled whatever happened.
    settle: renderKeys,
  });
  const hooks = window.RPAI_WEBHOOKS({ run });

  const storeNames = new Map();
  let keys = [];

  /** A mistake in the creation form, shown under the field (`field`: BY_FIELD's name). */
  class FormError extends Error {
    constructor(field, message) {
      super(message);
      this.field = field;
    }
  }

  // Where each field's error goes: the form's own names, and the API's (BY_FIELD in rpai.js).
  const FIELD_ERRORS = {
    name: 'key-name-error',
    permissions: 'permissions-error',
    store_ids: 'stores-error',
    expires_in_days: 'expiry-error',
  };

  // The permissions in words a gérant reads; the API's names stay in the tooltip.
  const PERMISSION_WORDS = {
    'stores:read': 'lire les magasins',
    'stores:write': 'gérer les magasins',
    'users:read': 'rechercher le personnel',
    'users:write': 'gérer le personnel',
    'kpi:write': 'envoyer les chiffres',
    'kpi:read': 'lire les chiffres',
    'events:read': 'lire les événements',
    'webhooks:read': 'consulter les webhooks',
    'webhooks:write': 'gérer les webhooks',
  };

  // --- Session -------------------------------------------------------------------------------

  function showView(user) {
    const isGerant = Boolean(user) && user.role === 'GERANT';
    $('login-section').hidden = Boolean(user);
    $('console-section').hidden = !isGerant;
    $('staff-section').hidden = !user || isGerant;
    $('session').hidden = !user;
    $('session-user').textContent = user ? `${user.name} (${user.email})` : '';
  }

  async function logIn() {
    const user = await window.RPAI.logIn($('login-email').value.trim(), $('login-password').value);
    $('login-form').reset();
    await enter(user);
  }

  async function enter(user) {
    showView(user);
    if (user.role === 'GERANT') {
      await loadConsole();
    }
  }

  /** What the console showed of the session that ended. */
  function forget() {
    hooks.forget();
    hideNewKey();
    storeNames.clear();
    keys = [];
    $('keys-body').replaceChildren();
    $('store-choices').replaceChildren();
    showView(null);
  }

  // --- Stores and keys -----------------------------------------------------------------------

  async function loadConsole() {
    const data = await graphql('stores');
    renderStores(data.stores);
    await loadKeys();
    await hooks.load();
  }

  /** The tab the address names: the keys, or the webhooks (`#webhooks`). */
  function showTab() {
    const onWebhooks = window.location.hash === '#webhooks';
    $('keys-panel').hidden = onWebhooks;
    $('webhooks-panel').hidden = !onWebhooks;
    $('tab-keys').classList.toggle('current', !onWebhooks);
    $('tab-webhooks').classList.toggle('current', onWebhooks);
    if (onWebhooks) {
      $('tab-webhooks').setAttribute('aria-current', 'page');
      $('tab-keys').removeAttribute('aria-current');
    } else {
      $('tab-keys').setAttribute('aria-current', 'page');
      $('tab-webhooks').removeAttribute('aria-current');
    }
  }

  function renderStores(stores) {
    storeNames.clear();
    const choices = stores.map((store) => {
      storeNames.set(store.id, store.name);
      const label = document.createElement('label');
      label.className = 'inline';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'store';
      box.value = store.id;
      const text = document.createElement('span');
      text.textContent = store.active ? store.name : `${store.name} (fermé)`;
      label.append(box, text);
      return label;
    });
    $('store-choices').replaceChildren(...choices);
    syncStoreChoices();
  }

  function syncStoreChoices() {
    const some = $('scope-some').checked;
    for (const box of $('store-choices').querySelectorAll('input')) {
      box.disabled = !some;
    }
    $('store-choices').classList.toggle('off', !some);
  }

  async function loadKeys() {
    keys = (await graphql('apiKeys')).apiKeys;
    renderKeys();
  }

  function isExpired(key) {
    return Boolean(key.expiresAt) && new Date(key.expiresAt) <= new Date();
  }

  function isUsable(key) {
    return key.active && !key.replacedBy && !isExpired(key);
  }

  /** Newest first, each replaced key right after the key that replaced it. */
  function ordered(list) {
    const ids = new Set(list.map((key) => key.id));
    const replacedBy = new Map();
    for (const key of list) {
      if (key.replacedBy && ids.has(key.replacedBy)) {
        replacedBy.set(key.replacedBy, key);
      }
    }
    const result = [];
    for (const key of list) {
      if (key.replacedBy && ids.has(key.replacedBy)) {
        continue;
      }
      for (let current = key; current; current = replacedBy.get(current.id)) {
        result.push(current);
      }
    }
    return result;
  }

  function renderKeys() {
    if (!keys) {
      return;
    }
    const hide = $('hide-inactive').checked;
    const shown = ordered(keys).filter((key) => !hide || (key.active && !isExpired(key)));
    const hidden = keys.length - shown.length;
    $('keys-body').replaceChildren(...shown.map(keyRow));
    $('keys-empty').hidden = keys.length > 0;
    $('keys-table').hidden = shown.length === 0;
    say(
      'keys-hidden',
      hidden > 0
        ? `${hidden} clé${hidden > 1 ? 's' : ''} désactivée${hidden > 1 ? 's' : ''} ou ` +
            `expirée${hidden > 1 ? 's' : ''} masquée${hidden > 1 ? 's' : ''}.`
        : '',
    );
  }

  function storesLabel(storeIds) {
    if (storeIds === null) {
      return 'Tous';
    }
    return storeIds.map((id) => storeNames.get(id) || id).join(', ');
  }

  function stateLabel(key) {
    if (!key.active) {
      return 'Désactivée';
    }
    if (key.replacedBy) {
      const until = isExpired(key) ? 'expirée le' : "valable jusqu'au";
      return `Remplacée le ${format.dateAt(key.replacedAt)}, ${until} ${format.dateAt(key.expiresAt)}`;
    }
    return isExpired(key) ? 'Expirée' : 'Active';
  }

  /** A table cell; its content sits in one box so that phone cards put it beside the label. */
  function cell(text, testId, label, ...extra) {
    const td = document.createElement('td');
    const value = document.createElement('div');
    value.textContent = text;
    value.append(...extra);
    td.append(value);
    td.dataset.testid = testId;
    td.dataset.label = label;
    return td;
  }

  function actionButton(text, testId, action, key, enabled) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = text;
    button.dataset.testid = testId;
    button.className = 'secondary';
    button.disabled = !enabled;
    button.addEventListener('click', () => run(() => action(key), button));
    return button;
  }

  function stateCell(key) {
    const replacement = key.replacedBy && keys.find((other) => other.id === key.replacedBy);
    if (!replacement) {
      return cell(stateLabel(key), 'key-state', 'État');
    }
    const note = document.createElement('span');
    note.className = 'replaced-by';
    note.dataset.testid = 'key-replaced-by';
    note.textContent = `par la clé ${replacement.prefix}…`;
    return cell(stateLabel(key), 'key-state', 'État', document.createElement('br'), note);
  }

  function keyRow(key) {
    const row = document.createElement('tr');
    row.dataset.testid = 'key-row';
    row.dataset.keyId = key.id;
    row.classList.toggle('inactive', !isUsable(key));
    row.classList.toggle('replaced', Boolean(key.replacedBy));
    const actions = cell(
      '',
      'key-actions',
      'Actions',
      // A replaced key still working can be ended at once; only a usable key is renewed.
      actionButton('Désactiver', 'deactivate', deactivateKey, key, key.active && !isExpired(key)),
      actionButton('Renouveler', 'rotate', rotateKey, key, isUsable(key)),
    );
    actions.classList.add('row-actions');
    const state = stateCell(key);
    const permissions = cell(permissionWords(key.permissions), 'key-permissions', 'Permissions');
    permissions.title = key.permissions.join(', ');
    for (const wide of [state, permissions, actions]) {
      wide.classList.add('wide');
    }
    row.append(
      cell(key.name, 'key-name', 'Nom'),
      cell(`${key.prefix}…`, 'key-prefix', 'Préfixe'),
      permissions,
      cell(storesLabel(key.storeIds), 'key-stores', 'Magasins'),
      cell(format.dateTime(key.createdAt), 'key-created', 'Créée le'),
      cell(key.expiresAt ? format.dateTime(key.expiresAt) : 'jamais', 'key-expires', 'Expiration'),
      cell(
        key.lastUsedAt ? format.dateTime(key.lastUsedAt) : 'jamais',
        'key-last-used',
        'Dernière utilisation',
      ),
      state,
      actions,
    );
    return row;
  }

  function permissionWords(permissions) {
    const words = permissions.map((name) => PERMISSION_WORDS[name] || name).join(', ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  // --- Key actions ---------------------------------------------------------------------------

  /** Show `message` under the field it concerns; false when no field of the form is named. */
  function showFieldError(field, message) {
    const id = FIELD_ERRORS[field];
    if (!id) {
      return false;
    }
    say(id, message);
    $(id).previousElementSibling?.querySelector('input')?.setAttribute('aria-invalid', 'true');
    $(id).scrollIntoView({ block: 'nearest' });
    return true;
  }

  function clearFieldErrors() {
    for (const id of Object.values(FIELD_ERRORS)) {
      say(id, '');
    }
    for (const input of $('create-form').querySelectorAll('[aria-invalid]')) {
      input.removeAttribute('aria-invalid');
    }
  }

  function readCreateForm() {
    const form = $('create-form');
    const permissions = Array.from(
      form.querySelectorAll('input[name="permission"]:checked'),
      (input) => input.value,
    );
    const some = $('scope-some').checked;
    const storeIds = Array.from(
      $('store-choices').querySelectorAll('input[name="store"]:checked'),
      (input) => input.value,
    );
    const expiry = $('key-expiry').value.trim();
    if (permissions.length === 0) {
      throw new FormError('permissions', 'Choisissez au moins une permission.');
    }
    if (some && storeIds.length === 0) {
      throw new FormError(
        'store_ids',
        'Cochez au moins un magasin, ou choisissez « Tous les magasins ».',
      );
    }
    return {
      name: $('key-name').value.trim(),
      permissions,
      storeIds: some ? storeIds : null,
      expiresInDays: expiry === '' ? null : Number(expiry),
    };
  }

  async function createKey() {
    clearFieldErrors();
    let data;
    try {
      data = await graphql('createApiKey', { input: readCreateForm() });
    } catch (error) {
      if (error.field && showFieldError(error.field, error.message)) {
        return;
      }
      throw error;
    }
    $('create-form').reset();
    syncStoreChoices();
    showNewKey(data.createApiKey);
    say(
      'notice',
      `Clé « ${data.createApiKey.apiKey.name} » créée. Copiez-la maintenant : elle ne sera ` +
        'plus affichée.',
    );
    await loadKeys();
  }

  async function deactivateKey(key) {
    const sure = await hooks.confirmed(
      `Désactiver la clé « ${key.name} » ?`,
      `La clé ${key.prefix}… sera refusée immédiatement, par tous les logiciels qui l'utilisent.`,
      'Désactiver la clé',
    );
    if (!sure) {
      return;
    }
    await graphql('deactivateApiKey', { id: key.id });
    await loadKeys();
    say(
      'notice',
      `Clé « ${key.name} » (${key.prefix}…) désactivée : elle est refusée dès maintenant.`,
    );
  }

  /** The rotation dialog's answer: the hours the old key keeps working, or null (cancelled). */
  function askGraceHours(key) {
    const dialog = $('rotate-dialog');
    $('rotate-title').textContent = `Renouveler la clé « ${key.name} »`;
    $('rotate-text').textContent =
      `Une nouvelle clé, avec les mêmes permissions et magasins, remplace la clé ${key.prefix}…` +
      ' Laissez à vos logiciels le temps de passer à la nouvelle.';
    $('rotate-form').reset();
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener(
        'close',
        () => {
          const hours = $('rotate-form').querySelector('input[name="grace"]:checked').value;
          resolve(dialog.returnValue === 'yes' ? Number(hours) : null);
        },
        { once: true },
      );
      dialog.showModal();
    });
  }

  async function rotateKey(key) {
    const hours = await askGraceHours(key);
    if (hours === null) {
      return;
    }
    const data = await graphql('rotateApiKey', { id: key.id, hours });
    showNewKey(data.rotateApiKey);
    await loadKeys();
    const old = keys.find((other) => other.id === key.id);
    const until =
      hours === 0 || !old
        ? "l'ancienne est refusée dès maintenant"
        : `l'ancienne (${key.prefix}…) reste valable jusqu'au ${format.dateAt(old.expiresAt)}`;
    say('notice', `Clé « ${key.name} » renouvelée : ${until}. Copiez la nouvelle clé maintenant.`);
  }

  // --- The key shown once --------------------------------------------------------------------

  function showNewKey(created) {
    $('new-key-title').textContent = `Nouvelle clé « ${created.apiKey.name} »`;
    $('new-key-value').textContent = created.key;
    $('copy-status').textContent = '';
    $('new-key-box').hidden = false;
    $('new-key-box').scrollIntoView({ block: 'nearest' });
  }

  function hideNewKey() {
    $('new-key-value').textContent = '';
    $('copy-status').textContent = '';
    $('new-key-box').hidden = true;
  }

  function selectKeyText() {
    const range = document.createRange();
    range.selectNodeContents($('new-key-value'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  async function copyKey() {
    try {
      await navigator.clipboard.writeText($('new-key-value').textContent);
      $('copy-status').textContent = 'Clé copiée.';
    } catch {
      selectKeyText();
      $('copy-status').textContent = 'Clé sélectionnée : appuyez sur Ctrl+C pour la copier.';
    }
  }

  // --- Wiring --------------------------------------------------------------------------------

  function onSubmit(formId, action) {
    const form = $(formId);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(action, form.querySelector('button[type="submit"]'));
    });
  }

  function init() {
    onSubmit('login-form', logIn);
    onSubmit('create-form', createKey);
    $('logout').addEventListener('click', logOut);
    $('copy-key').addEventListener('click', copyKey);
    $('dismiss-key').addEventListener('click', hideNewKey);
    $('hide-inactive').addEventListener('change', renderKeys);
    for (const radio of document.querySelectorAll('input[name="store-scope"]')) {
      radio.addEventListener('change', syncStoreChoices);
    }
    syncStoreChoices();
    window.addEventListener('hashchange', showTab);
    showTab();
    showView(null);
    if (session.token()) {
      $('login-section').hidden = true;
      run(async () => {
        const user = await window.RPAI.viewer();
        await enter(user);
      });
    }
  }

  init();
})();
