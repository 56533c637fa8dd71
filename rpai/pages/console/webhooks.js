// The console's Webhooks tab: the gérant lists, adds, disables, re-enables and deletes the
// tenant's webhook endpoints, rotates their signing secrets (shown once), sends a test ping and
// sees each endpoint's last deliveries, which he can send again. Nothing is sent from here: the
// server records the deliveries and its workers send them.
// Every piece of data goes into the DOM through textContent, never as HTML.
'use strict';

(() => {
  const { graphql, format, $, say } = window.RPAI;

  const DELIVERY_STATES = {
    PENDING: 'En attente',
    SENDING: "En cours d'envoi",
    DELIVERED: 'Livrée',
    FAILED: 'Échouée',
  };

  class FormError extends Error {}

  /** A question in the page's dialog; true when the person confirms. */
  function confirmed(title, text, yes) {
    const dialog = $('confirm-dialog');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-yes').textContent = yes;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), {
        once: true,
      });
      dialog.showModal();
    });
  }

  function button(text, testId, onClick, disabled = false) {
    const element = document.createElement('button');
    element.type = 'button';
    element.textContent = text;
    element.dataset.testid = testId;
    element.className = 'secondary';
    element.disabled = disabled;
    element.addEventListener('click', () => onClick(element));
    return element;
  }

  /** A table cell, its content in one box (phone cards put it beside the label). */
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

  function attemptsLabel(delivery) {
    const last = delivery.attempts.at(-1);
    if (!last) {
      return 'aucune';
    }
    const answer = last.error || (last.statusCode === null ? '' : `HTTP ${last.statusCode}`);
    const count = delivery.attempts.length;
    return `${count} — dernière : ${answer} (${format.integer(last.durationMs)} ms)`;
  }

  /** The tab's behaviour; `run` is the console's (messages, busy buttons, session end). */
  function webhooks({ run }) {
    let endpoints = [];
    // The endpoint whose deliveries are shown, by id.
    let shownId = null;

    const isEnabled = (endpoint) => endpoint.status === 'ENABLED';
    const named = (endpoint) => `« ${endpoint.description || endpoint.url} »`;

    async function load() {
      endpoints = (await graphql('webhookEndpoints')).webhookEndpoints;
      renderEndpoints();
      if (endpoints.some((endpoint) => endpoint.id === shownId)) {
        await loadDeliveries();
      } else {
        hideDeliveries();
      }
    }

    function forget() {
      endpoints = [];
      hideSecret();
      hideDeliveries();
      $('endpoints-body').replaceChildren();
    }

    // --- Endpoints ---------------------------------------------------------------------------

    function renderEndpoints() {
      $('endpoints-body').replaceChildren(...endpoints.map(endpointRow));
      $('endpoints-empty').hidden = endpoints.length > 0;
      $('endpoints-table').hidden = endpoints.length === 0;
    }

    function endpointRow(endpoint) {
      const row = document.createElement('tr');
      row.dataset.testid = 'endpoint-row';
      row.dataset.endpointId = endpoint.id;
      row.classList.toggle('inactive', !isEnabled(endpoint));
      const act = (action) => (element) => run(() => action(endpoint), element);
      const actions = cell(
        '',
        'endpoint-actions',
        'Actions',
        button('Livraisons', 'show-deliveries', act(showDeliveries)),
        button('Tester', 'test-endpoint', act(testEndpoint), !isEnabled(endpoint)),
        isEnabled(endpoint)
          ? button('Désactiver', 'disable-endpoint', act(disableEndpoint))
          : button('Réactiver', 'enable-endpoint', act(enableEndpoint)),
        button('Nouveau secret', 'rotate-secret', act(rotateSecret)),
        button('Supprimer', 'delete-endpoint', act(deleteEndpoint)),
      );
      actions.classList.add('button-row', 'wide');
      const url = cell(endpoint.url, 'endpoint-url', 'Adresse');
      url.classList.add('wide', 'url');
      const events = endpoint.events.includes('*') ? 'Tous' : endpoint.events.join(', ');
      row.append(
        url,
        cell(events, 'endpoint-events', 'Événements'),
        cell(endpoint.description || '—', 'endpoint-description', 'Description'),
        cell(format.dateTime(endpoint.createdAt), 'endpoint-created', 'Créé le'),
        cell(isEnabled(endpoint) ? 'Actif' : 'Désactivé', 'endpoint-state', 'État'),
        actions,
      );
      return row;
    }

    function readForm() {
      const some = $('events-some').checked;
      const events = Array.from(
        $('event-choices').querySelectorAll('input[name="event-type"]:checked'),
        (input) => input.value,
      );
      if (some && events.length === 0) {
        throw new FormError(
          "Cochez au moins un type d'événement, ou choisissez « Tous les événements ».",
        );
      }
      const description = $('endpoint-description').value.trim();
      return {
        url: $('endpoint-url').value.trim(),
        events: some ? events : ['*'],
        description: description === '' ? null : description,
      };
    }

    async function createEndpoint() {
      const input = readForm();
      const created = (await graphql('createWebhookEndpoint', { input })).createWebhookEndpoint;
      $('endpoint-form').reset();
      syncEventChoices();
      showSecret(created);
      say(
        'notice',
        `Webhook ${named(created.webhookEndpoint)} ajouté. Copiez son secret maintenant : il ne ` +
          'sera plus affiché.',
      );
      await load();
    }

    async function setStatus(endpoint, status) {
      await graphql('updateWebhookEndpoint', { id: endpoint.id, input: { status } });
      await load();
    }

    async function disableEndpoint(endpoint) {
      await setStatus(endpoint, 'DISABLED');
      say('notice', `Webhook ${named(endpoint)} désactivé : plus rien ne lui est envoyé.`);
    }

    async function enableEndpoint(endpoint) {
      await setStatus(endpoint, 'ENABLED');
      say(
        'notice',
        `Webhook ${named(endpoint)} réactivé : les nouveaux événements lui sont envoyés.`,
      );
    }

    async function rotateSecret(endpoint) {
      const sure = await confirmed(
        'Nouveau secret de signature',
        `Créer un nouveau secret pour le webhook ${named(endpoint)} ? L'ancien continuera de ` +
          'signer les envois à côté du nouveau pendant 24 heures, le temps de le remplacer.',
        'Créer un nouveau secret',
      );
      if (!sure) {
        return;
      }
      const rotated = (await graphql('rotateWebhookEndpointSecret', { id: endpoint.id }))
        .rotateWebhookEndpointSecret;
      showSecret(rotated);
      say(
        'notice',
        `Nouveau secret créé pour le webhook ${named(endpoint)} : l'ancien signe encore ` +
          'pendant 24 heures. Copiez le nouveau maintenant.',
      );
    }

    async function deleteEndpoint(endpoint) {
      const sure = await confirmed(
        'Supprimer le webhook',
        `Supprimer le webhook ${named(endpoint)} ? Plus aucun événement ne lui sera envoyé.`,
        'Supprimer',
      );
      if (!sure) {
        return;
      }
      await graphql('deleteWebhookEndpoint', { id: endpoint.id });
      await load();
      say('notice', `Webhook ${named(endpoint)} supprimé.`);
    }

    async function testEndpoint(endpoint) {
      await graphql('testWebhookEndpoint', { id: endpoint.id });
      shownId = endpoint.id;
      await loadDeliveries();
      say(
        'notice',
        `Test envoyé au webhook ${named(endpoint)} : l'événement « ping » est en attente ` +
          "d'envoi.",
      );
    }

    // --- Deliveries --------------------------------------------------------------------------

    async function showDeliveries(endpoint) {
      shownId = endpoint.id;
      await loadDeliveries();
      $('deliveries-section').scrollIntoView({ block: 'nearest' });
    }

    async function loadDeliveries() {
      const endpoint = endpoints.find((one) => one.id === shownId);
      const data = await graphql('webhookDeliveries', { id: shownId });
      const connection = data.webhookEndpoint.deliveries;
      const deliveries = connection.edges.map((edge) => edge.node);
      $('deliveries-title').textContent = `Livraisons du webhook ${named(endpoint)}`;
      $('deliveries-body').replaceChildren(
        ...deliveries.map((delivery) => deliveryRow(endpoint, delivery)),
      );
      $('deliveries-empty').hidden = deliveries.length > 0;
      $('deliveries-table').hidden = deliveries.length === 0;
      $('deliveries-more').hidden = !connection.pageInfo.hasNextPage;
      $('deliveries-section').hidden = false;
    }

    function hideDeliveries() {
      shownId = null;
      $('deliveries-body').replaceChildren();
      $('deliveries-section').hidden = true;
    }

    function deliveryRow(endpoint, delivery) {
      const row = document.createElement('tr');
      row.dataset.testid = 'delivery-row';
      row.dataset.eventId = delivery.eventId;
      const id = document.createElement('span');
      id.className = 'event-id';
      id.textContent = delivery.eventId;
      const retry = button(
        'Renvoyer',
        'retry-delivery',
        (element) => run(() => retryDelivery(endpoint, delivery), element),
        delivery.status === 'SENDING' || !isEnabled(endpoint),
      );
      const actions = cell('', 'delivery-actions', 'Actions', retry);
      actions.classList.add('row-actions');
      row.append(
        cell(delivery.eventType, 'delivery-event', 'Événement', document.createElement('br'), id),
        cell(format.dateTime(delivery.createdAt), 'delivery-created', 'Créée le'),
        cell(DELIVERY_STATES[delivery.status], 'delivery-state', 'État'),
        cell(attemptsLabel(delivery), 'delivery-attempts', 'Tentatives'),
        cell(format.dateTime(delivery.nextAttemptAt), 'delivery-next', 'Prochaine tentative'),
        actions,
      );
      return row;
    }

    async function retryDelivery(endpoint, delivery) {
      await graphql('retryWebhookDelivery', {
        endpointId: endpoint.id,
        eventId: delivery.eventId,
      });
      await loadDeliveries();
      say('notice', `Événement « ${delivery.eventType} » remis en attente d'envoi.`);
    }

    // --- The secret shown once ---------------------------------------------------------------

    function showSecret(shown) {
      $('new-secret-title').textContent =
        `Secret de signature du webhook ${named(shown.webhookEndpoint)}`;
      $('new-secret-value').textContent = shown.secret;
      $('secret-copy-status').textContent = '';
      $('new-secret-box').hidden = false;
      $('new-secret-box').scrollIntoView({ block: 'nearest' });
    }

    function hideSecret() {
      $('new-secret-value').textContent = '';
      $('secret-copy-status').textContent = '';
      $('new-secret-box').hidden = true;
    }

    async function copySecret() {
      try {
        await navigator.clipboard.writeText($('new-secret-value').textContent);
        $('secret-copy-status').textContent = 'Secret copié.';
      } catch {
        const range = document.createRange();
        range.selectNodeContents($('new-secret-value'));
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        $('secret-copy-status').textContent =
          'Secret sélectionné : appuyez sur Ctrl+C pour le copier.';
      }
    }

    // --- Wiring ------------------------------------------------------------------------------

    function syncEventChoices() {
      const some = $('events-some').checked;
      for (const box of $('event-choices').querySelectorAll('input')) {
        box.disabled = !some;
      }
      $('event-choices').classList.toggle('off', !some);
    }

    const form = $('endpoint-form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(createEndpoint, $('endpoint-submit'));
    });
    for (const radio of document.querySelectorAll('input[name="event-scope"]')) {
      radio.addEventListener('change', syncEventChoices);
    }
    $('copy-secret').addEventListener('click', copySecret);
    $('dismiss-secret').addEventListener('click', hideSecret);
    $('deliveries-refresh').addEventListener('click', (event) =>
      run(loadDeliveries, event.currentTarget),
    );
    $('confirm-yes').addEventListener('click', () => $('confirm-dialog').close('yes'));
    $('confirm-no').addEventListener('click', () => $('confirm-dialog').close('no'));
    syncEventChoices();

    // The console's keys ask their questions in the same dialog.
    return { load, forget, confirmed };
  }

  window.RPAI_WEBHOOKS = webhooks;
})();
