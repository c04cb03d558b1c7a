//! Query-string parameters, parsed into validated values or refused with a
//! problem that names the parameter.

use std::collections::HashMap;

use axum::extract::{Query, rejection::QueryRejection};
use firebreak_domain::{Channel, Timestamp};

use crate::{Code, FieldProblem, Problem};

/// The raw parameters of a request, refusing unknown ones.
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn new(q: Result<Query<HashMap<String, String>>, QueryRejection>, known: &[&str]) -> Result<Params, Problem> {
        let Query(map) =
            q.map_err(|e| Problem::new(Code::InvalidParameter, format!("The query string is malformed: {e}.")))?;
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(invalid(
                unknown,
                "unknown_parameter",
                format!("Unknown parameter; expected one of {}.", known.join(", ")),
            ));
        }
        Ok(Params(map))
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|s| !s.is_empty())
    }

    pub fn channel(&self, name: &str) -> Result<Option<Channel>, Problem> {
        self.str(name).map(|s| Channel::parse(s).map_err(|e| invalid(name, e.code, e.message))).transpose()
    }

    pub fn time(&self, name: &str) -> Result<Option<Timestamp>, Problem> {
        self.str(name).map(|s| Timestamp::parse_rfc3339(s).map_err(|e| invalid(name, e.code, e.message))).transpose()
    }

    pub fn limit(&self, default: u32, max: u32) -> Result<u32, Problem> {
        match self.str("limit") {
            None => Ok(default),
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(invalid("limit", "out_of_range", format!("`limit` must be a whole number from 1 to {max}."))),
            },
        }
    }
}

pub fn invalid(name: &str, code: &str, message: impl Into<String>) -> Problem {
    let message = message.into();
    Problem::new(Code::InvalidParameter, format!("`{name}`: {message}")).with_errors(vec![FieldProblem {
        index: None,
        field: name.to_owned(),
        code: code.to_owned(),
        message,
    }])
}
