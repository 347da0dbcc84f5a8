/*
 * Channelport console: a sign-in form in front of GraphiQL.
 *
 * The bearer token lives in sessionStorage (it goes away with the browser tab) and goes with
 * every request: as `Authorization: Bearer <token>` on queries and mutations (HTTP POST), and as
 * the `{"token": <token>}` connection params of the graphql-transport-ws websocket that carries
 * subscriptions. All scripts and styles come from this app, so the console works offline.
 */
(function () {
  "use strict";

  const TOKEN_KEY = "channelport.console.token";
  // GraphiQL keeps tabs, history and headers in this storage: per browser tab, like the token.
  const GRAPHIQL_STORAGE_PREFIX = "channelport.console.graphiql:";
  // The page is served at the GraphQL endpoint itself.
  const endpoint = window.location.origin + window.location.pathname;
  const websocketEndpoint = endpoint.replace(/^http/, "ws");

  const DEFAULT_QUERY = `# Welcome to the Channelport console.
#
# Queries and mutations run over HTTP with your token, subscriptions over a websocket.
# Run the operation with the run button or Ctrl-Enter. The documentation explorer on the
# left lists every type and field.

{
  me {
    email
    role
  }
}
`;

  const LOGIN_MUTATION = `mutation ConsoleLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on LoginSuccess { token user { email role } }
    ... on OperationErrors { errors { message code } }
  }
}`;

  const LOGOUT_MUTATION = `mutation ConsoleLogout {
  logout { __typename ... on OperationErrors { errors { message code } } }
}`;

  const ME_QUERY = `query ConsoleMe { me { email role } }`;

  const elements = {
    session: document.getElementById("cp-session"),
    sessionEmail: document.getElementById("cp-session-email"),
    sessionRole: document.getElementById("cp-session-role"),
    logoutButton: document.getElementById("cp-logout"),
    signIn: document.getElementById("cp-sign-in"),
    loginForm: document.getElementById("cp-login-form"),
    email: document.getElementById("cp-email"),
    password: document.getElementById("cp-password"),
    loginMessage: document.getElementById("cp-login-message"),
    loginButton: document.getElementById("cp-login-button"),
    graphiql: document.getElementById("cp-graphiql"),
  };

  // ---- token --------------------------------------------------------------------------------

  function readToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch (error) {
      return null;
    }
  }

  function storeToken(token) {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  }

  function forgetToken() {
    window.sessionStorage.removeItem(TOKEN_KEY);
  }

  const graphiqlStorage = {
    getItem: (key) => window.sessionStorage.getItem(GRAPHIQL_STORAGE_PREFIX + key),
    setItem: (key, value) => window.sessionStorage.setItem(GRAPHIQL_STORAGE_PREFIX + key, value),
    removeItem: (key) => window.sessionStorage.removeItem(GRAPHIQL_STORAGE_PREFIX + key),
    clear() {
      for (const key of graphiqlStorageKeys()) window.sessionStorage.removeItem(key);
    },
    get length() {
      return graphiqlStorageKeys().length;
    },
  };

  function graphiqlStorageKeys() {
    const keys = [];
    for (let index = 0; index < window.sessionStorage.length; index += 1) {
      const key = window.sessionStorage.key(index);
      if (key && key.startsWith(GRAPHIQL_STORAGE_PREFIX)) keys.push(key);
    }
    return keys;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  /** fetch() that adds the session's bearer token unless the request already names one. */
  function authorizedFetch(input, init) {
    const options = Object.assign({}, init);
    const headers = new Headers(options.headers || {});
    const token = readToken();
    if (token && !headers.has("authorization")) headers.set("authorization", "Bearer " + token);
    options.headers = headers;
    options.credentials = "omit";
    return window.fetch(input, options);
  }

  async function postGraphQL(query, variables) {
    const response = await authorizedFetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: query, variables: variables || {} }),
    });
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!body) throw new Error("The server answered " + response.status + ".");
    if (body.errors && body.errors.length) {
      const failure = new Error(body.errors.map((error) => error.message).join(" "));
      failure.graphqlErrors = body.errors;
      throw failure;
    }
    return body.data;
  }

  // ---- GraphiQL -----------------------------------------------------------------------------

  let graphiqlRoot = null;
  let subscriptionClient = null;

  function closeSubscriptionClient() {
    if (subscriptionClient) {
      subscriptionClient.dispose();
      subscriptionClient = null;
    }
  }

  /**
   * The kind of operation that `query` runs ("query", "mutation" or "subscription"), found from
   * the text itself. GraphiQL's own check uses the editor's parsed document, which lags behind
   * the text for a moment after an edit, so a pasted subscription that is run at once would go
   * over HTTP.
   */
  function operationKind(query, operationName) {
    // Comments and strings may hold anything: drop them before reading the structure.
    const source = query.replace(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*/g, " ");
    const operations = [];
    let braces = 0;
    let parentheses = 0;
    let pending = null;
    for (const [token] of source.matchAll(/[{}()]|[@$]?[_A-Za-z][_0-9A-Za-z]*/g)) {
      if (token === "(") parentheses += 1;
      else if (token === ")") parentheses -= 1;
      else if (parentheses > 0) continue;
      else if (token === "{") {
        if (braces === 0) operations.push(pending || { kind: "query", name: null });
        pending = null;
        braces += 1;
      } else if (token === "}") braces -= 1;
      else if (braces === 0 && !pending && /^(query|mutation|subscription|fragment)$/.test(token)) {
        pending = { kind: token, name: null, named: false };
      } else if (braces === 0 && pending && !pending.named && /^[_A-Za-z]/.test(token)) {
        pending.named = true;
        pending.name = token;
      } else if (braces === 0 && pending && /^[@$]/.test(token)) {
        pending.named = true;
      }
    }
    const runnable = operations.filter((operation) => operation.kind !== "fragment");
    const chosen = operationName
      ? runnable.find((operation) => operation.name === operationName)
      : runnable.length === 1 && runnable[0];
    return chosen ? chosen.kind : "query";
  }

  /** The events of a subscription, with its failures told the way GraphiQL shows them. */
  async function* subscribe(websocket, payload) {
    try {
      yield* websocket.iterate(payload);
    } catch (failure) {
      // graphql-ws throws the server's `error` message as an array of GraphQL errors, and the
      // socket's CloseEvent when the server refuses the connection (an expired token: 4403).
      if (Array.isArray(failure)) {
        yield { errors: failure };
        return;
      }
      if (failure && typeof failure.code === "number") {
        const reason = (failure.code + " " + (failure.reason || "")).trim();
        const hint = failure.code === 4403 ? " Your session may have ended: sign in again." : "";
        yield { errors: [{ message: "The server closed the subscription (" + reason + ")." + hint }] };
        return;
      }
      throw failure;
    }
  }

  function renderGraphiQL() {
    // A new websocket client per session: it connects lazily, with the current token.
    closeSubscriptionClient();
    const websocket = window.graphqlWs.createClient({
      url: websocketEndpoint,
      lazy: true,
      retryAttempts: 3,
      // Retry lost connections, not refusals: 4403 means the token is no longer valid.
      shouldRetry: (failure) => !(failure && failure.code >= 4400 && failure.code < 4500),
      connectionParams: () => ({ token: readToken() }),
    });
    subscriptionClient = websocket;
    const overHttp = window.GraphiQL.createFetcher({ url: endpoint, fetch: authorizedFetch });
    // Subscriptions over the websocket (graphql-transport-ws), everything else over HTTP POST.
    const fetcher = (params, options) => {
      if (operationKind(params.query || "", params.operationName) === "subscription") {
        return subscribe(websocket, {
          query: params.query,
          variables: params.variables,
          operationName: params.operationName || undefined,
        });
      }
      return overHttp(params, Object.assign({}, options, { documentAST: undefined }));
    };
    if (!graphiqlRoot) graphiqlRoot = window.ReactDOM.createRoot(elements.graphiql);
    graphiqlRoot.render(
      window.React.createElement(window.GraphiQL, {
        fetcher: fetcher,
        defaultQuery: DEFAULT_QUERY,
        storage: graphiqlStorage,
        shouldPersistHeaders: false,
      }),
    );
  }

  function unmountGraphiQL() {
    closeSubscriptionClient();
    if (graphiqlRoot) {
      graphiqlRoot.unmount();
      graphiqlRoot = null;
    }
  }

  // ---- screens ------------------------------------------------------------------------------

  function showSignIn(message, kind) {
    unmountGraphiQL();
    elements.session.hidden = true;
    elements.graphiql.hidden = true;
    elements.signIn.hidden = false;
    elements.loginMessage.textContent = message || "";
    elements.loginMessage.dataset.kind = kind || "error";
    elements.loginButton.disabled = false;
    elements.email.focus();
  }

  function showConsole(user) {
    elements.signIn.hidden = true;
    elements.sessionEmail.textContent = user.email;
    elements.sessionRole.textContent = user.role.toLowerCase().replace(/_/g, " ");
    elements.session.hidden = false;
    elements.graphiql.hidden = false;
    renderGraphiQL();
  }

  // ---- actions ------------------------------------------------------------------------------

  async function signIn(event) {
    event.preventDefault();
    const email = elements.email.value.trim();
    const password = elements.password.value;
    if (!email || !password) {
      elements.loginMessage.dataset.kind = "error";
      elements.loginMessage.textContent = "Enter your email and password.";
      return;
    }
    elements.loginButton.disabled = true;
    elements.loginMessage.textContent = "";
    forgetToken();
    try {
      const data = await postGraphQL(LOGIN_MUTATION, { email: email, password: password });
      const result = data.login;
      if (result.__typename !== "LoginSuccess") {
        const messages = (result.errors || []).map((error) => error.message);
        showSignIn(messages.join(" ") || "The sign-in failed.");
        return;
      }
      storeToken(result.token);
      elements.password.value = "";
      showConsole(result.user);
    } catch (error) {
      showSignIn("The sign-in failed: " + error.message);
    }
  }

  async function signOut() {
    elements.logoutButton.disabled = true;
    try {
      await postGraphQL(LOGOUT_MUTATION);
    } catch (error) {
      // The session may have expired already: forgetting the token is what matters here.
    }
    forgetToken();
    graphiqlStorage.clear();
    elements.logoutButton.disabled = false;
    showSignIn("You are signed out.", "info");
  }

  async function start() {
    elements.loginForm.addEventListener("submit", signIn);
    elements.logoutButton.addEventListener("click", signOut);
    if (!readToken()) {
      showSignIn();
      return;
    }
    try {
      const data = await postGraphQL(ME_QUERY);
      showConsole(data.me);
    } catch (error) {
      if (error.graphqlErrors) {
        forgetToken();
        showSignIn("Your session has ended: sign in again.", "info");
      } else {
        showSignIn("The server cannot be reached: " + error.message);
      }
    }
  }

  start();
})();
