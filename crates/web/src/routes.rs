//! The route table: every route the application serves, each with its
//! access rule. Registering a route without a rule is impossible, and the
//! same table builds the router, feeds the authorisation middleware, and is
//! what the route-by-role test walks.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router,
    handler::Handler,
    http::Method,
    routing::{MethodFilter, on},
};

use crate::{
    AppState, api,
    auth::{Access, Rules},
    ops, pages, webhooks,
};

/// One route as the table knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// A page or asset for browsers (not in the OpenAPI document).
    pub page: bool,
}

/// The router under construction and what it has registered.
pub struct Routes {
    pub router: Router<AppState>,
    pub list: Vec<RouteInfo>,
}

fn filter(m: &Method) -> MethodFilter {
    match *m {
        Method::GET => MethodFilter::GET,
        Method::POST => MethodFilter::POST,
        Method::PUT => MethodFilter::PUT,
        Method::PATCH => MethodFilter::PATCH,
        Method::DELETE => MethodFilter::DELETE,
        _ => panic!("no route uses {m}"),
    }
}

impl Routes {
    fn new() -> Routes {
        Routes { router: Router::new(), list: Vec::new() }
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, access: Access, page: bool, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter(&method), handler));
        self.list.push(RouteInfo { method, path, access, page });
        self
    }

    fn api<H: Handler<T, AppState>, T: 'static>(self, m: Method, path: &'static str, a: Access, h: H) -> Routes {
        self.add(m, path, a, false, h)
    }

    fn page<H: Handler<T, AppState>, T: 'static>(self, m: Method, path: &'static str, a: Access, h: H) -> Routes {
        self.add(m, path, a, true, h)
    }

    /// The rules by (method, path) for the middleware.
    pub fn rules(&self) -> Rules {
        let map: HashMap<(Method, &'static str), Access> =
            self.list.iter().map(|r| ((r.method.clone(), r.path), r.access)).collect();
        Arc::new(map)
    }
}

/// Every route, registered once.
pub fn table() -> Routes {
    use Access::{Admin, Public, Read, Supervise, Work};
    use Method as M;
    Routes::new()
        // Operations.
        .api(M::GET, "/healthz", Public, ops::healthz)
        .api(M::GET, "/metrics", Read, ops::metrics)
        .api(M::GET, "/problems/{code}", Public, ops::problem_type)
        // The platforms' webhooks check their own signatures.
        .api(M::GET, "/webhooks/x", Public, webhooks::x_crc)
        .api(M::POST, "/webhooks/x", Public, webhooks::x_events)
        .api(M::GET, "/webhooks/meta", Public, webhooks::meta_verify)
        .api(M::POST, "/webhooks/meta", Public, webhooks::meta_events)
        // The JSON API.
        .api(M::GET, "/api/v1/openapi.json", Public, crate::openapi::document)
        .api(M::GET, "/api/v1/schemas/customer-export.json", Public, api::reports::export_schema)
        .api(M::POST, "/api/v1/csat/{token}", Public, api::cases::csat)
        .api(M::GET, "/api/v1/me", Read, api::staff::me)
        .api(M::POST, "/api/v1/messages", Work, api::messages::ingest)
        .api(M::GET, "/api/v1/messages", Read, api::messages::list)
        .api(M::GET, "/api/v1/messages/{id}", Read, api::messages::get_one)
        .api(M::GET, "/api/v1/search", Read, api::messages::search)
        .api(M::POST, "/api/v1/inbound/email", Work, api::inbound::email)
        .api(M::GET, "/api/v1/reports/first-response", Read, api::reports::first_response)
        .api(M::GET, "/api/v1/reports/promises", Read, api::reports::promises)
        .api(M::GET, "/api/v1/reports/drivers", Read, api::firewall::drivers)
        .api(M::GET, "/api/v1/reports/drivers.csv", Read, api::firewall::drivers_csv)
        .api(M::GET, "/api/v1/reports/incidents", Read, api::firewall::incidents)
        .api(M::GET, "/api/v1/reports/incidents.csv", Read, api::firewall::incidents_csv)
        .api(M::GET, "/api/v1/alerts", Read, api::alerts::list)
        .api(M::GET, "/api/v1/alerts/{id}", Read, api::alerts::get)
        .api(M::GET, "/api/v1/cases", Read, api::cases::list)
        .api(M::GET, "/api/v1/cases/{id}", Read, api::cases::get_one)
        .api(M::PATCH, "/api/v1/cases/{id}", Work, api::cases::patch)
        .api(M::POST, "/api/v1/cases/{id}/notes", Work, api::cases::add_note)
        .api(M::POST, "/api/v1/cases/{id}/promises", Work, api::cases::add_promise)
        .api(M::POST, "/api/v1/cases/{id}/replies", Work, api::cases::reply)
        .api(M::POST, "/api/v1/promises/{id}", Work, api::cases::settle_promise)
        .api(M::POST, "/api/v1/customers", Work, api::customers::upsert)
        .api(M::GET, "/api/v1/customers/{id}", Read, api::customers::get_one)
        .api(M::POST, "/api/v1/customers/{id}/events", Work, api::customers::add_event)
        .api(M::POST, "/api/v1/customers/{id}/merge", Work, api::customers::merge)
        .api(M::GET, "/api/v1/customers/{id}/export", Admin, api::customers::export)
        .api(M::POST, "/api/v1/customers/{id}/erase", Admin, api::customers::erase)
        .api(M::POST, "/api/v1/customers/{id}/consents", Work, api::customers::consent)
        .api(M::POST, "/api/v1/merges/{id}/undo", Work, api::customers::undo_merge)
        .api(M::POST, "/api/v1/proposals/{id}/confirm", Work, api::customers::confirm)
        .api(M::POST, "/api/v1/proposals/{id}/reject", Work, api::customers::reject)
        .api(M::GET, "/api/v1/events", Read, api::events::stream)
        .api(M::GET, "/api/v1/sla-policies", Read, api::admin::sla_policies)
        .api(M::PUT, "/api/v1/sla-policies/{name}", Supervise, api::admin::put_sla_policy)
        .api(M::DELETE, "/api/v1/sla-policies/{name}", Supervise, api::admin::delete_sla_policy)
        .api(M::GET, "/api/v1/teams", Read, api::admin::teams)
        .api(M::POST, "/api/v1/teams", Supervise, api::admin::add_team)
        .api(M::GET, "/api/v1/agents", Read, api::admin::agents)
        .api(M::POST, "/api/v1/agents", Supervise, api::admin::put_agent)
        .api(M::POST, "/api/v1/cases/{id}/assign", Work, api::admin::assign)
        .api(M::GET, "/api/v1/canned", Read, api::admin::canned)
        .api(M::PUT, "/api/v1/canned/{name}", Supervise, api::admin::put_canned)
        .api(M::GET, "/api/v1/cases/{id}/canned/{name}", Read, api::admin::render_canned)
        .api(M::GET, "/api/v1/staff", Admin, api::staff::list)
        .api(M::POST, "/api/v1/staff", Admin, api::staff::create)
        .api(M::PATCH, "/api/v1/staff/{id}", Admin, api::staff::update)
        .api(M::GET, "/api/v1/tokens", Read, api::staff::tokens)
        .api(M::POST, "/api/v1/tokens", Read, api::staff::issue_token)
        .api(M::DELETE, "/api/v1/tokens/{id}", Read, api::staff::revoke_token)
        // Incidents (issue 6).
        .api(M::GET, "/api/v1/incidents", Read, api::incidents::list)
        .api(M::POST, "/api/v1/incidents", Supervise, api::incidents::create)
        .api(M::GET, "/api/v1/incidents/{id}", Read, api::incidents::get_one)
        .api(M::PATCH, "/api/v1/incidents/{id}", Supervise, api::incidents::patch)
        .api(M::POST, "/api/v1/incidents/{id}/updates", Supervise, api::incidents::add_update)
        .api(M::POST, "/api/v1/incidents/{id}/links", Work, api::incidents::link)
        .api(M::DELETE, "/api/v1/incidents/{id}/links", Work, api::incidents::unlink)
        .api(M::POST, "/api/v1/incidents/{id}/outreach", Supervise, api::incidents::outreach)
        .api(M::POST, "/api/v1/incidents/{id}/follow-up", Supervise, api::incidents::follow_up)
        .api(M::GET, "/api/v1/incidents/{id}/notices", Read, api::incidents::notices)
        .api(M::POST, "/api/v1/incidents/{id}/credits", Supervise, api::incidents::credit)
        .api(M::POST, "/api/v1/incidents/{id}/bulk-reply", Work, api::incidents::bulk_reply)
        .api(M::GET, "/api/v1/incident-candidates", Read, api::incidents::candidates)
        .api(M::GET, "/api/v1/incident-candidates/{id}", Read, api::incidents::candidate)
        .api(M::POST, "/api/v1/incident-candidates/{id}/open", Supervise, api::incidents::open_candidate)
        .api(M::POST, "/api/v1/incident-candidates/{id}/dismiss", Supervise, api::incidents::dismiss_candidate)
        .api(M::GET, "/api/v1/credits", Read, api::incidents::credits)
        .api(M::GET, "/api/v1/credits.csv", Read, api::incidents::credits_csv)
        .api(M::GET, "/api/v1/suppression", Read, api::incidents::suppression)
        .api(M::GET, "/api/v1/suppression.csv", Read, api::incidents::suppression_csv)
        // Pages.
        .page(M::GET, "/assets/app.css", Public, pages::assets::css)
        .page(M::GET, "/assets/app.js", Public, pages::assets::js)
        .page(M::GET, "/login", Public, pages::login::form)
        .page(M::POST, "/login", Public, pages::login::submit)
        .page(M::POST, "/logout", Read, pages::login::logout)
        .page(M::GET, "/", Read, pages::home)
        .page(M::GET, "/messages", Read, pages::messages)
        .page(M::GET, "/inbox", Read, pages::inbox::show)
        .page(M::POST, "/inbox/bulk", Work, pages::inbox::bulk)
        .page(M::GET, "/cases/{id}", Read, pages::case::show)
        .page(M::POST, "/cases/{id}/status", Work, pages::case_actions::status)
        .page(M::POST, "/cases/{id}/assign", Work, pages::case_actions::assign)
        .page(M::POST, "/cases/{id}/tags", Work, pages::case_actions::tags)
        .page(M::POST, "/cases/{id}/notes", Work, pages::case_actions::note)
        .page(M::POST, "/cases/{id}/promises", Work, pages::case_actions::promise)
        .page(M::POST, "/cases/{id}/reply", Work, pages::reply::reply)
        .page(M::POST, "/promises/{id}/settle", Work, pages::case_actions::settle)
        .page(M::POST, "/proposals/{id}/decide", Work, pages::case_actions::decide)
        .page(M::GET, "/customers", Read, pages::customers::search)
        .page(M::GET, "/customers/{id}", Read, pages::customers::show)
        .page(M::POST, "/customers/{id}/merge", Work, pages::customers::merge)
        .page(M::POST, "/merges/{id}/undo", Work, pages::customers::undo)
        .page(M::GET, "/customers/{id}/export.json", Admin, pages::customers::export)
        .page(M::POST, "/customers/{id}/erase", Admin, pages::customers::erase)
        .page(M::GET, "/supervisor", Read, pages::supervisor::show)
        .page(M::GET, "/account", Read, pages::account::show)
        .page(M::POST, "/account/password", Read, pages::account::password)
        .page(M::POST, "/account/tokens", Read, pages::account::create_token)
        .page(M::POST, "/account/tokens/{id}/revoke", Read, pages::account::revoke_token)
        .page(M::GET, "/admin/staff", Admin, pages::staff::show)
        .page(M::POST, "/admin/staff", Admin, pages::staff::create)
        .page(M::POST, "/admin/staff/{id}", Admin, pages::staff::update)
        // The public status page, and the incidents pages.
        .page(M::GET, "/status", Public, pages::status::show)
        .page(M::GET, "/status.json", Public, pages::status::json)
        .page(M::GET, "/status.atom", Public, pages::status::atom)
        .page(M::GET, "/alerts", Read, pages::alerts::list)
        .page(M::GET, "/reports/firewall", Read, pages::firewall::show)
        .page(M::GET, "/alerts/{id}", Read, pages::alerts::show)
        .page(M::GET, "/incidents", Read, pages::incidents::list)
        .page(M::POST, "/incidents", Supervise, pages::incidents::create)
        .page(M::GET, "/incidents/{id}", Read, pages::incidents::show)
        .page(M::POST, "/incidents/{id}/status", Supervise, pages::incidents::status)
        .page(M::POST, "/incidents/{id}/updates", Supervise, pages::incidents::add_update)
        .page(M::POST, "/incidents/{id}/link", Work, pages::incidents::link)
        .page(M::POST, "/incidents/{id}/unlink", Work, pages::incidents::unlink)
        .page(M::POST, "/incidents/{id}/outreach", Supervise, pages::incidents::outreach)
        .page(M::POST, "/incidents/{id}/follow-up", Supervise, pages::incidents::follow_up)
        .page(M::POST, "/incidents/{id}/credits", Supervise, pages::incidents::credits)
        .page(M::POST, "/incidents/{id}/bulk-reply", Work, pages::incidents::bulk_reply)
        .page(M::POST, "/incident-candidates/{id}/open", Supervise, pages::incidents::open_candidate)
        .page(M::POST, "/incident-candidates/{id}/dismiss", Supervise, pages::incidents::dismiss_candidate)
        .community()
}

impl Routes {
    /// The community (issue 7): its pages under `/community` and its API
    /// under `/api/v1/community`. Reading public boards is open to anyone;
    /// acting needs a verified member or staff (`Member`); moderation needs
    /// staff who work cases, boards a supervisor.
    fn community(self) -> Routes {
        use Access::{Member, Public, Read, Supervise, Work};
        use Method as M;
        use api::community as a;
        use pages::community as c;
        self.api(M::GET, "/api/v1/community/boards", Public, a::boards)
            .api(M::POST, "/api/v1/community/boards", Supervise, a::create_board)
            .api(M::GET, "/api/v1/community/boards/{slug}/topics", Public, a::board_topics)
            .api(M::POST, "/api/v1/community/topics", Member, a::create_topic)
            .api(M::GET, "/api/v1/community/topics/{id}", Public, a::topic)
            .api(M::POST, "/api/v1/community/topics/{id}/replies", Member, a::reply)
            .api(M::POST, "/api/v1/community/topics/{id}/solution", Member, a::accept)
            .api(M::POST, "/api/v1/community/topics/{id}/lock", Work, a::lock)
            .api(M::POST, "/api/v1/community/topics/{id}/move", Work, a::move_topic)
            .api(M::PATCH, "/api/v1/community/posts/{id}", Member, a::edit)
            .api(M::POST, "/api/v1/community/posts/{id}/kudos", Member, a::kudos)
            .api(M::POST, "/api/v1/community/posts/{id}/reports", Member, a::report)
            .api(M::POST, "/api/v1/community/posts/{id}/hide", Work, a::hide)
            .api(M::GET, "/api/v1/community/members/{id}", Public, a::member)
            .api(M::POST, "/api/v1/community/members/{id}/ban", Work, a::ban)
            .api(M::GET, "/api/v1/community/redemptions", Supervise, crate::api::redemptions::list)
            .api(M::GET, "/api/v1/community/redemptions.csv", Supervise, crate::api::redemptions::csv)
            .api(M::GET, "/api/v1/community/reports", Work, a::reports)
            .api(M::GET, "/api/v1/community/moderation-log", Work, a::moderation_log)
            .api(M::GET, "/api/v1/community/ideas", Public, a::ideas)
            .api(M::POST, "/api/v1/community/ideas", Member, a::create_idea)
            .api(M::GET, "/api/v1/community/ideas/{id}", Public, a::idea)
            .api(M::POST, "/api/v1/community/ideas/{id}/votes", Member, a::vote)
            .api(M::POST, "/api/v1/community/ideas/{id}/status", Work, a::idea_status)
            .api(M::POST, "/api/v1/community/ideas/{id}/merge", Work, a::merge)
            .api(M::POST, "/api/v1/community/ideas/{id}/answer", Work, a::answer_idea)
            .api(M::GET, "/api/v1/community/points", Member, a::my_points)
            .api(M::POST, "/api/v1/community/redemptions", Member, a::redeem)
            .api(M::GET, "/api/v1/community/ledger", Read, a::ledger)
            .api(M::GET, "/api/v1/community/counts", Read, a::counts)
            .api(M::GET, "/api/v1/community/search", Public, a::search)
            .api(M::GET, "/api/v1/community/value", Read, a::value)
            .api(M::GET, "/api/v1/community/rounds", Public, a::rounds)
            .api(M::POST, "/api/v1/community/rounds", Supervise, a::open_round)
            .api(M::GET, "/api/v1/community/rounds/{id}", Public, a::round)
            .api(M::POST, "/api/v1/community/rounds/{id}/votes", Member, a::vote_in_round)
            .api(M::POST, "/api/v1/community/rounds/{id}/donations", Member, a::donate)
            .api(M::POST, "/api/v1/community/rounds/{id}/close", Supervise, a::close_round)
            .api(M::GET, "/api/v1/community/ideas/{id}/comments", Public, a::idea_comments)
            .api(M::POST, "/api/v1/community/ideas/{id}/comments", Member, a::comment_idea)
            .api(M::GET, "/api/v1/community/ideas/{id}/links", Read, a::idea_links)
            .api(M::POST, "/api/v1/community/ideas/{id}/links", Work, a::link_idea)
            .api(M::POST, "/api/v1/community/topics/{id}/case", Work, a::topic_to_case)
            .api(M::GET, "/api/v1/customers/{id}/community", Read, a::customer_community)
            .page(M::GET, "/community", Public, c::home)
            .page(M::GET, "/community/signup", Public, c::account::signup_form)
            .page(M::POST, "/community/signup", Public, c::account::signup)
            .page(M::GET, "/community/verify", Public, c::account::verify)
            .page(M::GET, "/community/oidc/start", Public, crate::oidc::start)
            .page(M::GET, "/community/oidc/callback", Public, crate::oidc::callback)
            .page(M::GET, "/community/login", Public, c::account::login_form)
            .page(M::POST, "/community/login", Public, c::account::login)
            .page(M::POST, "/community/logout", Member, c::account::logout)
            .page(M::GET, "/community/search", Public, c::topic::search)
            .page(M::POST, "/community/boards", Supervise, c::moderation::create_board)
            .page(M::GET, "/community/b/{slug}", Public, c::board)
            .page(M::GET, "/community/b/{slug}/feed.atom", Public, c::feed)
            .page(M::POST, "/community/b/{slug}/topics", Member, c::topic::ask)
            .page(M::GET, "/community/t/{id}", Public, c::topic::show)
            .page(M::POST, "/community/t/{id}/replies", Member, c::topic::reply)
            .page(M::POST, "/community/t/{id}/accept", Member, c::topic::accept)
            .page(M::GET, "/community/t/{id}/posts/{post}/edit", Member, c::topic::edit_form)
            .page(M::POST, "/community/t/{id}/posts/{post}/edit", Member, c::topic::edit)
            .page(M::GET, "/community/t/{id}/posts/{post}/history", Public, c::topic::history)
            .page(M::POST, "/community/posts/{id}/kudos", Member, c::topic::kudos)
            .page(M::POST, "/community/posts/{id}/report", Member, c::topic::report)
            .page(M::GET, "/community/ideas", Public, c::ideas::list)
            .page(M::POST, "/community/ideas", Member, c::ideas::create)
            .page(M::GET, "/community/ideas/{id}", Public, c::ideas::show)
            .page(M::POST, "/community/ideas/{id}/vote", Member, c::ideas::vote)
            .page(M::POST, "/community/ideas/{id}/status", Work, c::ideas::status)
            .page(M::POST, "/community/ideas/{id}/merge", Work, c::ideas::merge)
            .page(M::POST, "/community/ideas/{id}/answer", Work, c::ideas::answer)
            .page(M::GET, "/community/points", Member, c::points::show)
            .page(M::POST, "/community/points/redeem", Member, c::points::redeem)
            .page(M::GET, "/community/members/{id}", Public, c::points::profile)
            .page(M::GET, "/community/mod", Work, c::moderation::queue)
            .page(M::POST, "/community/mod/posts/{id}/hide", Work, c::moderation::hide)
            .page(M::POST, "/community/mod/t/{id}/lock", Work, c::moderation::lock)
            .page(M::POST, "/community/mod/t/{id}/move", Work, c::moderation::move_topic)
            .page(M::POST, "/community/mod/members/{id}/ban", Work, c::moderation::ban)
            .page(M::GET, "/community/value", Read, c::value::show)
            .page(M::POST, "/cases/{id}/community-answer", Work, crate::pages::community::crm::publish_answer)
            .api(M::POST, "/api/v1/cases/{id}/community-answer", Work, crate::pages::community::crm::publish_answer_api)
            .page(M::POST, "/community/t/{id}/case", Work, c::crm::to_case)
            .page(M::GET, "/community/rounds", Public, c::rounds::list)
            .page(M::POST, "/community/rounds", Supervise, c::rounds::open)
            .page(M::POST, "/community/rounds/{id}/vote", Member, c::rounds::vote)
            .page(M::POST, "/community/rounds/{id}/donate", Member, c::rounds::donate)
            .page(M::POST, "/community/rounds/{id}/close", Supervise, c::rounds::close)
            .page(M::POST, "/community/ideas/{id}/comments", Member, c::ideas::comment)
            .page(M::POST, "/community/ideas/{id}/links", Work, c::ideas::link)
    }
}
