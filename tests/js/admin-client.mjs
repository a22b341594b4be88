// Drives Keycloak's own @keycloak/keycloak-admin-client (unmodified) against our Admin REST API.
//
// Environment:
//   KC_BASE_URL        server root, e.g. http://127.0.0.1:8000
//   KC_GRANT_TYPE      "password" (default: KC_USERNAME / KC_PASSWORD with client admin-cli) or
//                      "client_credentials" (KC_AUTH_CLIENT_ID / KC_AUTH_CLIENT_SECRET, a service account)
//   KC_REALM           realm to work in (default master); the login is always to realm master
//   KC_CLIENT_ID       clientId of the client to create (default admin-client-app)
//
// Prints one JSON document with what each call returned; the pytest test asserts on it.
// On an unexpected error it prints {"failed": ...} and exits 1.
import KcAdminClient from "@keycloak/keycloak-admin-client";

const env = process.env;
const baseUrl = env.KC_BASE_URL;
const realm = env.KC_REALM || "master";
const clientId = env.KC_CLIENT_ID || "admin-client-app";
const grantType = env.KC_GRANT_TYPE || "password";

const PROFILE = {
  name: "Weekly Client Secret Rotation Profile",
  description: "Rotate client secrets every week",
  executors: [
    {
      executor: "secret-rotation",
      configuration: {
        "expiration-period": "604800",
        "rotated-expiration-period": "172800",
        "remaining-rotation-period": "86400",
      },
    },
  ],
};
const POLICY = {
  name: "Weekly Client Secret Rotation Policy",
  description: "Confidential clients rotate their secret weekly",
  enabled: true,
  conditions: [{ condition: "client-access-type", configuration: { "is-negative-logic": false, type: ["confidential"] } }],
  profiles: [PROFILE.name],
};

async function expectError(promise) {
  try {
    const value = await promise;
    return { ok: true, value };
  } catch (error) {
    return { ok: false, status: error.response?.status ?? null, data: error.responseData ?? null, message: error.message };
  }
}

async function main() {
  const kc = new KcAdminClient({ baseUrl, realmName: "master" });
  if (grantType === "client_credentials") {
    await kc.auth({ grantType, clientId: env.KC_AUTH_CLIENT_ID, clientSecret: env.KC_AUTH_CLIENT_SECRET });
  } else {
    await kc.auth({ grantType: "password", clientId: "admin-cli", username: env.KC_USERNAME, password: env.KC_PASSWORD });
  }
  const out = { tokenIsJwt: typeof kc.accessToken === "string" && kc.accessToken.split(".").length === 3 };
  kc.setConfig({ realmName: realm });

  const created = await kc.clients.create({
    clientId,
    name: "Created by keycloak-admin-client",
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: true,
    redirectUris: ["https://app.example.test/callback"],
  });
  out.created = created;
  const id = created.id;
  out.found = await kc.clients.find({ clientId });
  out.duplicate = await expectError(kc.clients.create({ clientId }));
  out.missing = await kc.clients.findOne({ id: "00000000-0000-0000-0000-000000000000" });
  await kc.clients.update({ id }, { description: "updated by keycloak-admin-client", attributes: { "app.owner": "js" } });
  out.updated = await kc.clients.findOne({ id });

  out.secretBefore = await kc.clients.getClientSecret({ id });

  await kc.clientPolicies.createProfiles({ profiles: [PROFILE] });
  await kc.clientPolicies.updatePolicy({ policies: [POLICY] });
  out.profiles = await kc.clientPolicies.listProfiles({ includeGlobalProfiles: true });
  out.profilesRealmOnly = await kc.clientPolicies.listProfiles({});
  out.policies = await kc.clientPolicies.listPolicies({ includeGlobalPolicies: true });
  out.badProfiles = await expectError(
    kc.clientPolicies.createProfiles({ profiles: [{ name: "broken", executors: [{ executor: "no-such-executor", configuration: {} }] }] }),
  );

  out.regenerated = await kc.clients.generateNewClientSecret({ id });
  out.secretAfter = await kc.clients.getClientSecret({ id });
  out.afterRegenerate = await kc.clients.findOne({ id });
  await kc.clients.invalidateSecret({ id });
  out.afterInvalidate = await kc.clients.findOne({ id });
  out.secretAfterInvalidate = await kc.clients.getClientSecret({ id });
  out.registration = await kc.clients.generateRegistrationAccessToken({ id });

  await kc.clients.del({ id });
  out.afterDelete = await kc.clients.findOne({ id });
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stdout.write(
    JSON.stringify({
      failed: error.message,
      status: error.response?.status ?? null,
      data: error.responseData ?? null,
      stack: String(error.stack || ""),
    }),
  );
  process.exit(1);
});
