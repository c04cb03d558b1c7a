//! A member's points (balance, ledger entries, redemption as account
//! credit) and a member's public profile (rank, badges, what they did).
//!
//! The redemption form carries a request id made when the page was drawn,
//! so posting it twice (a double click, a retry after a timeout) redeems
//! once.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_community::{MemberId, TxKind, ledger::Redemption};
use firebreak_engine::staff::random_token;
use maud::html;

use super::{Viewer, community_page, community_problem, csrf, notice, page_or_error, rank_of, rank_rules};
use crate::{AppState, Code, Problem, pages::forms::Fields, pages::layout::short_time};

fn kind_label(kind: TxKind, key: &str) -> String {
    let what = if key.contains(":solution:") {
        "an accepted solution"
    } else if key.contains(":kudos:") {
        "kudos"
    } else if key.contains(":idea_shipped:") {
        "a shipped idea"
    } else {
        ""
    };
    match kind {
        TxKind::Award => format!("Earned for {what}"),
        TxKind::Reversal => format!("Reversed: {what} (the post was removed)"),
        TxKind::Redemption => "Redeemed".into(),
        TxKind::Payout => "A charity round paid out".into(),
    }
}

/// `GET /community/points`.
pub async fn show(State(state): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let r = async {
        let actor = v.require()?;
        let store = state.engine().store();
        let balance = store.points_balance(actor.member).await.map_err(community_problem)?;
        let entries = store.member_ledger(actor.member, 100).await.map_err(community_problem)?;
        let (rank, totals) = rank_of(&state, actor.member).await?;
        let request_id = random_token(16).map_err(crate::webhooks::engine_problem)?;
        let body = html! {
            (notice(&q))
            h2 { "My points" }
            dl.kv {
                dt { "Balance" } dd #balance data-balance=(balance) { (balance) " points" }
                dt { "Earned (for ranks)" } dd #earned { (totals.points_earned) }
                dt { "Rank" } dd #rank { (rank) }
            }
            h3 { "Redeem as account credit" }
            form.row #redeem method="post" action="/community/points/redeem" {
                (csrf(&v))
                input type="hidden" name="request_id" value=(request_id);
                label for="redeem-amount" { "Points" }
                input #redeem-amount type="number" name="amount" min="1" required;
                button type="submit" { "Redeem" }
            }
            h3 { "Ledger" }
            table #ledger {
                thead { tr { th { "When" } th { "What" } th { "Points" } } }
                tbody { @for e in &entries { tr {
                    td { (short_time(e.created_at)) }
                    td { (kind_label(e.kind, &e.key)) }
                    td.amount { (e.amount) }
                } } }
            }
        };
        Ok(community_page(&v, "My points", body).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/points/redeem` with `amount` and `request_id`.
pub async fn redeem(State(state): State<AppState>, v: Viewer, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let amount: i64 = f.get("amount").and_then(|a| a.parse().ok()).ok_or_else(|| {
            Problem::refused(Code::ValidationFailed, "invalid_points", "Give the number of points to redeem.")
        })?;
        let request_id = f.text("request_id");
        state
            .engine()
            .store()
            .redeem_points(actor, request_id, amount, Redemption::Credit)
            .await
            .map_err(community_problem)?;
        Ok(Redirect::to("/community/points?done=redeemed").into_response())
    };
    page_or_error(&v, r.await)
}

/// `GET /community/members/{id}`: rank, badges and totals.
pub async fn profile(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let r = async {
        let not_found = || Problem::refused(Code::NotFound, "not_found", "There is no such member.");
        let id = MemberId(id.parse().map_err(|_| not_found())?);
        let m = state.engine().store().community_member(id).await.map_err(community_problem)?.ok_or_else(not_found)?;
        let (rank, totals) = rank_of(&state, id).await?;
        let badges = rank_rules(&state).badges_for(&totals);
        let body = html! {
            h2 #member-name {
                (m.display_name)
                @if m.staff { " " span.badge.staff { "Staff" } }
                @if m.banned { " " span.badge { "banned" } }
            }
            dl.kv {
                dt { "Rank" } dd #rank { (rank) }
                dt { "Points earned" } dd { (totals.points_earned) }
                dt { "Accepted solutions" } dd { (totals.solutions) }
                dt { "Kudos received" } dd { (totals.kudos_received) }
                dt { "Posts" } dd { (totals.posts) }
                dt { "Ideas shipped" } dd { (totals.ideas_shipped) }
            }
            h3 { "Badges" }
            ul #badges { @for b in &badges { li data-badge=(b.key) { (b.name) } } }
            @if v.is_staff() && !m.staff {
                h3 { "Moderation" }
                form.row method="post" action=(format!("/community/mod/members/{}/ban", m.id)) {
                    (csrf(&v))
                    input type="hidden" name="banned" value=(if m.banned { "false" } else { "true" });
                    input name="reason" placeholder="Reason" required;
                    button.danger type="submit" { @if m.banned { "Lift the ban" } @else { "Ban" } }
                }
            }
        };
        Ok(community_page(&v, &m.display_name, body).into_response())
    };
    page_or_error(&v, r.await)
}
