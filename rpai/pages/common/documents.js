// The GraphQL documents the pages send, by name: RPAI.graphql(name, variables) sends one.
// tests/rpai/test_pages.py reads this file and validates every document against the schema:
// each entry is a name and one plain template literal (no substitution), and no backtick
// appears anywhere else in this file.
'use strict';

window.RPAI_DOCUMENTS = Object.freeze({
  // Every page that logs in (common/rpai.js).
  login: `mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { token expiresAt user { id name email role } }
  }`,
  viewer: `{ viewer { id name email role store { id name } } }`,

  // The key console and the staff space (the gérant's store filter).
  stores: `{ stores { id name active } }`,

  // The key console.
  apiKeys: `query {
    apiKeys {
      id name prefix permissions storeIds expiresAt active createdAt lastUsedAt
      replacedBy replacedAt
    }
  }`,
  createApiKey: `mutation($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { key apiKey { id name prefix } }
  }`,
  deactivateApiKey: `mutation($id: ID!) { deactivateApiKey(id: $id) { id name active } }`,
  rotateApiKey: `mutation($id: ID!, $hours: Int!) {
    rotateApiKey(id: $id, graceHours: $hours) { key apiKey { id name prefix } }
  }`,

  // The console's Webhooks tab.
  webhookEndpoints: `{ webhookEndpoints { id url events description status createdAt } }`,
  createWebhookEndpoint: `mutation($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { secret webhookEndpoint { id url description } }
  }`,
  updateWebhookEndpoint: `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(id: $id, input: $input) { id status }
  }`,
  deleteWebhookEndpoint: `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { success } }`,
  rotateWebhookEndpointSecret: `mutation($id: ID!) {
    rotateWebhookEndpointSecret(id: $id) { secret webhookEndpoint { id url description } }
  }`,
  webhookDeliveries: `query($id: ID!) {
    webhookEndpoint(id: $id) {
      id
      deliveries(first: 20) {
        edges {
          node {
            id eventId eventType status nextAttemptAt createdAt
            attempts { attempt at statusCode durationMs error }
          }
        }
        pageInfo { hasNextPage }
      }
    }
  }`,
  testWebhookEndpoint: `mutation($id: ID!) { testWebhookEndpoint(id: $id) { id eventId status } }`,
  retryWebhookDelivery: `mutation($endpointId: ID!, $eventId: ID!) {
    retryWebhookDelivery(endpointId: $endpointId, eventId: $eventId) { id status }
  }`,

  // The staff space.
  kpiSummary: `query(
    $f: KpiFilter!, $g: KpiGroupBy!, $c: KpiComparison!, $stores: Boolean!, $sellers: Boolean!
  ) {
    compared: kpiComparisonPeriod(filter: $f, compareTo: $c) { from to }
    total: kpiSummary(filter: $f, groupBy: TOTAL, compareTo: $c) { ...Row }
    periods: kpiSummary(filter: $f, groupBy: $g, compareTo: $c) { ...Row }
    stores: kpiSummary(filter: $f, groupBy: STORE, compareTo: $c) @include(if: $stores) { ...Row }
    sellers: kpiSummary(filter: $f, groupBy: SELLER, compareTo: $c) @include(if: $sellers) {
      ...Row
    }
  }
  fragment Row on KpiSummaryRow {
    key label ca nbVentes prospects panierMoyen indiceDeVente tauxTransformation
    previous { ca nbVentes panierMoyen indiceDeVente tauxTransformation }
    change { ca nbVentes panierMoyen indiceDeVente tauxTransformation }
  }`,
  kpiExport: `query(
    $f: KpiFilter!, $g: KpiGroupBy!, $c: KpiComparison!, $format: KpiExportFormat!
  ) {
    kpiExport(filter: $f, groupBy: $g, compareTo: $c, format: $format) {
      filename contentType base64
    }
  }`,

  // The invitation landing page.
  invitationLink: `query($token: String!) { invitationLink(token: $token) }`,
  acceptInvitation: `mutation($token: String!, $password: String!) {
    acceptInvitation(token: $token, password: $password) {
      token expiresAt user { id name email role }
    }
  }`,

  // The staff space (/espace/equipe).
  staffStores: `{ stores { id name active } }`,
  staffUsers: `query($after: String) {
    users(first: 100, after: $after) {
      edges { node { id name email role status storeId managerId } }
      pageInfo { hasNextPage endCursor }
    }
  }`,
  staffInvitations: `query($after: String) {
    invitations(first: 100, after: $after) {
      edges { node { userId status sentAt expiresAt acceptedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }`,
  inviteManager: `mutation($storeId: ID!, $input: CreateManagerInput!) {
    createManager(storeId: $storeId, input: $input) { id }
  }`,
  inviteSeller: `mutation($storeId: ID!, $input: CreateSellerInput!) {
    createSeller(storeId: $storeId, input: $input) { id }
  }`,
  setUserStatus: `mutation($userId: ID!, $status: UserStatus!) {
    updateUser(userId: $userId, input: { status: $status }) { id status }
  }`,
  moveSeller: `mutation($userId: ID!, $storeId: ID!, $managerId: ID) {
    moveSeller(userId: $userId, storeId: $storeId, managerId: $managerId) { id }
  }`,
  deleteStaff: `mutation($userId: ID!) { deleteUser(userId: $userId) { success } }`,
  resendInvitation: `mutation($userId: ID!) { resendInvitation(userId: $userId) { id status } }`,

  // The password-reset page.
  requestPasswordReset: `mutation($email: String!) { requestPasswordReset(email: $email) }`,
  passwordResetLink: `query($token: String!) { passwordResetLink(token: $token) }`,
  resetPassword: `mutation($token: String!, $password: String!) {
    resetPassword(token: $token, password: $password) {
      token expiresAt user { id name email role }
    }
  }`,

  // GraphiQL's first query, shown to a person and sent by GraphiQL itself.
  graphiqlExample: `# A store, its staff and this month's figures, in one query.
# Put an API key (stores:read, users:read, kpi:read) or a session token in the field above.
{
  stores {
    id
    name
    managers { edges { node { name email } } }
    sellers { edges { node { name status kpiSummary(from: "2025-01-01", to: "2025-01-31", groupBy: TOTAL) { ca nbVentes } } } }
  }
}
`,

  // The gérant's KPI import page.
  startKpiImport: `mutation($format: KpiImportFormat!, $content: String!) {
    startKpiImport(format: $format, content: $content) {
      id status lines linesDone entriesCreated entriesUpdated errors createdAt
    }
  }`,
  kpiImport: `query($id: ID!) {
    kpiImport(id: $id) { id status lines linesDone entriesCreated entriesUpdated errors createdAt }
  }`,
  kpiImportRefusedLines: `query($id: ID!, $after: String) {
    kpiImport(id: $id) {
      refusedLines(first: 100, after: $after) {
        edges { node { line detail } } pageInfo { hasNextPage endCursor }
      }
    }
  }`,
  kpiImports: `{
    kpiImports(first: 10) {
      edges { node { id status lines linesDone entriesCreated entriesUpdated errors createdAt } }
    }
  }`,
});
