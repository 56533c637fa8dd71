// GraphiQL served by the API itself, from vendored files: nothing loads from elsewhere.
// The field above it holds an API key or a session token; the Headers pane is filled from it
// with the header the API reads (X-API-Key for a key, Authorization: Bearer for a session),
// and subscriptions send the same in connection_init. The credential stays in this tab's
// memory: it is neither stored nor put in the address.
'use strict';

(() => {
  const KEY_PREFIX = 'sk_live_';
  const ENDPOINT = `${window.location.origin}/graphql`;
  const field = document.getElementById('credential');
  const kind = document.getElementById('credential-kind');

  /** The header the API reads for what the field holds. */
  function credentialHeaders() {
    const value = field.value.trim();
    if (!value) {
      return {};
    }
    if (value.startsWith(KEY_PREFIX)) {
      return { 'X-API-Key': value };
    }
    return { Authorization: `Bearer ${value}` };
  }

  function headersText() {
    const headers = credentialHeaders();
    return Object.keys(headers).length ? JSON.stringify(headers, null, 2) : '';
  }

  function describe() {
    const headers = credentialHeaders();
    if ('X-API-Key' in headers) {
      kind.textContent = 'sent as X-API-Key';
    } else if ('Authorization' in headers) {
      kind.textContent = 'sent as Authorization: Bearer (session)';
    } else {
      kind.textContent = '';
    }
  }

  const wsClient = window.graphqlWs.createClient({
    url: ENDPOINT.replace(/^http/, 'ws'),
    lazy: true,
    lazyCloseTimeout: 0,
    connectionParams: credentialHeaders,
  });
  const fetcher = window.GraphiQL.createFetcher({ url: ENDPOINT, wsClient });

  function App() {
    const [headers, setHeaders] = React.useState(headersText());
    React.useEffect(() => {
      const follow = () => {
        describe();
        setHeaders(headersText());
      };
      field.addEventListener('input', follow);
      return () => field.removeEventListener('input', follow);
    }, []);
    return React.createElement(window.GraphiQL, {
      fetcher,
      defaultQuery: window.RPAI_DOCUMENTS.graphiqlExample,
      headers,
      onEditHeaders: setHeaders,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
    });
  }

  document.getElementById('credentials').addEventListener('submit', (event) => {
    event.preventDefault();
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(App));
})();
