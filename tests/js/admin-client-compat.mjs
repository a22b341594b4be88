// Drives Keycloak's own @keycloak/keycloak-admin-client (unmodified) through the calls around
// clients and realms beyond CRUD: whoAmI, initial access tokens, realm keys, client role update
// and lookup by id, the adapter configuration.
//
// Environment: KC_BASE_URL (server root), KC_USERNAME, KC_PASSWORD (realm master, admin-cli).
// Prints one JSON document with what each call returned; on an unexpected error it prints
// {"failed": ...} and exits 1.
import KcAdminClient from "@keycloak/keycloak-admin-client";

const env = process.env;

async function main() {
  const kc = new KcAdminClient({ baseUrl: env.KC_BASE_URL, realmName: "master" });
  await kc.auth({ grantType: "password", clientId: "admin-cli", username: env.KC_USERNAME, password: env.KC_PASSWORD });
  const out = {};
  out.whoAmI = await kc.whoAmI.find({ currentRealm: "master" });

  const created = await kc.realms.createClientsInitialAccess({ realm: "master" }, { count: 2, expiration: 3600 });
  out.initialAccessCreated = created;
  out.initialAccessListed = await kc.realms.getClientsInitialAccess({ realm: "master" });
  await kc.realms.delClientsInitialAccess({ realm: "master", id: created.id });
  out.initialAccessAfterDelete = await kc.realms.getClientsInitialAccess({ realm: "master" });

  out.keys = await kc.realms.getKeys({ realm: "master" });

  const { id } = await kc.clients.create({ clientId: "js-compat-app", publicClient: false });
  await kc.clients.createRole({ id, name: "reader", description: "reads" });
  await kc.clients.updateRole({ id, roleName: "reader" }, { name: "reader", description: "reads more", attributes: { team: ["js"] } });
  const role = await kc.clients.findRole({ id, roleName: "reader" });
  out.role = role;
  out.roleById = await kc.roles.findOneById({ id: role.id });
  out.secret = (await kc.clients.getClientSecret({ id })).value;
  out.installation = await kc.clients.getInstallationProviders({ id, providerId: "keycloak-oidc-keycloak-json" });
  return out;
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (error) => {
    console.log(JSON.stringify({ failed: String(error), status: error.response?.status ?? null, data: error.responseData ?? null }));
    process.exit(1);
  },
);
