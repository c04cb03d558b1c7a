//! Staff: the people who sign in to Firebreak, their roles, and the scopes an
//! API token can carry.
//!
//! A role is what a person may do; a token's scopes narrow what a program
//! acting for that person may do. Neither ever widens the other.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// What a member of staff is for. Ordered by how much each may change:
/// an analyst reads, an agent works cases, a supervisor also runs the team,
/// an admin also manages accounts and personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Analyst,
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Agent, Role::Analyst];

    pub fn parse(s: &str) -> Result<Role, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "supervisor" => Ok(Role::Supervisor),
            "agent" => Ok(Role::Agent),
            "analyst" => Ok(Role::Analyst),
            _ => Err(FieldError::new(
                "unknown_role",
                format!("`{s}` is not a role; use admin, supervisor, agent or analyst"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Analyst => "analyst",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API token lets a program do, on top of its owner's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read anything the owner may read.
    Read,
    /// Also send messages in and work cases (ingest connectors, bots).
    Write,
    /// Also what only supervisors and admins may do.
    Admin,
}

impl Scope {
    pub fn parse(s: &str) -> Result<Scope, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            _ => Err(FieldError::new("unknown_scope", format!("`{s}` is not a scope; use read, write or admin"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

/// A staff account as the rest of the system sees it (never its password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    /// The same id as the agent row: every member of staff can be assigned cases.
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    pub disabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_order_by_power() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::Analyst < Role::Agent && Role::Agent < Role::Supervisor && Role::Supervisor < Role::Admin);
        assert_eq!(Role::parse("root").unwrap_err().code, "unknown_role");
    }

    #[test]
    fn scopes_parse() {
        assert_eq!(Scope::parse(" Write ").unwrap(), Scope::Write);
        assert!(Scope::parse("all").is_err());
    }
}
