//! `debtors.csv`: customers, with their contacts, address and identifiers.

use std::io;

use arflow_core::ident;
use arflow_core::money::format_minor;
use arflow_core::party::{
    Address, Contact, ContactPurpose, CountryCode, Debtor, DebtorKind, Language,
    is_plausible_email, is_plausible_phone,
};

use super::engine::{self, Column as _, Keys, Row, columns};
use super::{CsvError, CsvOptions, Parsed, Reading};

columns!(
    /// Columns of `debtors.csv`, in export order.
    enum Col {
        Number => ("number", true),
        Name => ("name", true),
        Kind => ("kind", false),
        Country => ("country", false),
        Language => ("language", false),
        Email => ("email", false),
        ReminderEmail => ("reminder_email", false),
        Phone => ("phone", false),
        Mobile => ("mobile", false),
        VatNumber => ("vat_number", false),
        EnterpriseNumber => ("enterprise_number", false),
        Iban => ("iban", false),
        Street => ("street", false),
        PostalCode => ("postal_code", false),
        City => ("city", false),
        AddressCountry => ("address_country", false),
        Segment => ("segment", false),
        Owner => ("owner", false),
        CreditLimit => ("credit_limit", false),
    }
);

/// Reads `debtors.csv`.
///
/// Defaults: `kind` business; `country` [`CsvOptions::default_country`]; `language` `nl` for
/// debtors in NL or BE and `en` elsewhere. `email`, `reminder_email`, `phone`, `mobile`, `iban`
/// and `segment` hold several values separated by `|` (or `;` in a comma-delimited file). The
/// first `email` is the billing address and further ones are general; `reminder_email` gets
/// purpose reminders, `phone` general and `mobile` mobile. IBANs are stored in electronic form.
/// Belgian and Dutch `vat_number`s and the Belgian `enterprise_number` are validated and stored
/// in canonical form (`BE0412345614`, `NL004495445B01`, `0412345614`); foreign VAT numbers are
/// kept as given, upper-cased without spaces. The debtor then passes [`Debtor::normalize`], as
/// one given through the API does. `credit_limit` is in
/// [`CsvOptions::default_currency`].
///
/// # Errors
/// Every problem in the file (up to [`super::ERRORS_MAX`]), in file order; a file with any
/// error yields no debtors.
///
/// # Examples
/// ```
/// use arflow_formats::csv::{parse_debtors, CsvOptions};
/// let file = "Number,Name,email\nD1,Bakkerij De Zon,info@dezon.nl|boekhouding@dezon.nl\n";
/// let rows = parse_debtors(file.as_bytes(), &CsvOptions::default()).unwrap();
/// assert_eq!(rows[0].record.emails.len(), 2);
/// ```
pub fn parse_debtors(
    bytes: &[u8],
    opts: &CsvOptions,
) -> Result<Vec<Parsed<Debtor>>, Vec<CsvError>> {
    read_debtors(bytes, opts).into_result()
}

/// Like [`parse_debtors`], but returns the rows without errors together with every error, so a
/// caller can add its own checks of the good rows to one complete list of problems.
pub fn read_debtors(bytes: &[u8], opts: &CsvOptions) -> Reading<Debtor> {
    let estimate = engine::rows_estimate(bytes, opts);
    let mut out = Vec::with_capacity(estimate);
    let mut numbers = Keys::with_capacity(estimate);
    let mut errors = engine::run::<Col>(bytes, opts, |row| {
        let record = debtor(row, opts, &mut numbers);
        if let Some(record) = record.filter(|_| !row.failed()) {
            out.push(Parsed { line: row.line, record });
        }
    });
    errors.merge(numbers.repeats(Col::Number.name(), "duplicate number"));
    Reading { records: out, errors: errors.into_list() }
}

fn debtor(row: &mut Row<'_, Col>, opts: &CsvOptions, numbers: &mut Keys) -> Option<Debtor> {
    let number = row.required(Col::Number);
    if let Some(number) = number {
        numbers.push(number, row.line);
    }
    let name = row.required(Col::Name);
    let kind = row.vocabulary(Col::Kind, DebtorKind::ALL).unwrap_or(DebtorKind::Business);
    let country = country_cell(row, Col::Country).unwrap_or(opts.default_country);
    let language = row.vocabulary(Col::Language, Language::ALL).unwrap_or(
        if country == CountryCode::NL || country == CountryCode::BE {
            Language::Nl
        } else {
            Language::En
        },
    );

    let mut emails = Vec::new();
    for (i, value) in row.list(Col::Email).enumerate() {
        let purpose = if i == 0 { ContactPurpose::Billing } else { ContactPurpose::General };
        push_contact(row, Col::Email, value, purpose, &mut emails);
    }
    for value in row.list(Col::ReminderEmail) {
        push_contact(row, Col::ReminderEmail, value, ContactPurpose::Reminders, &mut emails);
    }
    let mut phones = Vec::new();
    for value in row.list(Col::Phone) {
        push_contact(row, Col::Phone, value, ContactPurpose::General, &mut phones);
    }
    for value in row.list(Col::Mobile) {
        push_contact(row, Col::Mobile, value, ContactPurpose::Mobile, &mut phones);
    }
    let mut ibans = Vec::new();
    for value in row.list(Col::Iban) {
        match ident::parse_iban(value) {
            Ok(iban) => ibans.push(iban),
            Err(e) => row.fail(Col::Iban, value, format!("not a valid IBAN: {e}")),
        }
    }
    let segments: Vec<String> = row.list(Col::Segment).map(str::to_owned).collect();
    let address = Address {
        street: row.text(Col::Street),
        postal_code: row.text(Col::PostalCode),
        city: row.text(Col::City),
        country: country_cell(row, Col::AddressCountry),
    };
    let vat_number = vat_number(row);
    let enterprise_number = row.optional(Col::EnterpriseNumber).and_then(|text| {
        ident::parse_be_enterprise_number(text)
            .map_err(|e| {
                row.fail(
                    Col::EnterpriseNumber,
                    text,
                    format!("not a valid Belgian enterprise number: {e}"),
                )
            })
            .ok()
    });
    let credit_limit = row.optional_money(Col::CreditLimit, opts.default_currency);
    if credit_limit.is_some_and(|m| m.is_negative()) {
        row.fail(Col::CreditLimit, row.cell(Col::CreditLimit), "a credit limit cannot be negative");
    }
    let (Some(number), Some(name)) = (number, name) else { return None };
    if row.failed() {
        return None;
    }
    let mut debtor = Debtor {
        number: number.to_owned(),
        name: name.to_owned(),
        kind,
        country,
        language,
        emails,
        phones,
        address,
        vat_number,
        enterprise_number,
        ibans,
        segments,
        owner: row.text(Col::Owner),
        credit_limit,
        pause: None,
    };
    // The same checks and canonical forms as a debtor given through the API, so that a debtor
    // imported from a file and the same one posted compare equal. Everything it checks was
    // checked above with a column-specific message, so this normally finds nothing.
    if let Err(errors) = debtor.normalize() {
        for e in errors {
            let field = e.field.split(['[', '.']).next().unwrap_or_default();
            let column = Col::ALL.iter().find(|c| {
                let name = engine::Column::name(**c);
                name == field
                    || (field == "emails" && name == "email")
                    || (field == "phones" && name == "phone")
                    || (field == "ibans" && name == "iban")
            });
            match column {
                Some(column) => row.fail(*column, row.cell(*column), e.message),
                None => row.fail(Col::Number, number, format!("{}: {}", e.field, e.message)),
            }
        }
        return None;
    }
    Some(debtor)
}

/// A VAT number: Belgian and Dutch ones (and any without a country prefix) are validated and
/// stored in canonical form (`BE0123456749`, `NL004495445B01`); those of other countries cannot
/// be checked here and are kept as given, upper-cased and without spaces.
fn vat_number(row: &mut Row<'_, Col>) -> Option<String> {
    let text = row.optional(Col::VatNumber)?;
    let prefix = text.get(..2).filter(|p| p.bytes().all(|b| b.is_ascii_alphabetic()));
    let checkable =
        prefix.is_none_or(|p| p.eq_ignore_ascii_case("BE") || p.eq_ignore_ascii_case("NL"));
    if !checkable {
        return Some(
            text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase(),
        );
    }
    match ident::parse_vat_number(text) {
        Ok(vat) => Some(vat),
        Err(e) => {
            row.fail(Col::VatNumber, text, format!("not a valid VAT number: {e}"));
            None
        }
    }
}

/// A two-letter country code; `None` (after reporting) when malformed, `None` silently when
/// empty.
fn country_cell(row: &mut Row<'_, Col>, column: Col) -> Option<CountryCode> {
    let text = row.optional(column)?;
    match CountryCode::parse(text) {
        Ok(code) => Some(code),
        Err(_) => {
            row.fail(column, text, "expected a two-letter ISO 3166 country code, like NL or BE");
            None
        }
    }
}

fn push_contact(
    row: &mut Row<'_, Col>,
    column: Col,
    value: &str,
    purpose: ContactPurpose,
    into: &mut Vec<Contact>,
) {
    let is_email = matches!(column, Col::Email | Col::ReminderEmail);
    if is_email && value.contains([',', ';']) {
        row.fail(column, value, "one e-mail address per value; separate several with |");
    } else if is_email && !is_plausible_email(value) {
        row.fail(column, value, "not an e-mail address");
    } else if !is_email && !is_plausible_phone(value) {
        row.fail(column, value, "not a phone number (6 to 20 digits, optionally a leading +)");
    } else {
        into.push(Contact { value: value.to_owned(), purpose });
    }
}

/// Writes debtors with the columns [`parse_debtors`] reads, so that the file reads back
/// identically: billing e-mail addresses come first in `email`, followed by general ones;
/// reminder addresses go to `reminder_email`, mobile numbers to `mobile` and other numbers to
/// `phone`. A pause is not part of the file.
///
/// # Errors
/// Any error of the writer; [`io::ErrorKind::InvalidInput`] when a value of a multi-valued cell
/// contains `|` or `;`, which would read back as two values.
pub fn write_debtors(w: impl io::Write, debtors: &[Debtor]) -> io::Result<()> {
    use engine::Column as _;
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record(Col::SPECS.iter().map(|(name, _)| name))?;
    for d in debtors {
        let by_purpose = |contacts: &[Contact], wanted: &[ContactPurpose]| -> Vec<String> {
            contacts
                .iter()
                .filter(|c| wanted.contains(&c.purpose))
                .map(|c| c.value.clone())
                .collect()
        };
        let mut email = by_purpose(&d.emails, &[ContactPurpose::Billing]);
        email.extend(by_purpose(&d.emails, &[ContactPurpose::General, ContactPurpose::Mobile]));
        let reminder_email = by_purpose(&d.emails, &[ContactPurpose::Reminders]);
        let phone = by_purpose(
            &d.phones,
            &[ContactPurpose::General, ContactPurpose::Billing, ContactPurpose::Reminders],
        );
        let mobile = by_purpose(&d.phones, &[ContactPurpose::Mobile]);
        let credit_limit = d.credit_limit.map(|m| format_minor(m.minor(), m.currency()));
        out.write_record([
            d.number.as_str(),
            &d.name,
            d.kind.as_str(),
            d.country.as_str(),
            d.language.as_str(),
            &joined(d, "email", &email)?,
            &joined(d, "reminder_email", &reminder_email)?,
            &joined(d, "phone", &phone)?,
            &joined(d, "mobile", &mobile)?,
            d.vat_number.as_deref().unwrap_or_default(),
            d.enterprise_number.as_deref().unwrap_or_default(),
            &joined(d, "iban", &d.ibans)?,
            d.address.street.as_deref().unwrap_or_default(),
            d.address.postal_code.as_deref().unwrap_or_default(),
            d.address.city.as_deref().unwrap_or_default(),
            d.address.country.as_ref().map_or("", CountryCode::as_str),
            &joined(d, "segment", &d.segments)?,
            d.owner.as_deref().unwrap_or_default(),
            credit_limit.as_deref().unwrap_or_default(),
        ])?;
    }
    out.flush()
}

/// Joins the values of a multi-valued cell with `|`, refusing values that would split.
fn joined(debtor: &Debtor, column: &str, values: &[String]) -> io::Result<String> {
    if let Some(bad) = values.iter().find(|v| v.contains(['|', ';'])) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "debtor {}: {column} value '{bad}' contains '|' or ';', which separate values in a CSV cell",
                debtor.number
            ),
        ));
    }
    Ok(values.join("|"))
}
