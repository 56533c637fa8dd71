// What every page shares: the /graphql client (sending the documents of documents.js), the
// session kept for this tab, how a person's action runs and a session ends, the French
// sentence for every error the server can answer, and French number and date formats.
// Every piece of data goes into the DOM through textContent, never as HTML.
'use strict';

(() => {
  const SESSION_KEY = 'rpai.session';
  const DOCUMENTS = window.RPAI_DOCUMENTS;

  // One sentence per `extensions.code` of the API (contract/errors.py): what a person reads
  // when no more precise sentence below matches the message.
  const BY_CODE = {
    BAD_REQUEST: "La demande n'est pas valide : vérifiez les champs et réessayez.",
    UNAUTHENTICATED: 'Votre session a expiré : reconnectez-vous.',
    FORBIDDEN: "Votre compte n'a pas accès à cette action.",
    NOT_FOUND: 'Élément introuvable : il a peut-être été supprimé entre-temps. Rechargez la page.',
    CONFLICT:
      'Cette demande est déjà en cours de traitement : patientez un instant puis réessayez.',
    PAYLOAD_TOO_LARGE: 'La demande est trop volumineuse.',
    UNPROCESSABLE_ENTITY:
      'Cette demande ne peut pas être traitée : rechargez la page et réessayez.',
    TOO_MANY_REQUESTS: 'Trop de demandes en peu de temps : patientez une minute puis réessayez.',
    THROTTLED:
      'Trop de données demandées en peu de temps : patientez quelques secondes puis réessayez.',
    SERVICE_UNAVAILABLE:
      'Le service est momentanément indisponible : réessayez dans quelques instants.',
    SECRET_NOT_REPLAYED:
      'Cette demande a déjà été traitée et son secret ne peut pas être affiché de nouveau : ' +
      'rechargez la page.',
    PERSISTED_QUERY_NOT_FOUND:
      'Le serveur ne connaît pas cette requête enregistrée : rechargez la page et réessayez.',
    INTERNAL_SERVER_ERROR:
      "Une erreur inattendue s'est produite sur le serveur. Réessayez ; si elle persiste, " +
      'contactez le support.',
  };

  // Messages of contract/messages.py the pages can meet, word for word.
  const BY_MESSAGE = {
    'Invalid email or password': 'Adresse e-mail ou mot de passe incorrect.',
    'Invalid or expired session token': 'Votre session a expiré : reconnectez-vous.',
    'Missing API key. Send it in the X-API-Key header': 'Connectez-vous pour continuer.',
    'This operation requires a gérant session (log in with a password)':
      'Cette page est réservée au gérant : connectez-vous avec le compte du gérant.',
    'This operation requires a user session (log in with a password)':
      'Connectez-vous avec votre adresse e-mail et votre mot de passe.',
    'You do not have access to this store': "Vous n'avez pas accès à ce magasin.",
    'A seller can read only his own KPIs': 'Un vendeur ne voit que ses propres chiffres.',
    'Store not found': 'Magasin introuvable : rechargez la page.',
    'User not found': 'Utilisateur introuvable.',
    'API key not found': "Cette clé n'existe plus : rechargez la page.",
    'API key is inactive and cannot be rotated':
      'Cette clé est désactivée : elle ne peut plus être renouvelée.',
    'API key was already replaced by a rotation: rotate its replacement':
      'Cette clé a déjà été remplacée : renouvelez plutôt la clé qui la remplace.',
    'graceDays, graceHours: give one or the other, not both':
      "Choisissez quand l'ancienne clé cesse de fonctionner, une seule fois.",
    'to: must not be before from':
      'La date de fin doit être le même jour que la date de début, ou après.',
    'Too many failed authentications from this address. Retry later':
      'Trop de tentatives de connexion depuis cette adresse : patientez une minute puis ' +
      'réessayez.',
    'Service temporarily unavailable':
      'Le service est momentanément indisponible : réessayez dans quelques instants.',
    "Lien d'invitation inconnu ou remplacé par une invitation plus récente":
      "Lien d'invitation inconnu, ou remplacé par une invitation plus récente : ouvrez le " +
      'dernier e-mail reçu.',
    "Ce lien d'invitation a déjà été utilisé":
      "Ce lien d'invitation a déjà été utilisé : connectez-vous avec votre mot de passe.",
    "Ce lien d'invitation a expiré : demandez une nouvelle invitation":
      "Ce lien d'invitation a expiré : demandez une nouvelle invitation à votre gérant.",
    'Ce compte est suspendu ou supprimé': 'Ce compte est suspendu ou supprimé.',
    'This invitation was already accepted': 'Cette invitation a déjà été acceptée.',
    'Ce lien de réinitialisation est inconnu, remplacé ou déjà utilisé':
      'Ce lien de réinitialisation est inconnu, remplacé par un lien plus récent ou déjà ' +
      'utilisé : demandez un nouveau lien.',
    'Ce lien de réinitialisation a expiré : demandez-en un nouveau depuis la page de connexion':
      'Ce lien de réinitialisation a expiré (il vaut 1\u00a0heure) : demandez un nouveau lien.',
    'Trop de demandes de réinitialisation : réessayez plus tard':
      'Trop de demandes de réinitialisation : patientez une heure puis réessayez.',
    'Too many failed logins from this address. Retry later':
      'Trop de tentatives de connexion échouées depuis cette adresse : patientez quelques ' +
      'minutes puis réessayez.',
    'Webhook endpoint not found': "Ce webhook n'existe plus : rechargez la page.",
    'url: webhook endpoints must use https': "L'adresse du webhook doit être en https.",
    'url: the host must resolve to public internet addresses only':
      "L'adresse du webhook doit être joignable sur internet (pas d'adresse locale ou privée).",
    "This endpoint's secret was rotated by another request at the same time: rotate again if you need a secret you have seen":
      "Le secret vient aussi d'être renouvelé par une autre demande : renouvelez-le de nouveau.",
    'This webhook endpoint is disabled: enable it (status enabled) before sending to it':
      'Ce webhook est désactivé : réactivez-le avant de lui envoyer quoi que ce soit.',
    'This delivery is being sent right now: retry once this attempt has finished':
      "Cette livraison est en cours d'envoi : réessayez dans quelques secondes.",
    'No delivery of this event to this endpoint, and no event of a type it receives to deliver':
      "Cet événement n'est plus disponible pour ce webhook : rechargez la page.",
  };

  // Messages of contract/messages.py that carry values: matched on their fixed beginning.
  const BY_PREFIX = [
    [
      'Too many imports queued or running',
      "Trop d'imports sont déjà en attente ou en cours : envoyez celui-ci quand l'un d'eux sera " +
        'terminé.',
    ],
    ['Insufficient permissions. Requires ', "Votre compte n'a pas le droit de faire cela."],
    [
      'graceDays: must be between 0 and ',
      'La période de grâce doit être comprise entre 0 et 90 jours.',
    ],
    [
      'graceHours: must be between 0 and ',
      'La période de grâce doit être comprise entre 0 et 90 jours.',
    ],
    [
      'store_ids not found in this tenant: ',
      "Un des magasins choisis n'existe pas ou plus : rechargez la page.",
    ],
    ['Unknown permissions: ', 'Permission inconnue : rechargez la page.'],
    ['The period is too long: ', 'La période est trop longue : 366 jours au plus.'],
    [
      'A tenant has at most ',
      "Vous avez atteint le nombre maximal de webhooks : supprimez-en un d'abord.",
    ],
  ];

  // Input fields named by validation messages (`name: String should have at most …`).
  const BY_FIELD = {
    name: 'Le nom doit contenir de 1 à 200 caractères.',
    permissions: 'Choisissez au moins une permission.',
    store_ids: "La liste des magasins n'est pas valide : rechargez la page.",
    expires_in_days: 'La durée de validité doit être comprise entre 1 et 3650 jours.',
    password: 'Le mot de passe doit contenir de 10 à 256 caractères.',
    from: "La date de début n'est pas valide.",
    to: "La date de fin n'est pas valide.",
    // `url: not a valid URL (give https…` among them.
    url:
      "L'adresse du webhook n'est pas valide : donnez une adresse complète en https, sur une " +
      'ligne, de 2048 caractères au plus.',
    events: "La liste des types d'événements n'est pas valide : rechargez la page.",
    description: 'La description doit tenir sur une ligne, en 500 caractères au plus.',
  };

  const UNREACHABLE = 'Le serveur est injoignable : vérifiez votre connexion et réessayez.';

  /** The French sentence for an error answered by the API. */
  function frenchError(code, message, extensions) {
    if (message && Object.hasOwn(BY_MESSAGE, message)) {
      return BY_MESSAGE[message];
    }
    for (const [prefix, sentence] of BY_PREFIX) {
      if (message?.startsWith(prefix)) {
        return sentence;
      }
    }
    const field = fieldOf(code, message);
    if (field) {
      return BY_FIELD[field];
    }
    let sentence = BY_CODE[code] || BY_CODE.INTERNAL_SERVER_ERROR;
    if (code === 'INTERNAL_SERVER_ERROR' && extensions && extensions.requestId) {
      sentence += ` Référence : ${extensions.requestId}.`;
    }
    return sentence;
  }

  /** The input field a validation message names (`name: …`), when the pages know it. */
  function fieldOf(code, message) {
    const field = message ? /^([a-z_]+)(\[\d+\])?(\.[a-z_]+)*: /.exec(message) : null;
    return code === 'BAD_REQUEST' && field && BY_FIELD[field[1]] ? field[1] : null;
  }

  /** An error the API answered, in French; `field` the input it concerns, if one. */
  class ApiError extends Error {
    constructor(message, code, field = null) {
      super(message);
      this.code = code;
      this.field = field;
    }
  }

  // --- Session: one per browser tab, shared by the staff space and the key console ---------

  const session = {
    get() {
      try {
        return JSON.parse(sessionStorage.getItem(SESSION_KEY));
      } catch {
        return null;
      }
    },
    save(login) {
      sessionStorage.setItem(
        SESSION_KEY,
        JSON.stringify({ token: login.token, expiresAt: login.expiresAt, user: login.user }),
      );
    },
    clear() {
      sessionStorage.removeItem(SESSION_KEY);
    },
    token() {
      const current = session.get();
      return current ? current.token : null;
    },
  };

  // --- GraphQL -------------------------------------------------------------------------------

  /** Send the document named `name` in documents.js with its variables; the data it answers. */
  async function graphql(name, variables) {
    if (!Object.hasOwn(DOCUMENTS, name)) {
      throw new Error(`No GraphQL document named ${name} in documents.js`);
    }
    const query = DOCUMENTS[name];
    const headers = { 'Content-Type': 'application/json' };
    const token = session.token();
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: variables || {} }),
      });
    } catch {
      throw new ApiError(UNREACHABLE, 'UNREACHABLE');
    }
    const body = await response.json().catch(() => null);
    if (body && Array.isArray(body.errors) && body.errors.length > 0) {
      const first = body.errors[0];
      const extensions = first.extensions || {};
      throw new ApiError(
        frenchError(extensions.code, first.message, extensions),
        extensions.code,
        fieldOf(extensions.code, first.message),
      );
    }
    if (!response.ok || !body?.data) {
      throw new ApiError(
        `Réponse inattendue du serveur (code HTTP ${response.status}) : réessayez dans un instant.`,
        'UNEXPECTED',
      );
    }
    return body.data;
  }

  async function logIn(email, password) {
    const data = await graphql('login', { email, password });
    session.save(data.login);
    return data.login.user;
  }

  /** The logged-in user with his store, checked with the server; null without a session. */
  async function viewer() {
    if (!session.token()) {
      return null;
    }
    try {
      return (await graphql('viewer')).viewer;
    } catch (error) {
      if (error.code === 'UNAUTHENTICATED') {
        session.clear();
      }
      throw error;
    }
  }

  // --- A person's actions --------------------------------------------------------------------

  /**
   * How a page runs what a person asks, and how its session ends. `run(action, button)` hides
   * the messages named in `clears`, keeps `button` disabled while `action` runs and shows its
   * error in French; a session the server no longer knows ends there. A session ends by
   * forgetting this tab's token, then calling the page's `forget` (what it showed of the
   * session). `settle`, when given, runs after every action, whatever happened. `logOut()` is
   * the logout button's: the session ends and the page says so. The page is `aria-busy` while
   * any action runs, settling included.
   */
  function actions({ forget, clears = ['error'], settle = null }) {
    let running = 0;

    function endSession() {
      session.clear();
      forget();
    }

    async function run(action, button) {
      running += 1;
      document.body.setAttribute('aria-busy', 'true');
      for (const id of clears) {
        say(id, '');
      }
      if (button) {
        button.disabled = true;
      }
      try {
        await action();
      } catch (error) {
        if (error.code === 'UNAUTHENTICATED') {
          endSession();
        }
        say('error', error.message);
      } finally {
        if (button) {
          button.disabled = false;
        }
        if (settle) {
          settle();
        }
        running -= 1;
        if (running === 0) {
          document.body.removeAttribute('aria-busy');
        }
      }
    }

    function logOut() {
      for (const id of clears) {
        say(id, '');
      }
      endSession();
      say('notice', 'Vous êtes déconnecté.');
    }

    return { run, logOut };
  }

  // --- French formats ------------------------------------------------------------------------

  const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
  const DECIMAL = new Intl.NumberFormat('fr-FR', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  const INTEGER = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
  const PERCENT = new Intl.NumberFormat('fr-FR', {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const SIGNED_PERCENT = new Intl.NumberFormat('fr-FR', {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  });
  const NONE = '—';

  const format = {
    euros: (value) => (value === null || value === undefined ? NONE : EUROS.format(Number(value))),
    decimal: (value) => (value === null || value === undefined ? NONE : DECIMAL.format(value)),
    integer: (value) => (value === null || value === undefined ? NONE : INTEGER.format(value)),
    percent: (value) => (value === null || value === undefined ? NONE : PERCENT.format(value)),
    change: (value) =>
      value === null || value === undefined ? NONE : SIGNED_PERCENT.format(value),
    date: (iso) => (iso ? new Date(iso).toLocaleDateString('fr-FR', { dateStyle: 'short' }) : NONE),
    dateAt: (iso) => {
      if (!iso) {
        return NONE;
      }
      const moment = new Date(iso);
      const day = moment.toLocaleDateString('fr-FR', { dateStyle: 'short' });
      const time = moment.toLocaleTimeString('fr-FR', { timeStyle: 'short' });
      return `${day} à ${time}`;
    },
    dateTime: (iso) =>
      iso
        ? new Date(iso).toLocaleString('fr-FR', { dateStyle: 'short', timeStyle: 'short' })
        : NONE,
  };

  function $(id) {
    return document.getElementById(id);
  }

  /** Show `text` in the element `id` (an alert or status line), or hide it when empty. */
  function say(id, text) {
    const element = $(id);
    element.textContent = text || '';
    element.hidden = !text;
  }

  window.RPAI = {
    graphql,
    logIn,
    viewer,
    session,
    actions,
    frenchError,
    format,
    $,
    say,
    ROLE_LABELS: { GERANT: 'Gérant', MANAGER: 'Manager', SELLER: 'Vendeur' },
    // Read by the tests that keep this table in step with the server's codes and messages.
    errorTable: () => ({
      codes: Object.keys(BY_CODE),
      messages: Object.keys(BY_MESSAGE),
      prefixes: BY_PREFIX.map(([prefix]) => prefix),
      fields: Object.keys(BY_FIELD),
    }),
  };
})();
