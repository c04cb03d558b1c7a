//! Who is asking, and may they: sessions, bearer tokens, CSRF and the
//! deny-by-default check every route goes through.
//!
//! Every route is registered with an [`Access`] rule (see `routes`), and one
//! middleware, [`authorize`], runs before every handler: it finds the
//! principal (a session cookie, an API token, or a token from the
//! configuration), refuses what the rule does not allow, and for a session
//! checks the CSRF token and the `Origin` of every state-changing request.
//! A route without a rule cannot be registered, so nothing is open by
//! accident.

use std::{collections::HashMap, sync::Arc};

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, Method, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use firebreak_domain::staff::{Role, Scope, StaffAccount};
use subtle::ConstantTimeEq;

use crate::{AppState, Code, Problem};

/// What a route needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in, health, webhooks (they check their own signatures),
    /// a customer's satisfaction link, static assets.
    Public,
    /// Any member of staff (analysts read).
    Read,
    /// Agents, supervisors and admins: working cases and customers.
    Work,
    /// Supervisors and admins: the team's settings.
    Supervise,
    /// Admins: accounts and personal data (export, erasure).
    Admin,
    /// The community: any signed-in member whose email is verified and who
    /// is not banned (a member session), or any member of staff (who acts as
    /// their staff member).
    Member,
}

impl Access {
    /// The lowest role the rule lets in (none for public routes).
    pub fn min_role(self) -> Option<Role> {
        match self {
            Access::Public => None,
            Access::Read | Access::Member => Some(Role::Analyst),
            Access::Work => Some(Role::Agent),
            Access::Supervise => Some(Role::Supervisor),
            Access::Admin => Some(Role::Admin),
        }
    }

    /// The lowest token scope the rule lets in.
    fn min_scope(self) -> Scope {
        match self {
            Access::Public | Access::Read => Scope::Read,
            Access::Work | Access::Member => Scope::Write,
            Access::Supervise | Access::Admin => Scope::Admin,
        }
    }
}

/// The rules, by method and route pattern.
pub type Rules = Arc<HashMap<(Method, &'static str), Access>>;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session; state changes must carry this CSRF token.
    Session { csrf: String },
    /// An API token (from an account, or from the configuration).
    Token { scopes: Vec<Scope> },
}

/// The signed-in caller, put in the request's extensions for handlers.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: StaffAccount,
    pub via: Via,
}

impl Principal {
    pub fn allows(&self, access: Access) -> bool {
        let Some(min) = access.min_role() else { return true };
        if self.account.role < min {
            return false;
        }
        match &self.via {
            Via::Session { .. } => true,
            Via::Token { scopes } => scopes.iter().any(|s| *s >= access.min_scope()),
        }
    }

    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf } => csrf,
            Via::Token { .. } => "",
        }
    }
}

/// A signed-in community member (a member session), put in the request's
/// extensions when no member of staff is signed in.
#[derive(Debug, Clone)]
pub struct MemberPrincipal {
    pub member: firebreak_community::Member,
    pub csrf: String,
}

/// The member session cookie's name: apart from staff's, with the same
/// properties.
pub fn member_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-firebreak_member" } else { "firebreak_member" }
}

/// The `Set-Cookie` value that opens a member session.
pub fn member_session_cookie(secure: bool, value: &str, max_age_secs: i64) -> String {
    set_cookie(member_cookie_name(secure), secure, value, max_age_secs)
}

async fn member_principal(state: &AppState, headers: &HeaderMap) -> Result<Option<MemberPrincipal>, Problem> {
    let Some(value) = cookie(headers, member_cookie_name(state.config().secure_cookies)) else { return Ok(None) };
    let session = state.engine().member_session(value).await.map_err(Problem::internal)?;
    Ok(session.map(|s| MemberPrincipal { member: s.member, csrf: s.csrf }))
}

/// The session cookie's name: `__Host-` (which browsers accept only with
/// `Secure`, on `Path=/`, with no `Domain`) when served over TLS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-firebreak_session" } else { "firebreak_session" }
}

/// The `Set-Cookie` value that opens a session.
pub fn session_cookie(secure: bool, value: &str, max_age_secs: i64) -> String {
    set_cookie(cookie_name(secure), secure, value, max_age_secs)
}

/// A session cookie's `Set-Cookie` value: staff's and members' have the
/// same properties, under their own names.
fn set_cookie(name: &str, secure: bool, value: &str, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The `Set-Cookie` value that ends one.
pub fn clear_cookie(secure: bool) -> String {
    session_cookie(secure, "", 0)
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The principal of a request, if any credential it carries is valid.
/// A bearer token that is present but wrong is an error, not anonymity.
async fn principal(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, Problem> {
    if let Some(given) = bearer(headers) {
        return match token_principal(state, given).await? {
            Some(p) => Ok(Some(p)),
            None => Err(Problem::new(Code::Unauthorized, "The bearer token is not valid, or has expired.")),
        };
    }
    let Some(value) = cookie(headers, cookie_name(state.config().secure_cookies)) else { return Ok(None) };
    let session = state.engine().session(value).await.map_err(Problem::internal)?;
    Ok(session.map(|s| Principal { account: s.account, via: Via::Session { csrf: s.csrf } }))
}

async fn token_principal(state: &AppState, given: &str) -> Result<Option<Principal>, Problem> {
    // Tokens from the configuration, for connectors set up before any
    // account exists: they may send messages in and work cases.
    let mut ok = subtle::Choice::from(0);
    for t in &state.config().api_tokens {
        ok |= t.as_bytes().ct_eq(given.as_bytes());
    }
    if bool::from(ok) {
        let account = StaffAccount {
            id: 0,
            email: "configured-token".into(),
            name: "Configured API token".into(),
            role: Role::Agent,
            team_id: None,
            disabled: false,
        };
        return Ok(Some(Principal { account, via: Via::Token { scopes: vec![Scope::Read, Scope::Write] } }));
    }
    let found = state.engine().authenticate_token(given).await.map_err(Problem::internal)?;
    Ok(found.map(|t| Principal { account: t.account, via: Via::Token { scopes: t.scopes } }))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a request's `Origin` (or, without one, its `Referer`) is this
/// server. Browsers send `Origin` on every cross-site POST, so a request from
/// another site always carries the evidence against it.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let from = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    match from {
        None => true,
        Some(o) => {
            let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")).unwrap_or("");
            let authority = rest.split('/').next().unwrap_or("");
            !host.is_empty() && authority.eq_ignore_ascii_case(host)
        }
    }
}

/// Whether the request is from a page (wants HTML back) rather than a program.
fn wants_html(req: &Request) -> bool {
    !req.uri().path().starts_with("/api/")
        && req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// The form field pages send their CSRF token in.
pub const CSRF_FIELD: &str = "_csrf";
/// The header scripts send it in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The largest form read for its CSRF token (forms are small; JSON has the header).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Reads the CSRF token from the header, or from an urlencoded form body
/// (which is then put back for the handler).
async fn csrf_token(req: Request) -> Result<(Option<String>, Request), Problem> {
    if let Some(t) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let t = t.to_owned();
        return Ok((Some(t), req));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| Problem::new(Code::BodyTooLarge, "The form is larger than 1 MiB."))?;
    let token = form_urlencoded_value(&bytes, CSRF_FIELD);
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// The first value of `name` in an urlencoded body.
pub fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The check in front of every route.
pub async fn authorize(
    State((state, rules)): State<(AppState, Rules)>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = if req.method() == Method::HEAD { Method::GET } else { req.method().clone() };
    let Some(matched) = matched else {
        return Problem::new(Code::Forbidden, "This route has no access rule.").into_response();
    };
    let Some(access) = rules.get(&(method.clone(), matched.as_str())).copied() else {
        // A method the path does not serve reaches no handler: let the
        // router answer 405. Anything else without a rule is refused.
        if rules.keys().any(|(_, p)| *p == matched.as_str()) {
            return next.run(req).await;
        }
        return Problem::new(Code::Forbidden, "This route has no access rule.").into_response();
    };
    let html = wants_html(&req);
    let who = match principal(&state, req.headers()).await {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    // A member's session counts only where no member of staff is signed in:
    // staff act in the community as staff, never as an ordinary member.
    let member = if who.is_none() {
        match member_principal(&state, req.headers()).await {
            Ok(m) => m,
            Err(problem) => return problem.into_response(),
        }
    } else {
        None
    };
    if access == Access::Public {
        let signed_in = who.is_some() || member.is_some();
        if let Some(p) = who {
            req.extensions_mut().insert(p);
        }
        if let Some(m) = member {
            req.extensions_mut().insert(m);
        }
        let mut resp = next.run(req).await;
        // A public page drawn for someone signed in carries their CSRF token.
        if signed_in {
            resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
        }
        return resp;
    }
    if let Some(m) = member {
        return member_only(access, m, req, next).await;
    }
    let Some(who) = who else {
        if html && access == Access::Member {
            let to = if changes_state(req.method()) {
                referer_path(req.headers()).unwrap_or_else(|| "/community".into())
            } else {
                req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/community".into())
            };
            return Redirect::to(&format!("/community/login?next={}", url_escape(&to))).into_response();
        }
        if html {
            // After signing in, come back to the page: for a form that was
            // posted, the page it was posted from.
            let to = if changes_state(req.method()) {
                referer_path(req.headers()).unwrap_or_else(|| "/inbox".into())
            } else {
                req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into())
            };
            let next_param: String = url_escape(&to);
            return Redirect::to(&format!("/login?next={next_param}")).into_response();
        }
        return Problem::new(Code::Unauthorized, "Sign in, or send `Authorization: Bearer <token>`.").into_response();
    };
    if !who.allows(access) {
        let why = match &who.via {
            Via::Token { .. } if who.account.role >= access.min_role().unwrap_or(Role::Analyst) => {
                "The token's scopes do not allow this."
            }
            _ => "Your role does not allow this.",
        };
        return Problem::new(Code::Forbidden, why).into_response();
    }
    if let Via::Session { csrf } = &who.via
        && changes_state(req.method())
    {
        if !same_origin(req.headers()) {
            return Problem::new(Code::CsrfFailed, "The request came from another site.").into_response();
        }
        let (token, rebuilt) = match csrf_token(req).await {
            Ok(x) => x,
            Err(p) => return p.into_response(),
        };
        req = rebuilt;
        let good = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(csrf.as_bytes())));
        if !good {
            return Problem::new(Code::CsrfFailed, "The CSRF token is missing or wrong; reload the page.")
                .into_response();
        }
    }
    req.extensions_mut().insert(who);
    let mut resp = next.run(req).await;
    // Nothing a signed-in person sees is kept by the browser or a proxy.
    resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    resp
}

/// A member (no staff signed in) on a route that is not public: only
/// `Access::Member` routes, for a verified member who is not banned, with
/// the member session's CSRF token on every state change.
async fn member_only(access: Access, m: MemberPrincipal, mut req: Request, next: Next) -> Response {
    let refusal = if access != Access::Member {
        Some("Your role does not allow this: it is for staff.")
    } else if m.member.banned {
        Some("A banned member's account does not allow this.")
    } else if !m.member.email_verified {
        Some("An unconfirmed email does not allow this: open the link we sent.")
    } else {
        None
    };
    if let Some(why) = refusal {
        return Problem::new(Code::Forbidden, why).into_response();
    }
    if changes_state(req.method()) {
        if !same_origin(req.headers()) {
            return Problem::new(Code::CsrfFailed, "The request came from another site.").into_response();
        }
        let (token, rebuilt) = match csrf_token(req).await {
            Ok(x) => x,
            Err(p) => return p.into_response(),
        };
        req = rebuilt;
        let good = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(m.csrf.as_bytes())));
        if !good {
            return Problem::new(Code::CsrfFailed, "The CSRF token is missing or wrong; reload the page.")
                .into_response();
        }
    }
    req.extensions_mut().insert(m);
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    resp
}

/// The path (and query) of a same-origin `Referer`.
fn referer_path(headers: &HeaderMap) -> Option<String> {
    if !same_origin(headers) {
        return None;
    }
    let r = headers.get(header::REFERER)?.to_str().ok()?;
    let rest = r.strip_prefix("https://").or_else(|| r.strip_prefix("http://"))?;
    let path = &rest[rest.find('/')?..];
    Some(path.to_owned())
}

/// Percent-encodes everything but unreserved characters (for a `next` link).
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in: only a path on this server.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/inbox",
    }
}

/// A redirect that also sets a cookie.
pub fn redirect_with_cookie(to: &str, cookie: String) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role) -> StaffAccount {
        StaffAccount { id: 1, email: "a@x.io".into(), name: "A".into(), role, team_id: None, disabled: false }
    }

    #[test]
    fn roles_and_scopes_both_limit() {
        let session = |r| Principal { account: account(r), via: Via::Session { csrf: "c".into() } };
        assert!(session(Role::Analyst).allows(Access::Read));
        assert!(!session(Role::Analyst).allows(Access::Work));
        assert!(session(Role::Agent).allows(Access::Work));
        assert!(!session(Role::Agent).allows(Access::Supervise));
        assert!(!session(Role::Supervisor).allows(Access::Admin));
        assert!(session(Role::Admin).allows(Access::Admin));
        let token = |r, s: Vec<Scope>| Principal { account: account(r), via: Via::Token { scopes: s } };
        assert!(!token(Role::Admin, vec![Scope::Read]).allows(Access::Work), "a read token cannot write");
        assert!(token(Role::Admin, vec![Scope::Write]).allows(Access::Work));
        assert!(!token(Role::Agent, vec![Scope::Admin]).allows(Access::Supervise), "a scope never widens a role");
    }

    #[test]
    fn origins() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(!same_origin(&h));
    }

    #[test]
    fn next_links_stay_on_this_server() {
        assert_eq!(safe_next(Some("/cases/3")), "/cases/3");
        assert_eq!(safe_next(Some("//evil.example")), "/inbox");
        assert_eq!(safe_next(Some("https://evil.example")), "/inbox");
        assert_eq!(safe_next(None), "/inbox");
    }
}
