// Drives Keycloak's own @keycloak/keycloak-admin-client (unmodified) through the users API:
// create a user, set its password, give it view-clients of realm-management, read its role
// mappings, take the role away, delete the user.
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
  const { id } = await kc.users.create({ username: "js-auditor", email: "js-auditor@example.com", enabled: true });
  out.created = await kc.users.findOne({ id });
  out.found = await kc.users.find({ username: "js-auditor", exact: true });
  out.count = await kc.users.count();
  await kc.users.resetPassword({ id, credential: { type: "password", value: "Js-Audit-Pass-2026!", temporary: false } });
  const [rm] = await kc.clients.find({ clientId: "realm-management" });
  out.realmManagement = rm ? { id: rm.id, clientId: rm.clientId } : null;
  const viewClients = await kc.clients.findRole({ id: rm.id, roleName: "view-clients" });
  await kc.users.addClientRoleMappings({ id, clientUniqueId: rm.id, roles: [{ id: viewClients.id, name: viewClients.name }] });
  out.mapped = (await kc.users.listClientRoleMappings({ id, clientUniqueId: rm.id })).map((r) => r.name);
  out.available = (await kc.users.listAvailableClientRoleMappings({ id, clientUniqueId: rm.id })).map((r) => r.name);
  await kc.users.delClientRoleMappings({ id, clientUniqueId: rm.id, roles: [{ id: viewClients.id, name: viewClients.name }] });
  out.afterUnmap = (await kc.users.listClientRoleMappings({ id, clientUniqueId: rm.id })).map((r) => r.name);
  await kc.users.del({ id });
  out.afterDelete = await kc.users.find({ username: "js-auditor", exact: true });
  return out;
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (error) => {
    console.log(JSON.stringify({ failed: String(error), status: error.response?.status ?? null, data: error.responseData ?? null }));
    process.exit(1);
  },
);
