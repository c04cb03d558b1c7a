//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every route.
//! Written by hand next to the router; a test checks that every API route of
//! the route table is described here and that every described route exists,
//! and each operation's access rule is copied from the table.

use axum::Json;
use serde_json::{Value, json};

use crate::problem::Code;

fn problem_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

pub fn build() -> Value {
    let channels: Vec<&str> = firebreak_domain::Channel::ALL.iter().map(|c| c.as_str()).collect();
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let bearer = json!([{ "bearer": [] }, { "session": [] }]);
    let range_params = json!([
        query("by", "topic, product, area, brand, channel or all (default topic)", json!({ "type": "string" })),
        query(
            "from",
            "A date (2015-02-17) or RFC 3339 time (default 30 days before `to`)",
            json!({ "type": "string" })
        ),
        query("to", "A date or RFC 3339 time (default now)", json!({ "type": "string" })),
        query("bucket", "day (default) or hour", json!({ "type": "string", "enum": ["day", "hour"] })),
        query("top", "Series drawn (1-20, default 6)", json!({ "type": "integer" })),
    ]);
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Firebreak API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Ingest, read and search customer messages from every channel. Errors are RFC 9457 problem+json with a stable `code`."
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token `fbt_...` made on the account page or with POST /api/v1/tokens, or a token from the configuration" },
                "session": { "type": "apiKey", "in": "cookie", "name": "__Host-firebreak_session", "description": "A signed-in browser (`firebreak_session` when not served over TLS); state changes also need the `x-csrf-token` header" }
            },
            "schemas": {
                "Channel": { "type": "string", "enum": channels },
                "Author": {
                    "type": "object", "additionalProperties": false, "required": ["id"],
                    "properties": {
                        "id": { "type": "string", "minLength": 1 },
                        "handle": { "type": ["string", "null"] },
                        "name": { "type": ["string", "null"] },
                        "followers": { "type": ["integer", "null"], "minimum": 0 }
                    }
                },
                "Metrics": {
                    "type": "object", "additionalProperties": false,
                    "properties": { "likes": { "type": "integer" }, "shares": { "type": "integer" }, "replies": { "type": "integer" } }
                },
                "NormalisedMessage": {
                    "type": "object", "additionalProperties": false,
                    "required": ["channel", "external_id", "author", "text", "created_at"],
                    "properties": {
                        "channel": { "$ref": "#/components/schemas/Channel" },
                        "external_id": { "type": "string", "minLength": 1 },
                        "direction": { "type": "string", "enum": ["in", "out"], "default": "in" },
                        "author": { "$ref": "#/components/schemas/Author" },
                        "text": { "type": "string", "maxLength": 65536, "description": "At most 64 KiB of UTF-8." },
                        "created_at": { "type": "string", "format": "date-time" },
                        "language": { "type": ["string", "null"] },
                        "in_reply_to": { "type": ["string", "null"] },
                        "thread_id": { "type": ["string", "null"] },
                        "metrics": { "oneOf": [{ "$ref": "#/components/schemas/Metrics" }, { "type": "null" }] },
                        "raw": { "type": ["object", "null"] }
                    }
                },
                "StoredMessage": {
                    "allOf": [
                        { "$ref": "#/components/schemas/NormalisedMessage" },
                        { "type": "object", "properties": {
                            "id": { "type": "integer" },
                            "identity_id": { "type": "integer" },
                            "received_at": { "type": "string", "format": "date-time" }
                        } }
                    ]
                },
                "IngestOutcome": {
                    "type": "object", "required": ["id", "duplicate"],
                    "properties": { "id": { "type": "integer" }, "duplicate": { "type": "boolean" } }
                },
                "IngestResponse": {
                    "type": "object", "required": ["items"],
                    "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/IngestOutcome" } } }
                },
                "MessagePage": {
                    "type": "object",
                    "properties": {
                        "items": { "type": "array", "items": { "$ref": "#/components/schemas/StoredMessage" } },
                        "next_cursor": { "type": ["string", "null"] }
                    }
                },
                "SearchResponse": {
                    "type": "object",
                    "properties": { "items": { "type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "score": { "type": "number" },
                            "snippet": { "type": "string", "description": "HTML-escaped text with matches in <mark>." },
                            "highlights": { "type": "array", "items": { "type": "array", "items": { "type": "integer" }, "minItems": 2, "maxItems": 2 } },
                            "message": { "$ref": "#/components/schemas/StoredMessage" }
                        }
                    } } }
                },
                "Problem": {
                    "type": "object", "required": ["type", "title", "status", "code"],
                    "properties": {
                        "type": { "type": "string" },
                        "title": { "type": "string" },
                        "status": { "type": "integer" },
                        "detail": { "type": "string" },
                        "code": { "type": "string", "enum": codes },
                        "errors": { "type": "array", "items": {
                            "type": "object",
                            "properties": {
                                "index": { "type": "integer" },
                                "field": { "type": "string" },
                                "code": { "type": "string" },
                                "message": { "type": "string" }
                            }
                        } }
                    }
                }
            }
        },
        "paths": {
            "/healthz": { "get": { "summary": "Liveness and store health", "responses": {
                "200": { "description": "Healthy" }, "503": problem_response("The store does not answer") } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": {
                "200": { "description": "Prometheus text format 0.0.4", "content": { "text/plain": {} } } } } },
            "/problems/{code}": { "get": { "summary": "What a problem type means",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string", "enum": codes } }],
                "responses": { "200": { "description": "The code, its status and title" }, "404": problem_response("Unknown code") } } },
            "/webhooks/x": {
                "get": { "summary": "X CRC challenge", "parameters": [query("crc_token", "The challenge", json!({ "type": "string" }))],
                    "responses": { "200": { "description": "`{\"response_token\": \"sha256=...\"}`" },
                        "403": problem_response("No consumer secret configured") } },
                "post": { "summary": "X Account Activity events, signed with x-twitter-webhooks-signature",
                    "requestBody": { "required": true, "content": { "application/json": {} } },
                    "responses": { "200": json_response("Stored", "IngestResponse"),
                        "401": problem_response("Missing or wrong signature"), "403": problem_response("No secret configured") } }
            },
            "/webhooks/meta": {
                "get": { "summary": "Meta subscription handshake",
                    "parameters": [query("hub.mode", "`subscribe`", json!({ "type": "string" })),
                        query("hub.verify_token", "The configured verify token", json!({ "type": "string" })),
                        query("hub.challenge", "Echoed back", json!({ "type": "string" }))],
                    "responses": { "200": { "description": "The challenge", "content": { "text/plain": {} } },
                        "403": problem_response("Token mismatch or not configured") } },
                "post": { "summary": "Meta Page and Instagram webhook events, signed with X-Hub-Signature-256",
                    "requestBody": { "required": true, "content": { "application/json": {} } },
                    "responses": { "200": json_response("Stored", "IngestResponse"),
                        "401": problem_response("Missing or wrong signature"), "403": problem_response("No secret configured") } }
            },
            "/api/v1/openapi.json": { "get": { "summary": "This document", "responses": { "200": { "description": "OpenAPI 3.1" } } } },
            "/api/v1/messages": {
                "post": {
                    "summary": "Ingest a batch of normalised messages (at most 10,000 items and 10 MB); all or nothing; answers after commit",
                    "security": bearer,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "array", "maxItems": 10000, "items": { "$ref": "#/components/schemas/NormalisedMessage" } } } } },
                    "responses": {
                        "200": json_response("One outcome per item, in order", "IngestResponse"),
                        "400": problem_response("Malformed JSON or invalid UTF-8"),
                        "401": problem_response("Missing or wrong token"),
                        "413": problem_response("Body or batch too large"),
                        "415": problem_response("Not JSON"),
                        "422": problem_response("Invalid items, each named by index and field; nothing stored"),
                        "503": problem_response("The store failed; nothing stored")
                    }
                },
                "get": {
                    "summary": "List messages newest first, with keyset pagination",
                    "security": bearer,
                    "parameters": [
                        query("channel", "Only this channel", json!({ "$ref": "#/components/schemas/Channel" })),
                        query("since", "Created at or after (RFC 3339)", json!({ "type": "string", "format": "date-time" })),
                        query("until", "Created before (RFC 3339)", json!({ "type": "string", "format": "date-time" })),
                        query("author", "The author's platform id or handle", json!({ "type": "string" })),
                        query("cursor", "`next_cursor` of the previous page", json!({ "type": "string" })),
                        query("limit", "Page size, 1 to 1000 (default 50)", json!({ "type": "integer", "minimum": 1, "maximum": 1000 }))
                    ],
                    "responses": { "200": json_response("A page", "MessagePage"), "400": problem_response("A bad parameter") }
                }
            },
            "/api/v1/messages/{id}": { "get": {
                "summary": "One message", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": json_response("The message", "StoredMessage"), "404": problem_response("No such message") } } },
            "/api/v1/search": { "get": {
                "summary": "Full-text search, ranked by BM25, with highlights. Words are AND-ed; \"quoted phrases\", prefix*, -excluded.",
                "security": bearer,
                "parameters": [
                    { "name": "q", "in": "query", "required": true, "schema": { "type": "string" } },
                    query("channel", "Only this channel", json!({ "$ref": "#/components/schemas/Channel" })),
                    query("limit", "1 to 100 (default 20)", json!({ "type": "integer", "minimum": 1, "maximum": 100 }))
                ],
                "responses": { "200": json_response("Hits, best first", "SearchResponse"), "400": problem_response("A bad query") } } },
            "/api/v1/cases": { "get": {
                "summary": "A queue of cases, most pressing first",
                "security": bearer,
                "parameters": [
                    query("status", "Comma-separated statuses (new, open, pending, resolved, closed); default the active ones", json!({ "type": "string" })),
                    query("priority", "urgent, high, normal or low", json!({ "type": "string", "enum": ["urgent", "high", "normal", "low"] })),
                    query("agent", "Assigned to this agent", json!({ "type": "integer" })),
                    query("team", "Assigned to this team", json!({ "type": "integer" })),
                    query("unassigned", "`true`: only cases with no agent", json!({ "type": "boolean" })),
                    query("channel", "Opened on this channel", json!({ "$ref": "#/components/schemas/Channel" })),
                    query("customer", "Of this customer", json!({ "type": "integer" })),
                    query("tag", "With this tag", json!({ "type": "string" })),
                    query("due_before", "With an SLA clock due before this time", json!({ "type": "string", "format": "date-time" })),
                    query("sentiment", "The judgement of the customer's latest message", json!({ "type": "string", "enum": ["negative", "neutral", "positive"] })),
                    query("sort", "priority (default), due or updated", json!({ "type": "string", "enum": ["priority", "due", "updated"] })),
                    query("page", "From 1", json!({ "type": "integer", "minimum": 1 })),
                    query("limit", "1 to 500 (default 50)", json!({ "type": "integer", "minimum": 1, "maximum": 500 }))
                ],
                "responses": { "200": { "description": "`{\"items\": [case], \"more\": bool}`" }, "400": problem_response("A bad parameter") } } },
            "/api/v1/cases/{id}": {
                "get": { "summary": "A case with its cross-channel timeline, notes, promises and SLA record", "security": bearer,
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                    "responses": { "200": { "description": "The case" }, "404": problem_response("No such case") } },
                "patch": { "summary": "Change status (pending pauses the SLA clocks; resolved stops them and asks for CSAT), priority, team_id, agent_id (null unassigns), add_tags, remove_tags", "security": bearer,
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                    "requestBody": { "required": true, "content": { "application/json": {} } },
                    "responses": { "200": { "description": "The case" }, "404": problem_response("No such case"), "422": problem_response("A bad value, named") } }
            },
            "/api/v1/cases/{id}/notes": { "post": { "summary": "Add an internal note: {text, by}", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The note" }, "404": problem_response("No such case"), "422": problem_response("Empty or too long") } } },
            "/api/v1/cases/{id}/promises": { "post": { "summary": "Record a promise: {what, due_at, told_customer, by}; it must fall due in the future", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The promise" }, "404": problem_response("No such case"), "422": problem_response("A bad value, named") } } },
            "/api/v1/cases/{id}/replies": { "post": { "summary": "Record an agent's reply {text, by} on the customer's channel; it stops the response clock", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": json_response("The outbound message", "StoredMessage"), "404": problem_response("No such case"), "422": problem_response("Nothing to answer, or bad text") } } },
            "/api/v1/promises/{id}": { "post": { "summary": "Settle a promise: {status: kept|broken, by}", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The promise" }, "404": problem_response("No such promise"), "422": problem_response("Already settled") } } },
            "/api/v1/customers": { "post": { "summary": "Create a customer, or update the one with the same external_ref: {external_ref, name, emails, phones, postal_area}", "security": bearer,
                "requestBody": { "required": true, "content": { "application/json": {} } },
                "responses": { "200": { "description": "`{id, created}`" }, "422": problem_response("A bad value, named") } } },
            "/api/v1/customers/{id}": { "get": { "summary": "The customer 360: identities, cases, account events, sentiment over time, promises, consent, suggested matches", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The 360" }, "404": problem_response("No such customer") } } },
            "/api/v1/customers/{id}/events": { "post": { "summary": "An account event from the company's systems: {kind, occurred_at, reference, details, external_id}; idempotent on external_id", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The event" }, "404": problem_response("No such customer"), "422": problem_response("A bad value, or an erased or merged customer") } } },
            "/api/v1/customers/{id}/merge": { "post": { "summary": "Merge customer `from` into this one: {from, reason, by}; identities, cases, events and contact points move; returns merge_id", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "`{merge_id, into, from}`" }, "404": problem_response("No such customer"), "422": problem_response("Same customer, erased or merged") } } },
            "/api/v1/customers/{id}/export": { "get": { "summary": "Everything held about the person as one JSON document with a `$schema` (GDPR Art. 15/20)", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The export" }, "404": problem_response("No such customer, or erased") } } },
            "/api/v1/customers/{id}/erase": { "post": { "summary": "Erase the person (GDPR Art. 17): {confirm: the customer id typed out, reason, by}. Messages, identities and records are deleted, cases anonymised, nothing left in the files", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "`{customer_id, erased, messages_deleted}`" }, "404": problem_response("No such customer"), "422": problem_response("Not confirmed, or already erased") } } },
            "/api/v1/customers/{id}/consents": { "post": { "summary": "Record consent given or withdrawn: {purpose: marketing|proactive, granted, wording_version, method}", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "Recorded" }, "404": problem_response("No such customer"), "422": problem_response("A bad value, named") } } },
            "/api/v1/proposals/{id}/confirm": { "post": { "summary": "Confirm a suggested match {by}: the person's provisional customer is merged into the suggested one", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "Confirmed" }, "404": problem_response("No such proposal"), "422": problem_response("Already decided") } } },
            "/api/v1/proposals/{id}/reject": { "post": { "summary": "Reject a suggested match {by}", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "Rejected" }, "404": problem_response("No such proposal"), "422": problem_response("Already decided") } } },
            "/api/v1/merges/{id}/undo": { "post": { "summary": "Undo a merge: {reason, by}; exactly what moved moves back", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "Undone" }, "404": problem_response("No such merge"), "422": problem_response("Already undone") } } },
            "/api/v1/sla-policies": { "get": { "summary": "SLA policies in the order they are tried", "security": bearer, "responses": { "200": { "description": "`{items}`" } } } },
            "/api/v1/sla-policies/{name}": {
                "put": { "summary": "Create or replace a policy: {channels, priorities, first_response, next_response, resolution: {minutes, business_hours}, calendar: {name, time_zone, hours, holidays}, warn_at_percent_left, position}", "security": bearer,
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "`{id}`" }, "422": problem_response("Every bad field, named") } },
                "delete": { "summary": "Delete a policy", "security": bearer,
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "Deleted" }, "404": problem_response("No such policy") } }
            },
            "/api/v1/teams": {
                "get": { "summary": "Teams", "security": bearer, "responses": { "200": { "description": "`{items}`" } } },
                "post": { "summary": "Add a team: {name}", "security": bearer, "responses": { "200": { "description": "The team" }, "422": problem_response("Name taken or invalid") } }
            },
            "/api/v1/agents": {
                "get": { "summary": "Agents with their open-case load", "security": bearer, "responses": { "200": { "description": "`{items}`" } } },
                "post": { "summary": "Create or update (by email) an agent: {name, email, team_id, skills, max_load, active}", "security": bearer, "responses": { "200": { "description": "The agent" }, "422": problem_response("A bad value, named") } }
            },
            "/api/v1/cases/{id}/assign": { "post": { "summary": "Assign by {strategy: round_robin|skills, team_id}", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The agent chosen" }, "404": problem_response("No such case"), "422": problem_response("Nobody available, or no team") } } },
            "/api/v1/canned": { "get": { "summary": "Canned responses", "security": bearer, "responses": { "200": { "description": "`{items}`" } } } },
            "/api/v1/canned/{name}": { "put": { "summary": "Create or replace a canned response: {body} with {{customer.name}}, {{customer.first_name}}, {{case.id}}, {{case.subject}}, {{agent.name}}, {{channel}}", "security": bearer,
                "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "Stored" }, "422": problem_response("Unknown variable") } } },
            "/api/v1/cases/{id}/canned/{name}": { "get": { "summary": "A canned response filled in for a case", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }, { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "`{text}`" }, "404": problem_response("No such case or response") } } },
            "/api/v1/events": { "get": { "summary": "Server-Sent Events: case.created, case.updated, case.reopened, case.csat, sla.warning, sla.breach, promise.created, promise.due_soon, promise.due, promise.settled. Resume with Last-Event-ID or ?after=", "security": bearer,
                "parameters": [query("after", "Stream events after this id (default: from now)", json!({ "type": "integer" }))],
                "responses": { "200": { "description": "text/event-stream", "content": { "text/event-stream": {} } } } } },
            "/api/v1/csat/{token}": { "post": { "summary": "A customer's satisfaction answer: {score: 1-5, comment}; the token comes from the request sent on resolution",
                "parameters": [{ "name": "token", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "Stored" }, "404": problem_response("Unknown token"), "422": problem_response("Score out of range") } } },
            "/api/v1/reports/promises": { "get": { "summary": "Promises by outcome (open, due, kept, broken), the kept rate, and by who made them", "security": bearer,
                "responses": { "200": { "description": "`{total, kept_rate, by_agent}`" } } } },
            "/api/v1/reports/drivers": { "get": { "summary": "Contact drivers: inbound contacts by topic, product, area, brand or channel over time, with sentiment (the top values as series, the rest summed)", "security": bearer,
                "parameters": range_params.clone(),
                "responses": { "200": { "description": "`{dimension, from, to, bucket_ms, buckets, series: [{value, contacts, negative, total, negative_total, positive_total, mean_sentiment}], rest, values}`" }, "400": problem_response("A parameter is not valid (named in `errors`)") } } },
            "/api/v1/reports/drivers.csv": { "get": { "summary": "Contact drivers as CSV: every value in every bucket", "security": bearer,
                "parameters": range_params.clone(),
                "responses": { "200": { "description": "`text/csv`: bucket_start, dimension, value, contacts, negative, positive, mean_sentiment" }, "400": problem_response("A parameter is not valid") } } },
            "/api/v1/reports/incidents": { "get": { "summary": "The cost of fires (each incident's linked contacts at the configured cost per contact), the contacts prevented by telling affected customers first, and incidents that recur (a shared key within 30 days)", "security": bearer,
                "parameters": range_params.clone(),
                "responses": { "200": { "description": "`{from, to, cost_per_contact, currency, incidents: [...], recurring: [{key, incidents}], total_contacts, total_cost, total_prevented, total_savings}`" }, "400": problem_response("A parameter is not valid") } } },
            "/api/v1/reports/incidents.csv": { "get": { "summary": "One row per incident: contacts, cost, affected, told and not told with their contact rates, contacts prevented, savings, recurs", "security": bearer,
                "parameters": range_params.clone(),
                "responses": { "200": { "description": "`text/csv`" }, "400": problem_response("A parameter is not valid") } } },
            "/api/v1/alerts": { "get": { "summary": "Alerts the detectors raised, newest first: sparks (one post catching fire) and bursts (incident candidates), each with its evidence", "security": bearer,
                "parameters": [query("limit", "At most this many (default 50, at most 500)", json!({ "type": "integer" }))],
                "responses": { "200": { "description": "`{\"items\": [{\"id\", \"kind\", \"at\", \"key\", \"summary\", \"evidence\"...}]}`" } } } },
            "/api/v1/alerts/{id}": { "get": { "summary": "One alert with its evidence", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The alert" }, "404": problem_response("No such alert") } } },
            "/api/v1/schemas/customer-export.json": { "get": { "summary": "The JSON Schema of the customer export", "responses": { "200": { "description": "JSON Schema 2020-12" } } } },
            "/api/v1/reports/first-response": { "get": {
                "summary": "Per answering account: conversations answered and the median seconds from a conversation's first inbound message to the first outbound message at or after it",
                "security": bearer,
                "responses": { "200": { "description": "`{\"items\": [{\"brand\", \"conversations\", \"median_seconds\"}]}`" } } } },
            "/api/v1/inbound/email": { "post": {
                "summary": "One raw RFC 5322 email; Message-ID, In-Reply-To and References are kept",
                "security": bearer,
                "requestBody": { "required": true, "content": { "message/rfc822": {} } },
                "responses": { "200": json_response("Stored", "IngestOutcome"), "422": problem_response("Not an email") } } },
            "/api/v1/me": { "get": { "summary": "The account the request is signed in as", "security": bearer,
                "responses": { "200": { "description": "`{id, email, name, role, team_id, disabled}`" } } } },
            "/api/v1/staff": {
                "get": { "summary": "Every staff account", "security": bearer, "responses": { "200": { "description": "A list of accounts" } } },
                "post": { "summary": "Create an account: {email, name, role: admin|supervisor|agent|analyst, password (10+ characters), team_id}", "security": bearer,
                    "responses": { "201": { "description": "The account" }, "422": problem_response("A field is not valid, or the email has an account") } } },
            "/api/v1/staff/{id}": { "patch": { "summary": "Change an account's role, or disable it ({role}, {disabled}); disabling revokes its sessions and tokens", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "The account" }, "404": problem_response("No such account"), "422": problem_response("Not allowed on one's own account") } } },
            "/api/v1/tokens": {
                "get": { "summary": "The caller's API tokens (never their secrets)", "security": bearer, "responses": { "200": { "description": "`{items}`" } } },
                "post": { "summary": "A new token for the signed-in caller: {name, scopes: [read|write|admin], expires_in_days: 1-366}; the token is in the answer, once", "security": bearer,
                    "responses": { "201": { "description": "`{token, info}`" }, "403": problem_response("Only a session can make tokens"), "422": problem_response("A scope beyond the caller's role, or a bad lifetime") } } },
            "/api/v1/tokens/{id}": { "delete": { "summary": "Revoke one of the caller's tokens (an admin: anyone's)", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "204": { "description": "Revoked" }, "404": problem_response("No such token") } } }
        }
    });
    incident_paths(&mut doc, &bearer);
    community_paths(&mut doc, &bearer);
    annotate_access(&mut doc);
    doc
}

/// The incidents API (issue 6), added to the document's paths.
fn incident_paths(doc: &mut Value, bearer: &Value) {
    let id = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let ok = |d: &str| json!({ "200": { "description": d }, "404": problem_response("No such incident"), "422": problem_response("A value is not valid; nothing was changed") });
    let read = |summary: &str, d: &str| json!({ "summary": summary, "security": bearer, "responses": { "200": { "description": d } } });
    let op = |summary: &str, responses: Value| json!({ "summary": summary, "security": bearer, "parameters": id, "responses": responses });
    let paths = &mut doc["paths"];
    paths["/api/v1/incidents"] = json!({
        "get": { "summary": "Incidents, open ones first; ?status=open|all", "security": bearer,
                 "parameters": [query("status", "open or all (default)", json!({ "type": "string", "enum": ["open", "all"] }))],
                 "responses": { "200": { "description": "`{items}`" } } },
        "post": { "summary": "Open an incident by hand: {title, status, keys: [\"area=SW1A\", \"brand=united|topic=outage\"], areas, products, services, public, eta, started_at}. It needs a key or an area; the ETA lies ahead", "security": bearer,
                  "responses": { "201": { "description": "The incident with its updates, links and affected counts" }, "422": problem_response("No key and no area, an ETA in the past, a bad key; nothing was changed") } }
    });
    paths["/api/v1/incidents/{id}"] = json!({
        "get": op("An incident with its updates, linked messages and cases, and affected counts", json!({ "200": { "description": "The incident" }, "404": problem_response("No such incident") })),
        "patch": op("Change status, eta (null clears it), title, keys, areas, products, services, public; a status change is noted as an internal update", ok("The incident"))
    });
    paths["/api/v1/incidents/{id}/updates"] = json!({ "post": op("Post an update {text, public (default true)}; public ones show on /status and its feed", json!({ "201": { "description": "The update" }, "404": problem_response("No such incident"), "422": problem_response("No text") })) });
    paths["/api/v1/incidents/{id}/links"] = json!({
        "post": op("Link {message_id} (with its case) or {case_id}", ok("`{incident_id, linked}`")),
        "delete": op("Unlink ?message_id= or ?case_id=; automatic linking will not add it again", ok("`{incident_id, unlinked}`"))
    });
    paths["/api/v1/incidents/{id}/outreach"] = json!({ "post": op("Queue a notice to every affected customer (postal area in the incident's areas, or holding one of its products or services) whose latest `proactive` consent is given, on their preferred channel (email, x, facebook). Optional {templates: {email: {subject, text}, x: {text}, facebook: {text}}} with {{customer_name}}, {{eta}}, {{incident_title}}, {{status_url}}. Run twice, it queues nothing new", ok("`{considered, queued, already, by_channel, skipped: [{reason, customers}]}`")) });
    paths["/api/v1/incidents/{id}/follow-up"] = json!({ "post": op("Once resolved, queue a follow-up to each customer notified (same body as outreach)", ok("As outreach")) });
    paths["/api/v1/incidents/{id}/notices"] = json!({ "get": op("The notices queued for the incident, with their delivery; ?after=&limit=", json!({ "200": { "description": "`{items, next}`" } })) });
    paths["/api/v1/incidents/{id}/credits"] = json!({ "post": op("Credit every affected customer once: {amount_minor > 0, currency (ISO 4217), reason}", ok("`{affected, issued, already}`")) });
    paths["/api/v1/incidents/{id}/bulk-reply"] = json!({ "post": op("Answer every linked case once, on its own channel: {templates: {x: text, facebook: text, email: text, default: text}}", json!({ "202": { "description": "`{items: [{case_id, channel, reply_id, status, code, message}]}`" }, "404": problem_response("No such incident"), "422": problem_response("An unknown template variable or channel") })) });
    paths["/api/v1/incident-candidates"] =
        json!({ "get": read("Bursts the detector raised; ?status=open|opened|dismissed|all&limit=", "`{items}`") });
    paths["/api/v1/incident-candidates/{id}"] = json!({ "get": op("A candidate with its evidence", json!({ "200": { "description": "The candidate" }, "404": problem_response("No such candidate") })) });
    paths["/api/v1/incident-candidates/{id}/open"] = json!({ "post": op("Open the candidate as an incident (one click; again answers the same incident)", json!({ "201": { "description": "The incident" }, "404": problem_response("No such candidate"), "422": problem_response("The candidate was dismissed") })) });
    paths["/api/v1/incident-candidates/{id}/dismiss"] = json!({ "post": op("Dismiss the candidate", json!({ "200": { "description": "The candidate" }, "404": problem_response("No such candidate"), "422": problem_response("The candidate was opened") })) });
    paths["/api/v1/credits"] =
        json!({ "get": read("The credits ledger, oldest first; ?incident=&after=&limit=", "`{items, next}`") });
    paths["/api/v1/credits.csv"] =
        json!({ "get": read("The credits ledger as CSV for billing; ?incident=", "text/csv") });
    paths["/api/v1/suppression"] = json!({ "get": read("Customers who must not get marketing now, each with its reasons (affected_by_incident, linked_to_incident, open_complaint, marketing_consent_withdrawn, and with ?offer=acquisition existing_customer); ?after=&limit=", "`{items: [{customer_id, external_ref, reasons}], next}`") });
    paths["/api/v1/suppression.csv"] =
        json!({ "get": read("The whole suppression list as CSV; ?offer=acquisition", "text/csv") });
}

/// The community's API (issue 7). Refusals carry the community's own
/// stable code (`not_author`, `already_voted`, `insufficient_balance`...).
fn community_paths(doc: &mut Value, bearer: &Value) {
    let refused = problem_response("Refused by the community's rules (its own `code`); nothing was changed");
    let op = |summary: &str| json!({ "summary": summary, "security": bearer, "responses": { "200": { "description": "OK" }, "403": refused, "404": refused, "409": refused, "422": refused } });
    let open =
        |summary: &str| json!({ "summary": summary, "responses": { "200": { "description": "OK" }, "404": refused } });
    let paths = &mut doc["paths"];
    paths["/api/v1/community/boards"] = json!({ "get": open("The boards the caller may see, with topic counts"), "post": op("Create a board {slug, name, description, visibility: public|private}") });
    paths["/api/v1/community/boards/{slug}/topics"] =
        json!({ "get": open("A board's topics, most recently active first") });
    paths["/api/v1/community/topics"] = json!({ "post": op("Ask a question or start a discussion {board, kind: question|discussion, title, body (Markdown)}") });
    paths["/api/v1/community/topics/{id}"] = json!({ "get": open("A topic's page: the question, the accepted solution, the replies, kudos counts, each author's rank") });
    paths["/api/v1/community/topics/{id}/replies"] = json!({ "post": op("Reply {body}") });
    paths["/api/v1/community/topics/{id}/solution"] =
        json!({ "post": op("Accept a reply as the solution {post} (the asker or staff); awards its author") });
    paths["/api/v1/community/topics/{id}/lock"] = json!({ "post": op("Lock or unlock {locked, reason} (staff)") });
    paths["/api/v1/community/topics/{id}/move"] =
        json!({ "post": op("Move to another board {board, reason} (staff)") });
    paths["/api/v1/community/posts/{id}"] =
        json!({ "patch": op("Edit a post {body} (its author); the old text is kept as a revision") });
    paths["/api/v1/community/posts/{id}/kudos"] =
        json!({ "post": op("Give kudos (once per member, not to one's own post)") });
    paths["/api/v1/community/posts/{id}/reports"] = json!({ "post": op("Report a post to the moderators {reason}") });
    paths["/api/v1/community/posts/{id}/hide"] =
        json!({ "post": op("Hide a post {reason} (staff): its points are reversed") });
    paths["/api/v1/community/members/{id}"] = json!({ "get": open("A member's profile: rank, badges, totals") });
    paths["/api/v1/community/members/{id}/ban"] = json!({ "post": op("Ban or lift a ban {banned, reason} (staff)") });
    paths["/api/v1/community/reports"] = json!({ "get": op("Open reports, oldest first (staff)") });
    paths["/api/v1/community/moderation-log"] = json!({ "get": op("The moderation log, newest first (staff)") });
    paths["/api/v1/community/ideas"] =
        json!({ "get": open("Ideas, most voted first"), "post": op("Submit an idea {title, body}") });
    paths["/api/v1/community/ideas/{id}"] = json!({ "get": open("An idea, with staff's answer (`answer`, or null)") });
    paths["/api/v1/community/ideas/{id}/votes"] = json!({ "post": op("Vote (once per member; not on a closed idea)") });
    paths["/api/v1/community/ideas/{id}/status"] =
        json!({ "post": op("Change the status {status} (staff); shipping awards the author") });
    paths["/api/v1/community/ideas/{id}/merge"] =
        json!({ "post": op("Merge this duplicate into {into, reason} (staff); each member's vote counts once") });
    paths["/api/v1/community/ideas/{id}/answer"] =
        json!({ "post": op("Answer the idea for staff {body} (staff); replaces an earlier answer") });
    paths["/api/v1/community/points"] = json!({ "get": op("The caller's balance, rank, totals and ledger entries") });
    paths["/api/v1/community/redemptions"] = json!({
        "post": op("Redeem points as account credit {request_id, amount}; the same request_id again changes nothing"),
        "get": op("Points redeemed as account credit, for billing: ?after=<transaction>&limit=, oldest first; `{items: [{transaction, key, at, points, member, email, customer_id, external_ref}], next}` (supervisors)"),
    });
    paths["/api/v1/cases/{id}/community-answer"] = json!({
        "post": op("Publish the case's answer as the accepted solution of the customer's question {topic, body} (agents): a staff reply, accepted, linked to the case"),
    });
    paths["/api/v1/community/redemptions.csv"] = json!({
        "get": op("Every credit redemption as CSV for billing: transaction_id, redeemed_at, member_id, email, customer_id, external_ref, points, key (supervisors)"),
    });
    paths["/api/v1/community/ledger"] =
        json!({ "get": op("Every ledger account's balance and their sum (zero when the books balance)") });
    paths["/api/v1/community/counts"] = json!({ "get": op("Row counts of the community's tables") });
    paths["/api/v1/community/search"] = json!({ "get": open("Topics in public boards matching ?q=") });
    paths["/api/v1/community/rounds"] = json!({ "get": open("Charity rounds, newest first: candidates with their votes, the pot, the winner and what was paid"), "post": op("Open a charity round {title, charities: [{slug, name}]} (staff; two or more candidates, ties broken by their order)") });
    paths["/api/v1/community/rounds/{id}"] = json!({ "get": open("A charity round") });
    paths["/api/v1/community/rounds/{id}/votes"] = json!({ "post": op("Vote for a candidate {charity: slug} (once per member per round; not on a closed round)") });
    paths["/api/v1/community/rounds/{id}/donations"] = json!({ "post": op("Donate points into the round's pot {request_id, amount}; the same request_id again changes nothing") });
    paths["/api/v1/community/rounds/{id}/close"] = json!({ "post": op("Close the round (staff): its pot is paid to the charity with the most votes; closing again answers it unchanged") });
    paths["/api/v1/community/ideas/{id}/comments"] =
        json!({ "get": open("An idea's comments, oldest first"), "post": op("Comment on an idea {body (Markdown)}") });
    paths["/api/v1/community/ideas/{id}/links"] = json!({ "get": op("The cases and incidents linked to an idea (staff): `{items: [{kind: case|incident, id}]}`"), "post": op("Link an idea to a case or incident {kind: case|incident, id} (staff; twice is harmless)") });
    paths["/api/v1/community/value"] = json!({ "get": op("The value report (staff): assumptions (`config`), solved topics, solution views, contacts deflected, saving in cents, the top contributors (posts, solutions, kudos received, people helped, views, contacts deflected, saving) and views per day") });
    paths["/api/v1/community/topics/{id}/case"] = json!({ "post": op("Open a case from a topic for the asker's customer (staff); asking again answers the same `{topic, case_id, message_id}`") });
    paths["/api/v1/customers/{id}/community"] = json!({ "get": op("What the customer's linked members did in the community (staff): `{customer, members, topics, replies}`, newest first; ?limit= (at most 100)") });
}

/// Writes each operation's access rule from the route table into the
/// document, so that it cannot disagree with the router.
fn annotate_access(doc: &mut Value) {
    for r in crate::route_table().into_iter().filter(|r| !r.page) {
        let method = r.method.as_str().to_ascii_lowercase();
        if let Some(op) = doc["paths"].get_mut(r.path).and_then(|p| p.get_mut(&method)) {
            let who = match r.access {
                crate::Access::Public => "anyone",
                crate::Access::Read => "any member of staff (a token with the read scope)",
                crate::Access::Work => "agents, supervisors and admins (a token with the write scope)",
                crate::Access::Supervise => "supervisors and admins (a token with the admin scope)",
                crate::Access::Admin => "admins (a token with the admin scope)",
                crate::Access::Member => {
                    "a community member whose email is confirmed (a member session, with `x-csrf-token` on changes), or any member of staff acting as staff (a token with the write scope)"
                }
            };
            op["x-firebreak-access"] = json!(format!("{:?}", r.access).to_lowercase());
            op["description"] = json!(format!("Who may call it: {who}."));
        }
    }
}

pub async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described_and_nothing_else() {
        let doc = build();
        let paths = doc["paths"].as_object().unwrap();
        let mut described = Vec::new();
        for (path, ops) in paths {
            for method in ops.as_object().unwrap().keys() {
                described.push((method.clone(), path.clone()));
            }
        }
        described.sort();
        let mut routes: Vec<(String, String)> = crate::route_table()
            .into_iter()
            .filter(|r| !r.page)
            .map(|r| (r.method.as_str().to_ascii_lowercase(), r.path.to_owned()))
            .collect();
        routes.sort();
        assert_eq!(described, routes);
    }
}
