// A real OpenID Connect provider (npm oidc-provider) for the portal's sign-in tests, on 127.0.0.1 only.
//
//   OIDC_PORT=4100 OIDC_CLIENT_ID=portal OIDC_CLIENT_SECRET=... \
//   OIDC_REDIRECT_URIS="http://portal.test/auth/oidc/acme/callback" node provider.mjs
//
// The devInteractions login form accepts any login and any password; the login becomes the subject:
// "ann" is ann@example.com (verified), a login starting with "unverified" has email_verified false.
// Tests change what the provider says about an account with POST /_test/accounts/<login>?email=&name=
// (a person changing their email at the provider) and read nothing else from it.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || process.argv[2] || 0);
if (!port) {
  console.error('give the port: OIDC_PORT=<port> node provider.mjs');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const redirectUris = (process.env.OIDC_REDIRECT_URIS || '').split(/\s+|,/).filter(Boolean);
const overrides = new Map();

function claimsOf(login) {
  const name = login.charAt(0).toUpperCase() + login.slice(1);
  return {
    sub: login,
    email: `${login}@example.com`,
    email_verified: !login.startsWith('unverified'),
    name: `${name} Provider`,
    ...overrides.get(login),
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID || 'portal',
      client_secret: process.env.OIDC_CLIENT_SECRET || 'portal-test-secret',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // The portal always sends PKCE; requiring it here proves it does.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['portal-tests-only-cookie-key'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => claimsOf(id),
  }),
});

// Quiet: the tests read the portal's answers, not the provider's warnings about its dev-only setup.
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/_test\/accounts\/([^/]+)$/);
  if (ctx.method === 'POST' && match) {
    const changes = {};
    for (const key of ['email', 'name']) {
      if (ctx.query[key]) changes[key] = ctx.query[key];
    }
    if (ctx.query.email_verified) changes.email_verified = ctx.query.email_verified === 'true';
    overrides.set(decodeURIComponent(match[1]), changes);
    ctx.body = { ok: true };
    return;
  }
  await next();
});

const server = provider.listen(port, '127.0.0.1', () => {
  // The fixture waits for this line before it starts the test.
  console.log(`oidc-provider ready at ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
