// The portal contract: the client stack a React portal uses, against a live Channelport server.
//
// Apollo Client 4 with a default InMemoryCache (no typePolicies, no keyFields) over HttpLink for
// queries and mutations and GraphQLWsLink (graphql-ws) for subscriptions runs the portal's
// operations (operations/*.graphql), then checks what a portal developer relies on:
//
//   normalised       every record in the cache is normalised: no object with a __typename sits
//                    embedded in another without an id (connections, edges, pageInfo and payload
//                    wrappers aside), and Apollo printed no cache warning ("Missing field 'id'",
//                    "Cache data may be lost ...")
//   oneObjectPerRecord  a record reached through two operations is one cache entry (the overview
//                    row and the customer page; the registered lead and the edited lead)
//   markReadInCache  after markMessageRead the cached message centre shows the pop-up read,
//                    read from the cache alone (no refetch)
//   mutationUpdatesLists  a mutation's result updates the cached list that shows the record
//   subscriptionDelivers  the pop-up subscription delivers a pop-up published while listening
//   operationsRan    every operation ran without errors
//
// Environment: GRAPHQL_URL (http://host:port/graphql), GRAPHQL_WS_URL (default: GRAPHQL_URL with
// ws:), PORTAL_EMAIL + PORTAL_PASSWORD (signs in with PortalLogin) or PORTAL_TOKEN, ADMIN_TOKEN (a
// vendor admin's token, to publish a pop-up while the portal listens), OPERATIONS_DIR and
// ADMIN_OPERATIONS_DIR (default: next to this script). Prints one JSON report on stdout; exits 0
// when every check passed, 1 otherwise.

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev";
import { SetContextLink } from "@apollo/client/link/context";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { Kind, parse, print, visit } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const GRAPHQL_URL = env.GRAPHQL_URL ?? "http://127.0.0.1:8000/graphql";
const GRAPHQL_WS_URL = env.GRAPHQL_WS_URL ?? GRAPHQL_URL.replace(/^http/, "ws");
const SUBSCRIPTION_WAIT_MS = Number(env.SUBSCRIPTION_WAIT_MS ?? 15000);
const PAGE = "dashboard"; // the portal page the pop-ups are published for and listened on

// Objects that are values, not records: they need no id. A connection's aggregates (the overview's
// tab counts for the filters asked) belong to that connection's page, like its pageInfo.
const VALUE_TYPE =
  /(Connection|Edge|^PageInfo|^CustomerStatusCounts|^OperationErrors|^FieldError|^LoginSuccess)$/;

// ---- what Apollo says --------------------------------------------------------------------

const warnings = [];
for (const level of ["warn", "error", "log", "debug", "info"]) {
  console[level] = (...args) => warnings.push({ level, message: args.map(String).join(" ") });
}
loadDevMessages();
loadErrorMessages();

// ---- the operations ----------------------------------------------------------------------

function loadOperations(directory) {
  const files = readdirSync(directory).filter((name) => name.endsWith(".graphql")).sort();
  const definitions = files.flatMap(
    (name) => parse(readFileSync(join(directory, name), "utf8")).definitions,
  );
  const fragments = new Map(
    definitions
      .filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const spreadsOf = (node) => {
    const names = new Set();
    visit(node, { FragmentSpread: (spread) => void names.add(spread.name.value) });
    return names;
  };
  const operations = {};
  for (const operation of definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
    const needed = new Set();
    const pending = [...spreadsOf(operation)];
    while (pending.length) {
      const name = pending.pop();
      if (needed.has(name)) continue;
      if (!fragments.has(name)) throw new Error(`fragment ${name} is not defined`);
      needed.add(name);
      pending.push(...spreadsOf(fragments.get(name)));
    }
    operations[operation.name.value] = {
      kind: Kind.DOCUMENT,
      definitions: [operation, ...[...needed].map((name) => fragments.get(name))],
    };
  }
  return operations;
}

const ops = loadOperations(env.OPERATIONS_DIR ?? join(here, "operations"));
const adminOps = loadOperations(env.ADMIN_OPERATIONS_DIR ?? join(here, "admin"));

// ---- the client, as a portal sets it up ----------------------------------------------------

let token = env.PORTAL_TOKEN ?? null;
const wsClient = createClient({
  url: GRAPHQL_WS_URL,
  webSocketImpl: WebSocket,
  connectionParams: () => ({ token }),
  lazy: true,
});
let wsConnected;
const wsConnectedOnce = new Promise((resolve) => (wsConnected = resolve));
wsClient.on("connected", () => wsConnected());

const auth = new SetContextLink((prevContext) => ({
  headers: { ...prevContext.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
}));
const link = ApolloLink.split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === "subscription";
  },
  new GraphQLWsLink(wsClient),
  auth.concat(new HttpLink({ uri: GRAPHQL_URL })),
);
const cache = new InMemoryCache();
const client = new ApolloClient({ link, cache });

// ---- running and recording ---------------------------------------------------------------

const steps = [];
const checks = {};

function check(name, ok, details) {
  checks[name] = { ok: Boolean(ok), details };
}

function errorsOf(result) {
  const error = result.error;
  if (!error) return [];
  if (Array.isArray(error.errors)) return error.errors.map((e) => ({ message: e.message, code: e.extensions?.code }));
  return [{ message: String(error.message ?? error) }];
}

async function run(name, kind, variables = {}) {
  const document = ops[name];
  if (!document) {
    steps.push({ name, ok: false, errors: [{ message: `no operation ${name} in operations/` }] });
    return null;
  }
  let result;
  try {
    result =
      kind === "mutation"
        ? await client.mutate({ mutation: document, variables, errorPolicy: "all" })
        : await client.query({ query: document, variables, errorPolicy: "all" });
  } catch (error) {
    result = { data: null, error };
  }
  const errors = errorsOf(result);
  const payloadErrors = Object.values(result.data ?? {}).flatMap((value) =>
    value && value.__typename === "OperationErrors" ? value.errors : [],
  );
  steps.push({ name, ok: !errors.length && !payloadErrors.length, errors: [...errors, ...payloadErrors] });
  return result.data ?? null;
}

async function adminRequest(name, variables) {
  const response = await fetch(GRAPHQL_URL, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${env.ADMIN_TOKEN}` },
    body: JSON.stringify({ query: print(adminOps[name]), variables }),
  });
  return response.json();
}

function readCached(name, variables) {
  try {
    return client.readQuery({ query: ops[name], variables });
  } catch (error) {
    return { __readError: String(error.message ?? error) };
  }
}

// ---- (a) every record normalised --------------------------------------------------------

function embeddedRecords(extracted) {
  const found = [];
  const walk = (value, path) => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${path}[${index}]`));
      return;
    }
    if (!value || typeof value !== "object" || "__ref" in value) return;
    if (typeof value.__typename === "string" && !VALUE_TYPE.test(value.__typename)) {
      found.push({ path, typename: value.__typename, hasId: "id" in value });
    }
    for (const [field, child] of Object.entries(value)) walk(child, `${path}.${field}`);
  };
  for (const [key, entity] of Object.entries(extracted)) {
    for (const [field, value] of Object.entries(entity)) walk(value, `${key}.${field}`);
  }
  return found;
}

// ---- the portal session ------------------------------------------------------------------

async function main() {
  if (env.PORTAL_EMAIL) {
    const login = await run("PortalLogin", "mutation", {
      email: env.PORTAL_EMAIL,
      password: env.PORTAL_PASSWORD ?? "",
    });
    if (login?.login?.token) token = login.login.token;
  }
  const me = await run("PortalMe", "query");

  const overview = await run("CustomerOverview", "query", { first: 20 });
  const row = overview?.customerOverview?.nodes?.[0] ?? null;
  const page = row ? await run("CustomerPage", "query", { id: row.id }) : null;

  const stamp = Date.now();
  const registered = await run("RegisterLead", "mutation", {
    input: { email: `contract-${stamp}@customer.test`, company: "Contract Test BV", firstName: "Ada" },
  });
  const registration = registered?.registerLead?.lead ?? registered?.registerLead;
  const lead = registration?.id ? registration : null;
  await run("PortalLeads", "query", { first: 50 });
  const renamed = `Renamed ${stamp} BV`;
  const updated = lead
    ? await run("UpdateLead", "mutation", { id: lead.id, input: { company: renamed } })
    : null;

  const centre = await run("MessageCentre", "query", { first: 20 });
  const unread =
    (centre?.messageCentre?.popups?.nodes ?? []).find((popup) => !popup.readAt) ?? null;
  const popupKey = unread ? unread.id : null;
  if (unread) await run("MarkMessageRead", "mutation", { id: unread.id });

  // (d) live pop-ups: listen, let the vendor publish one, wait for it.
  const title = `Contract pop-up ${stamp}`;
  const delivered = [];
  let subscriptionErrors = [];
  const subscription = client
    .subscribe({ query: ops.LivePopups, variables: { page: PAGE } })
    .subscribe({
      next: (result) => {
        if (result.data?.popups) delivered.push(result.data.popups.node);
        subscriptionErrors = subscriptionErrors.concat(errorsOf(result));
      },
      error: (error) => subscriptionErrors.push({ message: String(error.message ?? error) }),
    });
  const connected = await Promise.race([
    wsConnectedOnce.then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), SUBSCRIPTION_WAIT_MS)),
  ]);
  let published = null;
  if (connected && env.ADMIN_TOKEN) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const created = await adminRequest("AdminCreatePopup", {
      input: {
        kind: "POPUP",
        title,
        body: "<p>Hello from the contract test</p>",
        allPartners: true,
        pages: [PAGE],
      },
    });
    const messageId = created?.data?.createMessage?.id;
    published = messageId ? await adminRequest("AdminPublishPopup", { id: messageId }) : created;
  }
  const deadline = Date.now() + SUBSCRIPTION_WAIT_MS;
  while (Date.now() < deadline && !delivered.some((popup) => popup.title === title)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  subscription.unsubscribe();
  steps.push({ name: "LivePopups", ok: connected && !subscriptionErrors.length, errors: subscriptionErrors });

  // ---- the checks ----------------------------------------------------------------------
  const extracted = cache.extract();
  const embedded = embeddedRecords(extracted);
  const cacheWarnings = warnings.filter((w) =>
    /Missing field|Cache data may be lost|without an id|keyFields/i.test(w.message),
  );
  check("normalised", !embedded.length && !cacheWarnings.length, {
    embedded,
    cacheWarnings,
  });

  const sameCustomer =
    row && page?.customer ? [cache.identify(row), cache.identify(page.customer)] : null;
  const leadUpdate = updated?.updateLead?.__typename === "OperationErrors" ? null : updated?.updateLead;
  const sameLead = lead && leadUpdate ? [cache.identify(lead), cache.identify(leadUpdate)] : null;
  check(
    "oneObjectPerRecord",
    sameCustomer && sameLead && sameCustomer[0] === sameCustomer[1] && sameLead[0] === sameLead[1],
    {
      customer: sameCustomer ?? "no customer in the overview to compare",
      lead: sameLead ?? "no lead registered and updated to compare",
    },
  );

  const cachedCentre = readCached("MessageCentre", { first: 20 });
  const cachedPopup = popupKey
    ? (cachedCentre?.messageCentre?.popups?.nodes ?? []).find((popup) => popup.id === popupKey)
    : null;
  check("markReadInCache", Boolean(cachedPopup?.readAt), {
    markedRead: popupKey ?? "no unread pop-up in the message centre",
    cachedReadAt: cachedPopup ? cachedPopup.readAt : null,
    readError: cachedCentre?.__readError,
  });

  const cachedLeads = readCached("PortalLeads", { first: 50 });
  const cachedLead = lead
    ? (cachedLeads?.leads?.nodes ?? cachedLeads?.leadRegistrations?.nodes ?? []).find(
        (item) => item.id === lead.id,
      )
    : null;
  check("mutationUpdatesLists", cachedLead?.company === renamed, {
    lead: lead?.id ?? "no lead registered",
    expectedCompany: renamed,
    cachedCompany: cachedLead ? cachedLead.company : null,
    readError: cachedLeads?.__readError,
  });

  check("subscriptionDelivers", delivered.some((popup) => popup.title === title), {
    connected,
    published: published?.data ?? published,
    delivered: delivered.map((popup) => popup.title),
  });

  const failedSteps = steps.filter((step) => !step.ok);
  check("operationsRan", !failedSteps.length, { failed: failedSteps });

  const report = {
    ok: Object.values(checks).every((c) => c.ok),
    checks,
    steps,
    user: me?.me ? { email: me.me.email, partner: me.me.partner?.name ?? null } : null,
    warnings,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  await wsClient.dispose();
  client.stop();
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error) => {
  process.stdout.write(
    JSON.stringify({ ok: false, crashed: String(error?.stack ?? error), checks, steps, warnings }) + "\n",
  );
  process.exit(2);
});
