// Drives Keycloak's own @keycloak/keycloak-admin-client (unmodified) through the realm round-trip
// and the events configuration: realms.create / findOne / update, getConfigEvents /
// updateConfigEvents, clearEvents / clearAdminEvents, findAdminEvents.
//
// Environment: KC_BASE_URL (server root), KC_USERNAME, KC_PASSWORD (realm master, admin-cli), and
// KC_REALM_EXPORT (a realm export to import). Prints one JSON document with what each call
// returned; on an unexpected error it prints {"failed": ...} and exits 1.
import { readFileSync } from "node:fs";
import KcAdminClient from "@keycloak/keycloak-admin-client";

const env = process.env;

async function main() {
  const kc = new KcAdminClient({ baseUrl: env.KC_BASE_URL, realmName: "master" });
  await kc.auth({ grantType: "password", clientId: "admin-cli", username: env.KC_USERNAME, password: env.KC_PASSWORD });
  const out = {};
  const exported = JSON.parse(readFileSync(env.KC_REALM_EXPORT, "utf8"));
  await kc.realms.create(exported);
  out.exported = await kc.realms.findOne({ realm: exported.realm });
  await kc.realms.update({ realm: exported.realm }, { ...out.exported, displayName: "Edited in JS" });
  out.reread = await kc.realms.findOne({ realm: exported.realm });

  out.configBefore = await kc.realms.getConfigEvents({ realm: "master" });
  await kc.realms.updateConfigEvents({ realm: "master" }, {
    ...out.configBefore, eventsExpiration: 86400, adminEventsDetailsEnabled: false, enabledEventTypes: ["CLIENT_LOGIN_ERROR"],
  });
  out.configAfter = await kc.realms.getConfigEvents({ realm: "master" });
  await kc.realms.clearEvents({ realm: "master" });
  await kc.realms.clearAdminEvents({ realm: "master" });
  out.adminEventsAfterClear = await kc.realms.findAdminEvents({ realm: "master" });
  out.eventsAfterClear = await kc.realms.findEvents({ realm: "master" });
  return out;
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (error) => {
    console.log(JSON.stringify({ failed: String(error), status: error.response?.status ?? null, data: error.responseData ?? null }));
    process.exit(1);
  },
);
