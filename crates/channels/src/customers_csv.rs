//! Customers from a CSV file with a header row, as a CRM or billing system
//! exports them (`firebreak import --format customers-csv`).
//!
//! Columns are matched by name, ignoring case; unknown columns are ignored,
//! and at least one known column must be present:
//!
//! | column (any of)                                   | becomes |
//! |---------------------------------------------------|---------|
//! | `external_id`, `customer_id`, `external_ref`      | `external_ref`, the id in the company's system |
//! | `name`, `full_name`, `display_name`               | `name` |
//! | `email`, `emails`, `email_address`                | `emails`: several separated by `;` or `,` |
//! | `phone`, `phones`, `phone_number`, `mobile`       | `phones`: several separated by `;` or `,` |
//! | `postal_area`, `postcode`, `postal_code`, `zip`, `zip_code` | `postal_area` |
//! | `account`, `accounts`, `account_number`           | account numbers, separated by `;` or `,` |
//! | `handles`                                         | handles on channels, `x:@maria_runs; facebook:1234` |
//! | `x_handle`, `twitter`                             | an X handle |
//! | `products`, `services`, `product`, `service`      | products and services held, separated by `;` or `,` (lower-cased) |
//! | `preferred_channel`                               | the channel the customer prefers (`email`, `x`, `facebook`, `sms`...) |
//!
//! The file is the company's own data, so values are checked strictly: an
//! address that is not an email, a phone that is not a number, a name with a
//! control character is an error for that row (code `invalid_email`,
//! `invalid_phone`, ...), and a row with none of the known values is
//! `empty_row`. Repeated emails or phones in one row are kept once.

use std::io::Read;

use firebreak_domain::{Channel, CustomerRef, DisplayName, Email, ExternalId, NewCustomer, Phone, PostalArea};

use crate::{
    RowError,
    rows::{Header, Table, optional_cell},
};

const EXTERNAL: [&str; 3] = ["external_id", "customer_id", "external_ref"];
const NAME: [&str; 3] = ["name", "full_name", "display_name"];
const EMAIL: [&str; 3] = ["email", "emails", "email_address"];
const PHONE: [&str; 4] = ["phone", "phones", "phone_number", "mobile"];
const POSTAL: [&str; 5] = ["postal_area", "postcode", "postal_code", "zip", "zip_code"];
const ACCOUNT: [&str; 3] = ["account", "accounts", "account_number"];
const HANDLES: [&str; 1] = ["handles"];
const X_HANDLE: [&str; 2] = ["x_handle", "twitter"];
const PRODUCTS: [&str; 4] = ["products", "services", "product", "service"];
const PREFERRED: [&str; 1] = ["preferred_channel"];

/// The rows of a customers file, as customers or row errors.
pub struct CustomerRows<R> {
    table: Table<R, Columns>,
}

struct Columns {
    external: Option<usize>,
    name: Option<usize>,
    email: Option<usize>,
    phone: Option<usize>,
    postal: Option<usize>,
    account: Option<usize>,
    handles: Option<usize>,
    x_handle: Option<usize>,
    /// Both a `products` and a `services` column may be present.
    products: Vec<usize>,
    preferred: Option<usize>,
}

/// Reads a customers file. A header with none of the known columns is one
/// error on line 1, and then the end.
pub fn read<R: Read>(input: R) -> CustomerRows<R> {
    CustomerRows { table: Table::open(input, columns) }
}

fn columns(h: &Header) -> Result<Columns, RowError> {
    let cols = Columns {
        external: h.find(&EXTERNAL),
        name: h.find(&NAME),
        email: h.find(&EMAIL),
        phone: h.find(&PHONE),
        postal: h.find(&POSTAL),
        account: h.find(&ACCOUNT),
        handles: h.find(&HANDLES),
        x_handle: h.find(&X_HANDLE),
        products: PRODUCTS.iter().filter_map(|name| h.find(&[name])).collect(),
        preferred: h.find(&PREFERRED),
    };
    let known =
        [cols.external, cols.name, cols.email, cols.phone, cols.postal, cols.account, cols.handles, cols.x_handle];
    if known.iter().all(Option::is_none) && cols.products.is_empty() {
        return Err(RowError::new(
            1,
            None,
            "missing_column",
            "the header has none of the customer columns (external_id, name, email, phone, postal_area...)",
        ));
    }
    Ok(cols)
}

impl<R: Read> Iterator for CustomerRows<R> {
    type Item = Result<NewCustomer, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.table.next_with(row)
    }
}

fn row(line: u64, r: &csv::StringRecord, c: &Columns, _header: &Header) -> Result<NewCustomer, RowError> {
    let external_ref = optional_cell(r, c.external)
        .map(|s| {
            ExternalId::parse(s).map(ExternalId::into_string).map_err(|e| RowError::column(line, "external_id", e))
        })
        .transpose()?;
    let name = optional_cell(r, c.name).map(|s| DisplayName::parse(s).map_err(|e| RowError::column(line, "name", e)));
    let name = name.transpose()?;
    let emails = list(optional_cell(r, c.email), |s| Email::parse(s).map_err(|e| RowError::column(line, "email", e)))?;
    let phones = list(optional_cell(r, c.phone), |s| Phone::parse(s).map_err(|e| RowError::column(line, "phone", e)))?;
    let postal_area = optional_cell(r, c.postal)
        .map(|s| PostalArea::parse(s).map_err(|e| RowError::column(line, "postal_area", e)))
        .transpose()?;
    let mut refs = list(optional_cell(r, c.account), |s| {
        CustomerRef::parse("account", s).map_err(|e| RowError::column(line, "account", e))
    })?;
    refs.extend(list(optional_cell(r, c.handles), |s| {
        let (kind, value) = s.split_once(':').ok_or_else(|| {
            RowError::new(
                line,
                Some("handles"),
                "invalid_reference",
                "write each handle as channel:handle, e.g. x:@ann",
            )
        })?;
        CustomerRef::parse(kind, value).map_err(|e| RowError::column(line, "handles", e))
    })?);
    refs.extend(list(optional_cell(r, c.x_handle), |s| {
        CustomerRef::parse("x", s).map_err(|e| RowError::column(line, "x_handle", e))
    })?);
    let mut products: Vec<String> = Vec::new();
    for &col in &c.products {
        for p in list(optional_cell(r, Some(col)), |s| product(line, s))? {
            if !products.contains(&p) {
                products.push(p);
            }
        }
    }
    let preferred_channel = optional_cell(r, c.preferred)
        .map(|s| Channel::parse(&s.trim().to_lowercase()).map_err(|e| RowError::column(line, "preferred_channel", e)))
        .transpose()?;
    if external_ref.is_none()
        && name.is_none()
        && emails.is_empty()
        && phones.is_empty()
        && postal_area.is_none()
        && refs.is_empty()
        && products.is_empty()
    {
        return Err(RowError::new(line, None, "empty_row", "the row has no customer values"));
    }
    Ok(NewCustomer { external_ref, name, emails, phones, postal_area, refs, products, preferred_channel })
}

/// A product or service name: trimmed, lower-cased, single spaces, at most
/// 100 bytes, no control characters.
fn product(line: u64, s: &str) -> Result<String, RowError> {
    let p = s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    if p.len() > 100 || p.chars().any(char::is_control) {
        return Err(RowError::new(line, Some("products"), "invalid_product", "a product name is 1 to 100 characters"));
    }
    Ok(p)
}

/// Splits a cell on `;` and `,`, parses each part, and keeps each value once.
fn list<T: PartialEq>(cell: Option<&str>, parse: impl Fn(&str) -> Result<T, RowError>) -> Result<Vec<T>, RowError> {
    let mut out = Vec::new();
    for part in cell.unwrap_or("").split([';', ',']).map(str::trim).filter(|p| !p.is_empty()) {
        let v = parse(part)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_and_handles_become_references() {
        let data = "external_id,name,accounts,handles,x_handle\n\
                    C-1,Ann,88123344;99,\"x:@Ann_L; facebook:1234\",ann_x\n";
        let c = read(data.as_bytes()).next().unwrap().unwrap();
        let refs: Vec<(&str, &str)> = c.refs.iter().map(|r| (r.kind.as_str(), r.value.as_str())).collect();
        assert_eq!(
            refs,
            [("account", "88123344"), ("account", "99"), ("x", "ann_l"), ("facebook", "1234"), ("x", "ann_x")]
        );
        let bad = "name,handles\nAnn,myspace:ann\n";
        assert_eq!(read(bad.as_bytes()).next().unwrap().unwrap_err().code, "invalid_reference_kind");
    }

    #[test]
    fn columns_by_any_of_their_names() {
        let data = "Customer_ID,Full_Name,Emails,Phone,Postcode,Plan\n\
                    C-1001,Ann Lee,\"ann@example.com; Ann.Lee@Work.example\",+44 20 7946 0958,sw1a 1aa,gold\n\
                    ,,bob@example.org,,,\n";
        let rows: Vec<NewCustomer> = read(data.as_bytes()).map(Result::unwrap).collect();
        let ann = &rows[0];
        assert_eq!(ann.external_ref.as_deref(), Some("C-1001"));
        assert_eq!(ann.name.as_ref().unwrap().as_str(), "Ann Lee");
        let emails: Vec<&str> = ann.emails.iter().map(Email::as_str).collect();
        assert_eq!(emails, ["ann@example.com", "ann.lee@work.example"]);
        assert_eq!(ann.phones[0].as_str(), "+442079460958");
        assert_eq!(ann.postal_area.as_ref().unwrap().as_str(), "SW1A 1AA");
        let bob = &rows[1];
        assert_eq!((bob.external_ref.as_ref(), bob.name.as_ref()), (None, None));
        assert_eq!(bob.emails.len(), 1);
    }

    #[test]
    fn strict_values_and_line_numbers() {
        let data = "external_id,name,email,phone,zip\n\
                    1,Ann,not-an-email,,\n\
                    2,Bob,,call me,\n\
                    ,,,,\n\
                    4,Dee,dee@x.test;DEE@x.test,555 0100;5550100,94107\n";
        let results: Vec<_> = read(data.as_bytes()).collect();
        let codes: Vec<(u64, &str)> =
            results.iter().filter_map(|r| r.as_ref().err()).map(|e| (e.line, e.code)).collect();
        assert_eq!(codes, [(2, "invalid_email"), (3, "invalid_phone"), (4, "empty_row")]);
        let dee = results[3].as_ref().unwrap();
        assert_eq!((dee.emails.len(), dee.phones.len()), (1, 1), "repeats are kept once");
        let header: Vec<_> = read("plan,score\n".as_bytes()).collect();
        let err = header[0].as_ref().unwrap_err();
        assert_eq!((header.len(), err.line, err.code), (1, 1, "missing_column"));
    }

    #[test]
    fn products_services_and_the_preferred_channel() {
        let data = "external_id,postcode,products,services,preferred_channel\n\
                    C-1,XX1 2AB,\"Broadband; TV\",mobile,Email\n\
                    C-2,XX2 1AA,,,fax\n";
        let rows: Vec<_> = read(data.as_bytes()).collect();
        let c = rows[0].as_ref().unwrap();
        assert_eq!(c.products, ["broadband", "tv", "mobile"]);
        assert_eq!(c.preferred_channel, Some(Channel::Email));
        assert_eq!(rows[1].as_ref().unwrap_err().code, "unknown_channel");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            for _ in read(bytes.as_slice()) {}
        }

        #[test]
        fn never_panics_on_rows(cells in proptest::collection::vec(".{0,30}", 0..6)) {
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            w.write_record(["external_id", "name", "email", "phone", "zip"]).unwrap();
            w.write_record(&cells).unwrap();
            let data = w.into_inner().unwrap();
            for _ in read(data.as_slice()) {}
        }
    }
}
